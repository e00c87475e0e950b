//! `runner:scenario/llm`: one OpenAI-compatible call, streamed and parsed by the host, with
//! every timing recorded into the caller's phase. The guest only says what to send. Embeddings
//! calls (`embed`) are in [`embed`]; several calls sent at once (`call-many`) in [`many`].

use std::sync::Arc;
use std::time::Instant;

use super::{HostState, limits, ms, tags};
use crate::bindings::runner::scenario::llm::{
    Api, Completion, Embedding, EmbeddingRequest, Error, ErrorClass as WitErrorClass, Host, MaxTokensField,
    PromptSource, Request, TokenSource, ToolCall,
};
use crate::bindings::runner::scenario::types::Message;
use crate::client::http::Connections;
use crate::client::openai::{
    self, Api as ClientApi, LlmError, LlmRequest, MaxTokensField as ClientMaxTokensField,
    Message as ClientMessage, TokenSource as ClientTokenSource,
};
use crate::data::{Dataset, Row};
use crate::error_class::ErrorClass;
use crate::run::RunSettings;
use crate::stats::{LlmSample, PhaseStats, RequestKind, Tags};

mod embed;
mod many;

/// The LLM interface's spelling of a class: every WIT case, and the host's own classes mapped to
/// the nearest (`tls` → `connect`: no connection was made; `client-limit` → `other`: not the
/// server's doing); their messages say which (see `client/http/blame.rs`).
impl From<ErrorClass> for WitErrorClass {
    fn from(class: ErrorClass) -> Self {
        match class {
            ErrorClass::Connect | ErrorClass::Tls => WitErrorClass::Connect,
            ErrorClass::ClientLimit => WitErrorClass::Other,
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
        started: None,
        status: c.status,
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
    fn llm_request(&self, req: Request) -> Result<LlmRequest, LlmError> {
        let settings = &self.run.settings;
        limits::tags(&req.tags).map_err(invalid)?;
        let timeout = req.timeout_ms.map(limits::timeout_ms).transpose().map_err(invalid)?;
        let model = req.model.or_else(|| settings.model.clone());
        let mut messages: Vec<ClientMessage> = req.messages.into_iter().map(client_message).collect();
        let mut prompt = req.prompt;
        let mut max_tokens = req.max_tokens;
        match req.prompt_source {
            PromptSource::Inline => {}
            PromptSource::Dataset(at) => {
                let row = dataset(settings, &at.name)?.row(at.index, settings.seed);
                max_tokens = max_tokens.or(row.output_tokens);
                match req.api {
                    Api::Chat => replace_turns(&mut messages, row_turns(&row)),
                    Api::Completions if !row.images.is_empty() => {
                        return Err(invalid(format!(
                            "row {} of dataset {:?} has images: send it with the chat API",
                            at.index, at.name
                        )));
                    }
                    Api::Completions => prompt = row.prompt.clone(),
                }
            }
            PromptSource::Synthetic(spec) => {
                let text = settings.tokens.synthetic(synthetic_tokens(spec.tokens)?, spec.seed);
                match req.api {
                    Api::Chat => replace_turns(&mut messages, vec![ClientMessage::text("user", text)]),
                    Api::Completions => prompt = text,
                }
            }
        }
        Ok(LlmRequest {
            api: match req.api {
                Api::Chat => ClientApi::Chat,
                Api::Completions => ClientApi::Completions,
            },
            model,
            messages,
            prompt,
            max_tokens,
            max_tokens_field: match req.max_tokens_field {
                MaxTokensField::MaxTokens => ClientMaxTokensField::MaxTokens,
                MaxTokensField::MaxCompletionTokens => ClientMaxTokensField::MaxCompletionTokens,
            },
            stream: req.stream,
            extra_body: req.extra_body,
            headers: req.headers.into(),
            timeout: Some(timeout.unwrap_or(self.run.settings.request_timeout)),
        })
    }
}

/// A scenario's message as the client takes it.
fn client_message(m: Message) -> ClientMessage {
    ClientMessage { role: m.role, content: m.content, images: m.images.into_iter().map(Arc::from).collect() }
}

/// A dataset row's conversation, its images on its last turn (the user's), shared, not copied.
fn row_turns(row: &Row) -> Vec<ClientMessage> {
    let mut turns: Vec<ClientMessage> = row
        .messages
        .iter()
        .map(|(role, content)| ClientMessage::text(role.clone(), content.clone()))
        .collect();
    if let Some(last) = turns.last_mut() {
        last.images.extend(row.images.iter().cloned());
    }
    turns
}

/// Replaces the conversation's non-system turns with a prompt's `turns`. The images the scenario
/// attached to its last turn go with the prompt's last turn, after any of the prompt's own: that
/// is how a synthetic or dataset prompt is sent with an image (`chat_synthetic(..).image(url)`).
fn replace_turns(messages: &mut Vec<ClientMessage>, mut turns: Vec<ClientMessage>) {
    let carried =
        messages.iter_mut().rev().find(|m| m.role != "system").map(|m| std::mem::take(&mut m.images));
    messages.retain(|m| m.role == "system");
    if let (Some(last), Some(carried)) = (turns.last_mut(), carried) {
        last.images.extend(carried);
    }
    messages.extend(turns);
}

/// Dataset `name` of the run; an unknown one is an invalid request.
fn dataset<'a>(settings: &'a RunSettings, name: &str) -> Result<&'a Arc<Dataset>, LlmError> {
    settings.datasets.get(name).map_err(|e| invalid(e.to_string()))
}

