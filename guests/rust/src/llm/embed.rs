//! Embeddings calls (`/v1/embeddings`): a batch of texts, one vector each. The host sends the
//! request and records the call (a request, its E2E and input tokens, or its error class); the
//! guest gets the counts back, never the vectors.

use std::time::Duration;

use super::{LlmError, model_or_param, raw};
use crate::{Tags, millis, params};

/// An embeddings request being built; send it with [`EmbedRequest::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct EmbedRequest {
    model: Option<String>,
    inputs: Vec<String>,
    prompt_source: raw::PromptSource,
    batch: u32,
    extra_body: Option<String>,
    headers: Vec<(String, String)>,
    timeout_ms: Option<u64>,
    tags: Tags,
}

/// Embeds these texts in one request (`input` a list, even of one).
pub fn embed<I, S>(inputs: I) -> EmbedRequest
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    EmbedRequest::new(inputs.into_iter().map(Into::into).collect(), raw::PromptSource::Inline)
}

/// Embeds rows `index`, `index + 1`, … (their prompts, wrapping around) of dataset `name`,
/// [`EmbedRequest::batch`] of them (1 by default), made on the host: the texts never cross
/// into the guest.
pub fn embed_from_dataset(name: &str, index: u64) -> EmbedRequest {
    let row = raw::DatasetRow { name: name.to_owned(), index };
    EmbedRequest::new(Vec::new(), raw::PromptSource::Dataset(row))
}

/// Embeds synthetic texts of `tokens` tokens of seeds `seed`, `seed + 1`, …,
/// [`EmbedRequest::batch`] of them (1 by default), made on the host.
pub fn embed_synthetic(tokens: u32, seed: u64) -> EmbedRequest {
    let spec = raw::SyntheticPrompt { tokens, seed };
    EmbedRequest::new(Vec::new(), raw::PromptSource::Synthetic(spec))
}

impl EmbedRequest {
    fn new(inputs: Vec<String>, prompt_source: raw::PromptSource) -> Self {
        Self {
            model: None,
            inputs,
            prompt_source,
            batch: 1,
            extra_body: None,
            headers: Vec::new(),
            timeout_ms: None,
            tags: Vec::new(),
        }
    }

    /// The model name; by default the `model` parameter, or none when that is empty.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// How many texts a dataset or synthetic request makes (1 to 2048); inline texts are sent
    /// as given.
    pub fn batch(mut self, n: u32) -> Self {
        self.batch = n;
        self
    }

    /// A JSON object merged into the request body, e.g. `{"dimensions":256}`; empty means none.
    pub fn extra(mut self, json: impl Into<String>) -> Self {
        let json = json.into();
        self.extra_body = if json.trim().is_empty() { None } else { Some(json) };
        self
    }

    /// A header for this request only, as [`super::Request::header`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// A per-request timeout instead of the run's default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(millis(timeout));
        self
    }

    /// Adds a tag to this request's metrics (on top of the phase's tags), e.g. `api=embeddings`
    /// to keep embeddings apart from chat calls in the same phase.
    pub fn tag(mut self, key: &str, value: impl ToString) -> Self {
        self.tags.push((key.to_owned(), value.to_string()));
        self
    }

    /// The WIT record this request becomes; `model` is resolved from the parameter when unset.
    pub fn into_raw(mut self) -> raw::EmbeddingRequest {
        let model = model_or_param(self.model.take(), || params::get("model"));
        self.into_raw_with_model(model)
    }

    fn into_raw_with_model(self, model: Option<String>) -> raw::EmbeddingRequest {
        raw::EmbeddingRequest {
            model,
            inputs: self.inputs,
            prompt_source: self.prompt_source,
            batch: self.batch,
            extra_body: self.extra_body,
            headers: self.headers,
            timeout_ms: self.timeout_ms,
            tags: self.tags,
        }
    }

    /// Sends the request and waits for the answer: its timing, token count, vectors and their
    /// length.
    pub fn send(self) -> Result<raw::Embedding, LlmError> {
        raw::embed(&self.into_raw())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_texts_and_host_made_batches() {
        let req = embed(["a", "b"])
            .extra(r#"{"dimensions":8}"#)
            .header("x-session-id", "s")
            .tag("api", "embeddings")
            .timeout(Duration::from_millis(1500))
            .into_raw_with_model(Some("e".into()));
        assert_eq!(req.inputs, ["a", "b"]);
        assert!(matches!(req.prompt_source, raw::PromptSource::Inline));
        assert_eq!((req.model.as_deref(), req.batch, req.timeout_ms), (Some("e"), 1, Some(1500)));
        assert_eq!(req.extra_body.as_deref(), Some(r#"{"dimensions":8}"#));
        assert_eq!(req.headers, vec![("x-session-id".into(), "s".into())]);
        assert_eq!(req.tags, vec![("api".into(), "embeddings".into())]);
        let rows = embed_from_dataset("docs", 10).batch(32).into_raw_with_model(None);
        assert!(
            matches!(&rows.prompt_source, raw::PromptSource::Dataset(r) if r.name == "docs" && r.index == 10)
        );
        assert_eq!((rows.batch, rows.inputs.len()), (32, 0), "the texts are made on the host");
        let synthetic = embed_synthetic(128, 7).into_raw_with_model(None);
        assert!(matches!(
            synthetic.prompt_source,
            raw::PromptSource::Synthetic(raw::SyntheticPrompt { tokens: 128, seed: 7 })
        ));
        assert_eq!(synthetic.batch, 1);
    }
}
