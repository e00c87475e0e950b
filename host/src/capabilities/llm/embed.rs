//! `llm.embed`: one embeddings call, its texts given by the guest or made on the host (dataset
//! rows, synthetic prompts), recorded into the caller's phase like a non-streamed completion:
//! a request, its E2E and input tokens, or its error class.

use std::time::Instant;

use super::{dataset, invalid, synthetic_tokens};
use crate::bindings::runner::scenario::llm::{Embedding, EmbeddingRequest, Error, PromptSource};
use crate::capabilities::{HostState, limits, ms, tags};
use crate::client::http::Connections;
use crate::client::openai::{self, LlmError, MAX_BATCH};
use crate::stats::{EmbeddingSample, RequestKind};

impl HostState {
    /// Makes the call, records it and converts the outcome for the guest.
    pub(super) async fn embed_call(&mut self, req: EmbeddingRequest) -> Result<Embedding, Error> {
        // Tags out of bounds refuse the call (below); its error is then recorded without them.
        let extra = if limits::tags(&req.tags).is_ok() { tags(req.tags.clone()) } else { Default::default() };
        let started = Instant::now();
        let result = match self.embedding_request(req) {
            Ok(request) => {
                let settings = &self.run.settings;
                let conns = Connections {
                    pooled: &self.run.http,
                    own: self.plain_http.own(settings, &self.run.http),
                };
                openai::embed(conns, &settings.target, &settings.headers, &request).await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(e) => {
                self.backoff.reset();
                self.stats()
                    .record_embedding(&extra, &EmbeddingSample { e2e: e.e2e, input_tokens: e.input_tokens });
                Ok(Embedding {
                    status: e.status,
                    e2e_ms: ms(e.e2e),
                    input_tokens: e.input_tokens,
                    vectors: e.vectors,
                    dimensions: e.dimensions,
                })
            }
            Err(e) => {
                self.stats().record_failure(&extra, RequestKind::Embedding, e.class, e.status, Some(started));
                if matches!(e.status, Some(401 | 403)) {
                    self.stats().record_credentials_refused();
                }
                self.after_failure(e.class, &e.message).await;
                Err(Error { class: e.class.into(), status: e.status, message: e.message })
            }
        }
    }

    /// The request as the client takes it: the run's model when it names none, and the texts of
    /// a non-inline prompt source made here — `batch` dataset rows from `index` on (wrapping
    /// around the dataset) or `batch` synthetic prompts of seeds `seed`, `seed + 1`, ….
    fn embedding_request(&self, req: EmbeddingRequest) -> Result<openai::EmbeddingRequest, LlmError> {
        let settings = &self.run.settings;
        limits::tags(&req.tags).map_err(invalid)?;
        let timeout = req.timeout_ms.map(limits::timeout_ms).transpose().map_err(invalid)?;
        let batch = u64::from(req.batch);
        let inputs = match req.prompt_source {
            PromptSource::Inline => req.inputs,
            _ if req.batch == 0 || req.batch > MAX_BATCH => {
                return Err(invalid(format!("batch must be between 1 and {MAX_BATCH}, got {}", req.batch)));
            }
            PromptSource::Dataset(at) => {
                let rows = dataset(settings, &at.name)?;
                (0..batch).map(|i| rows.row(at.index.wrapping_add(i), settings.seed).prompt.clone()).collect()
            }
            PromptSource::Synthetic(spec) => {
                // The whole batch is built on the host: its total length is what is bounded.
                let total = u64::from(spec.tokens) * batch;
                if total > u64::from(limits::MAX_PROMPT_TOKENS) {
                    return Err(invalid(format!(
                        "{batch} synthetic prompts of {} tokens are {total} tokens, over the maximum of {} \
                         tokens per call",
                        spec.tokens,
                        limits::MAX_PROMPT_TOKENS
                    )));
                }
                let tokens = synthetic_tokens(spec.tokens)?;
                (0..batch).map(|i| settings.tokens.synthetic(tokens, spec.seed.wrapping_add(i))).collect()
            }
        };
        Ok(openai::EmbeddingRequest {
            model: req.model.or_else(|| settings.model.clone()),
            inputs,
            extra_body: req.extra_body,
            headers: req.headers.into(),
            timeout: Some(timeout.unwrap_or(settings.request_timeout)),
        })
    }
}