/// A synthetic prompt's length, refused over [`limits::MAX_PROMPT_TOKENS`]: the host builds the
/// text, so an unchecked count is an allocation of up to 25 GB on the guest's say-so.
pub(super) fn synthetic_tokens(tokens: u32) -> Result<u32, LlmError> {
    if tokens > limits::MAX_PROMPT_TOKENS {
        return Err(invalid(format!(
            "a synthetic prompt of {tokens} tokens is over the maximum of {} tokens",
            limits::MAX_PROMPT_TOKENS
        )));
    }
    Ok(tokens)
}

/// A request that cannot be built.
fn invalid(message: String) -> LlmError {
    LlmError { class: ErrorClass::InvalidRequest, status: None, message }
}

impl Host for HostState {
    async fn embed(&mut self, req: EmbeddingRequest) -> wasmtime::Result<Result<Embedding, Error>> {
        Ok(self.embed_call(req).await)
    }

    async fn call(&mut self, req: Request) -> wasmtime::Result<Result<Completion, Error>> {
        let Prepared { extra, request } = self.prepare(req);
        let started = Instant::now();
        let result = match request {
            Ok(request) => {
                let settings = &self.run.settings;
                let conns = Connections {
                    pooled: &self.run.http,
                    own: self.plain_http.own(settings, &self.run.http),
                };
                openai::call(conns, &settings.target, &settings.headers, &request).await
            }
            Err(error) => Err(error),
        };
        record(self.stats(), &extra, started, &result);
        match &result {
            Ok(_) => self.backoff.reset(),
            Err(e) => self.after_failure(e.class, &e.message).await,
        }
        Ok(for_guest(result))
    }

    async fn call_many(&mut self, reqs: Vec<Request>) -> wasmtime::Result<Vec<Result<Completion, Error>>> {
        Ok(self.call_many_at_once(reqs).await)
    }
}

/// One call ready to go: the tags its measurements carry, and the request as the client takes
/// it or why it cannot be sent.
struct Prepared {
    extra: Tags,
    request: Result<LlmRequest, LlmError>,
}

impl HostState {
    /// Checks and builds one request.
    fn prepare(&self, req: Request) -> Prepared {
        Prepared { extra: request_tags(req.tags.clone()), request: self.llm_request(req) }
    }
}

/// A request's tags for the recorder. Tags out of bounds refuse the call (`llm_request`); its
/// error is then recorded without them.
fn request_tags(list: Vec<(String, String)>) -> Tags {
    if limits::tags(&list).is_ok() { tags(list) } else { Tags::new() }
}

/// Records one finished call into the phase: its timings, or its error class (and a refusal of
/// the credentials, which the report explains).
fn record(stats: &PhaseStats, extra: &Tags, started: Instant, result: &Result<openai::Completion, LlmError>) {
    match result {
        Ok(c) => stats.record_llm(extra, &LlmSample { started: Some(started), ..sample(c) }),
        Err(e) => {
            stats.record_failure(extra, RequestKind::Llm, e.class, e.status, Some(started));
            if matches!(e.status, Some(401 | 403)) {
                stats.record_credentials_refused();
            }
        }
    }
}

/// A call's outcome as the guest reads it.
fn for_guest(result: Result<openai::Completion, LlmError>) -> Result<Completion, Error> {
    match result {
        Ok(c) => Ok(Completion {
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
        }),
        Err(e) => Err(Error { class: e.class.into(), status: e.status, message: e.message }),
    }
}
