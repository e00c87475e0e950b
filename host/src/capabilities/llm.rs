//! `runner:scenario/llm`: one OpenAI-compatible call, streamed and parsed by the host, with
//! every timing recorded into the caller's phase. The guest only says what to send.

use std::time::Duration;

use super::{HostState, ms, tags};
use crate::bindings::runner::scenario::llm::{
    Api, Completion, Embedding, EmbeddingRequest, Error, ErrorClass as WitErrorClass, Host, PromptSource,
    Request, TokenSource, ToolCall,
};
use crate::bindings::runner::scenario::types::Message;
use crate::client::http::Connections;
use crate::client::openai::{self, Api as ClientApi, LlmError, LlmRequest, TokenSource as ClientTokenSource};
use crate::error_class::ErrorClass;
use crate::stats::LlmSample;

/// The LLM interface's spelling of a class (it has every class).
impl From<ErrorClass> for WitErrorClass {
    fn from(class: ErrorClass) -> Self {
        match class {
            ErrorClass::Connect => WitErrorClass::Connect,
            ErrorClass::Timeout => WitErrorClass::Timeout,
            ErrorClass::HttpStatus => WitErrorClass::HttpStatus,
            ErrorClass::Reset => WitErrorClass::Reset,
            ErrorClass::MalformedStream => WitErrorClass::MalformedStream,
            ErrorClass::InvalidRequest => WitErrorClass::InvalidRequest,
            ErrorClass::Denied => WitErrorClass::Denied,
            ErrorClass::ServerError => WitErrorClass::ServerError,
            ErrorClass::Other => WitErrorClass::Other,
        }
    }
}

/// What the recorder keeps of a completion.
fn sample(c: &openai::Completion) -> LlmSample<'_> {
    LlmSample {
        e2e: c.e2e,
        ttft: c.ttft,
        ttfo: c.ttfo,
        ttst: c.ttst,
        tpot: c.tpot,
        itl: &c.itl,
        chunk_gaps: &c.chunk_gaps,
        input_tokens: c.input_tokens,
        output_tokens: c.output_tokens,
        output_tokens_from_usage: c.output_tokens_source == ClientTokenSource::Usage,
        usage_output_tokens: c.usage_output_tokens,
        counted_output_tokens: c.counted_output_tokens,
        reasoning_chunks: c.reasoning_chunks,
        reasoning_tokens: c.reasoning_tokens,
        cached_tokens: c.cached_tokens,
        tool_calls: u32::try_from(c.tool_calls.len()).unwrap_or(u32::MAX),
    }
}

impl HostState {
    /// The request as the client takes it: the model falls back to the run's model (`--model`,
    /// the `model` parameter, or the one discovered: decided once, in `run::model`), and a prompt
    /// from a dataset row or a synthetic one is filled in here, on the host.
    fn llm_request(&self, mut req: Request) -> Result<LlmRequest, LlmError> {
        let settings = &self.run.settings;
        let model = req.model.or_else(|| settings.model.clone());
        match req.prompt_source {
            PromptSource::Inline => {}
            PromptSource::Dataset(at) => {
                let dataset = settings.datasets.get(&at.name).map_err(|e| LlmError {
                    class: ErrorClass::InvalidRequest,
                    status: None,
                    message: e.to_string(),
                })?;
                let row = dataset.row(at.index);
                req.max_tokens = req.max_tokens.or(row.output_tokens);
                match req.api {
                    Api::Chat => {
                        req.messages.retain(|m| m.role == "system");
                        req.messages.extend(super::data::messages(row))
                    }
                    Api::Completions => req.prompt = row.prompt.clone(),
                }
            }
            PromptSource::Synthetic(spec) => {
                let text = settings.tokens.synthetic(spec.tokens, spec.seed);
                match req.api {
                    Api::Chat => {
                        req.messages.retain(|m| m.role == "system");
                        req.messages.push(Message { role: "user".into(), content: text, images: Vec::new() });
                    }
                    Api::Completions => req.prompt = text,
                }
            }
        }
        Ok(LlmRequest {
            api: match req.api {
                Api::Chat => ClientApi::Chat,
                Api::Completions => ClientApi::Completions,
            },
            model,
            messages: req.messages.into_iter().map(|m| (m.role, m.content)).collect(),
            prompt: req.prompt,
            max_tokens: req.max_tokens,
            stream: req.stream,
            extra_body: req.extra_body,
            timeout: Some(
                req.timeout_ms.map(Duration::from_millis).unwrap_or(self.run.settings.request_timeout),
            ),
        })
    }
}

impl Host for HostState {
    async fn embed(&mut self, _req: EmbeddingRequest) -> wasmtime::Result<Result<Embedding, Error>> {
        Ok(Err(Error {
            class: WitErrorClass::InvalidRequest,
            status: None,
            message: "embeddings are not implemented yet".into(),
        }))
    }

    async fn call(&mut self, req: Request) -> wasmtime::Result<Result<Completion, Error>> {
        let extra = tags(req.tags.clone());
        let result = match self.llm_request(req) {
            Ok(request) => {
                let settings = &self.run.settings;
                let conns = Connections { pooled: &self.run.http, own: self.plain_http.own(settings) };
                openai::call(conns, &settings.target, &settings.headers, &request).await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(c) => {
                self.stats().record_llm(&extra, &sample(&c));
                Ok(Ok(Completion {
                    status: c.status,
                    finish_reason: c.finish_reason,
                    ttft_ms: c.ttft.map(ms),
                    ttst_ms: c.ttst.map(ms),
                    e2e_ms: ms(c.e2e),
                    tpot_ms: c.tpot.map(ms),
                    chunk_gaps_ms: c.chunk_gaps.iter().copied().map(ms).collect(),
                    chunks: c.chunks,
                    input_tokens: c.input_tokens,
                    output_tokens: c.output_tokens,
                    output_tokens_source: match c.output_tokens_source {
                        ClientTokenSource::Usage => TokenSource::Usage,
                        ClientTokenSource::Counted => TokenSource::Counted,
                    },
                    usage_output_tokens: c.usage_output_tokens,
                    counted_output_tokens: c.counted_output_tokens,
                    ttfo_ms: c.ttfo.map(ms),
                    reasoning_chunks: c.reasoning_chunks,
                    reasoning_tokens: c.reasoning_tokens,
                    cached_tokens: c.cached_tokens,
                    tool_calls: c
                        .tool_calls
                        .into_iter()
                        .map(|t| ToolCall { id: t.id, name: t.name, arguments: t.arguments })
                        .collect(),
                    text: c.text,
                }))
            }
            Err(e) => {
                self.stats().record_error(&extra, e.class);
                if matches!(e.status, Some(401 | 403)) {
                    self.stats().record_credentials_refused();
                }
                Ok(Err(Error { class: e.class.into(), status: e.status, message: e.message }))
            }
        }
    }
}
