//! OpenAI-compatible calls: completions ([`chat`], [`completion`]; several at once with
//! [`send_all`]) and embeddings ([`embed`]). The host sends the request, parses the stream and
//! records TTFT, TTFO, ITL, TPOT, E2E and token counts; this module only builds what to send, and
//! reads a [`Completion`] back (its fields, plus a few accessors for what real servers add:
//! reasoning, tool calls, prefix-cache hits).

use std::time::Duration;

use crate::bindings::runner::scenario::llm as raw;
use crate::{Tags, millis, params};

mod embed;
mod session;

pub use crate::bindings::runner::scenario::types::Message;
pub use embed::{EmbedRequest, embed, embed_from_dataset, embed_synthetic};
pub use raw::{
    Api, Completion, DatasetRow, Embedding, ErrorClass, MaxTokensField, PromptSource, SyntheticPrompt,
    TokenSource, ToolCall,
};
pub use session::{SESSION_HEADER, Session};

/// A failed call: its class, the HTTP status when one came back, and a message.
pub type LlmError = raw::Error;

impl From<LlmError> for String {
    fn from(e: LlmError) -> Self {
        let class = class_name(e.class);
        match e.status {
            Some(status) => format!("llm {class} (HTTP {status}): {}", e.message),
            None => format!("llm {class}: {}", e.message),
        }
    }
}

/// The WIT name of an error class (`http-status`), for messages and tags.
pub fn class_name(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Connect => "connect",
        ErrorClass::Timeout => "timeout",
        ErrorClass::HttpStatus => "http-status",
        ErrorClass::Reset => "reset",
        ErrorClass::MalformedStream => "malformed-stream",
        ErrorClass::InvalidRequest => "invalid-request",
        ErrorClass::Denied => "denied",
        ErrorClass::ServerError => "server-error",
        ErrorClass::Other => "other",
    }
}

/// The model a request sends: the one set on it (even empty), else the `model` parameter
/// (`param`, asked only then) unless it is blank, else none.
fn model_or_param(set: Option<String>, param: impl FnOnce() -> Option<String>) -> Option<String> {
    set.or_else(|| param().filter(|m| !m.trim().is_empty()))
}

/// The extra body with `"ignore_eos":true` put first inside the scenario's JSON object, so a
/// field of the scenario's own wins (the host reads the last of repeated fields); a text that is
/// not an object is left as it is (the host refuses it with its own message).
fn with_ignore_eos(extra: Option<String>) -> Option<String> {
    const FIELD: &str = r#"{"ignore_eos":true"#;
    let Some(extra) = extra else { return Some(format!("{FIELD}}}")) };
    let Some(rest) = extra.trim_start().strip_prefix('{') else { return Some(extra) };
    let inner = rest.trim_start();
    Some(if inner.starts_with('}') { format!("{FIELD}{inner}") } else { format!("{FIELD},{rest}") })
}

/// Records whether `done` has the length its request asked for, judged by its `finish_reason`.
/// An answer cut at `max_tokens` (`length`) must have exactly that many tokens: the check
/// `output_tokens == max_tokens`. An answer the model ended itself (`stop`: what `ignore_eos`
/// prevents on servers that honour it) is counted under `stopped_early` instead, so a short answer
/// shows in the report without being taken for a broken server.
pub fn check_length(done: &Completion, max_tokens: u32) {
    if done.finish_reason.as_deref().is_none_or(|r| r == "length") {
        crate::metrics::check("output_tokens == max_tokens", done.output_tokens == max_tokens);
    } else {
        crate::metrics::count("stopped_early", 1);
    }
}

/// A completion request being built; send it with [`Request::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct Request {
    api: Api,
    model: Option<String>,
    system: Option<String>,
    messages: Vec<Message>,
    prompt: String,
    prompt_source: PromptSource,
    max_tokens: Option<u32>,
    max_tokens_field: MaxTokensField,
    stream: bool,
    extra_body: Option<String>,
    ignore_eos: bool,
    headers: Vec<(String, String)>,
    timeout_ms: Option<u64>,
    tags: Tags,
}

/// A chat request (`/v1/chat/completions`) with one user message.
pub fn chat(content: impl Into<String>) -> Request {
    let mut req = Request::new(Api::Chat);
    req.messages.push(Message { role: "user".into(), content: content.into(), images: Vec::new() });
    req
}

/// A chat request whose conversation the host takes from row `index` (modulo its length) of
/// dataset `name` (`runner play --data name=path`); the row's answer length is the default
/// `max_tokens`. The prompt never crosses into the guest.
pub fn chat_from_dataset(name: &str, index: u64) -> Request {
    Request::new(Api::Chat).dataset_row(name, index)
}

/// A chat request with a synthetic prompt of `tokens` tokens built by the host (exact with
/// `--tokenizer`), the same for the same `seed`.
pub fn chat_synthetic(tokens: u32, seed: u64) -> Request {
    Request::new(Api::Chat).synthetic_prompt(tokens, seed)
}

/// A text completion request (`/v1/completions`).
pub fn completion(prompt: impl Into<String>) -> Request {
    let mut req = Request::new(Api::Completions);
    req.prompt = prompt.into();
    req
}

impl Request {
    fn new(api: Api) -> Self {
        Self {
            api,
            model: None,
            system: None,
            messages: Vec::new(),
            prompt: String::new(),
            prompt_source: PromptSource::Inline,
            max_tokens: None,
            max_tokens_field: MaxTokensField::MaxTokens,
            stream: true,
            extra_body: None,
            ignore_eos: false,
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

    /// Takes the prompt from row `index` of dataset `name`, on the host (see [`chat_from_dataset`]).
    pub fn dataset_row(mut self, name: &str, index: u64) -> Self {
        self.prompt_source = PromptSource::Dataset(DatasetRow { name: name.to_owned(), index });
        self
    }

    /// Uses a synthetic prompt of `tokens` tokens built on the host (see [`chat_synthetic`]).
    pub fn synthetic_prompt(mut self, tokens: u32, seed: u64) -> Self {
        self.prompt_source = PromptSource::Synthetic(SyntheticPrompt { tokens, seed });
        self
    }

    /// The most tokens to generate, sent as `max_tokens` (every OpenAI-compatible server takes it).
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self.max_tokens_field = MaxTokensField::MaxTokens;
        self
    }

    /// The most tokens to generate, sent as `max_completion_tokens` (OpenAI's newer name, which
    /// reasoning models require). The last of this and [`Request::max_tokens`] wins.
    pub fn max_completion_tokens(mut self, n: u32) -> Self {
        self.max_tokens = Some(n);
        self.max_tokens_field = MaxTokensField::MaxCompletionTokens;
        self
    }

    /// A header for this request only (e.g. `x-session-id` for session affinity), sent after the
    /// run's (`--header`, the API key); one of the same name replaces the run's. Its value is
    /// never recorded. A bad name or value fails the call as `invalid-request`.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds an image (an `https://` or `data:` URL) to the last message, sent after its text as
    /// content parts (chat only). With no message yet, as for [`chat_synthetic`] or
    /// [`chat_from_dataset`], it starts an empty user turn whose images the host moves onto the
    /// prompt's user turn.
    pub fn image(mut self, url: impl Into<String>) -> Self {
        if self.messages.is_empty() {
            self.messages.push(Message { role: "user".into(), content: String::new(), images: Vec::new() });
        }
        if let Some(last) = self.messages.last_mut() {
            last.images.push(url.into());
        }
        self
    }

    /// Streams the answer (the default): needed for TTFT and ITL.
    pub fn stream(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// A system message placed before the conversation (chat only).
    pub fn system(mut self, content: impl Into<String>) -> Self {
        self.system = Some(content.into());
        self
    }

    /// Appends a message to the conversation (chat only), for multi-turn requests.
    pub fn message(mut self, role: &str, content: impl Into<String>) -> Self {
        self.messages.push(Message { role: role.to_owned(), content: content.into(), images: Vec::new() });
        self
    }

    /// A JSON object merged into the request body, e.g. `{"temperature":0}`; empty means none.
    pub fn extra(mut self, json: impl Into<String>) -> Self {
        let json = json.into();
        self.extra_body = if json.trim().is_empty() { None } else { Some(json) };
        self
    }

    /// Asks the server to generate exactly `max_tokens` tokens, never stopping at the model's
    /// end of sequence (`"ignore_eos": true` in the body: vLLM, SGLang and llama.cpp honour it;
    /// servers that refuse fields they do not know, such as OpenAI's, answer 400). Sent only
    /// when the request sets `max_tokens`.
    pub fn ignore_eos(mut self, on: bool) -> Self {
        self.ignore_eos = on;
        self
    }

    /// Applies the parameters [`Info::llm_params`](crate::Info::llm_params) declares: `stream`,
    /// `ignore_eos` and `extra_body` (`model` is always taken from its parameter when not set on
    /// the request).
    pub fn llm_params(self) -> Result<Self, String> {
        Ok(self
            .stream(params::flag("stream")?)
            .ignore_eos(params::flag("ignore_eos")?)
            .extra(params::get_or("extra_body", "")))
    }

    /// A per-request timeout instead of the run's default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = Some(millis(timeout));
        self
    }

    /// Adds a tag to this request's metrics (on top of the phase's tags).
    pub fn tag(mut self, key: &str, value: impl ToString) -> Self {
        self.tags.push((key.to_owned(), value.to_string()));
        self
    }

    /// The WIT record this request becomes; `model` is resolved from the parameter when unset.
    pub fn into_raw(mut self) -> raw::Request {
        let model = model_or_param(self.model.take(), || params::get("model"));
        self.into_raw_with_model(model)
    }

    fn into_raw_with_model(self, model: Option<String>) -> raw::Request {
        let mut messages = self.messages;
        if let Some(system) = self.system {
            messages.insert(0, Message { role: "system".into(), content: system, images: Vec::new() });
        }
        raw::Request {
            api: self.api,
            model,
            messages,
            prompt: self.prompt,
            prompt_source: self.prompt_source,
            max_tokens: self.max_tokens,
            max_tokens_field: self.max_tokens_field,
            stream: self.stream,
            // Only with a limit: without one, ignoring the end of sequence would run to the end
            // of the context.
            extra_body: if self.ignore_eos && self.max_tokens.is_some() {
                with_ignore_eos(self.extra_body)
            } else {
                self.extra_body
            },
            headers: self.headers,
            timeout_ms: self.timeout_ms,
            tags: self.tags,
        }
    }

    /// Sends the request and waits for the whole answer.
    pub fn send(self) -> Result<Completion, LlmError> {
        raw::call(&self.into_raw())
    }
}

/// Sends every request at once and waits until all have ended: an agent's parallel
/// sub-requests, joined. The results come in the requests' order, each timed and recorded by the
/// host exactly as [`Request::send`] would; one that fails does not stop the others. At most
/// 256 requests; a longer list is refused whole, each answered `invalid-request`.
pub fn send_all(requests: impl IntoIterator<Item = Request>) -> Vec<Result<Completion, LlmError>> {
    let raw: Vec<raw::Request> = requests.into_iter().map(Request::into_raw).collect();
    raw::call_many(&raw)
}

impl Completion {
    /// Whether the model reasoned before answering: reasoning chunks in the stream, or reasoning
    /// tokens in the server's usage.
    pub fn reasoned(&self) -> bool {
        self.reasoning_chunks > 0 || self.reasoning_tokens.is_some_and(|n| n > 0)
    }

    /// How long the first output waited on reasoning: TTFO − TTFT, in ms (0 for a model that
    /// did not reason). Streaming only; none when the answer held no output.
    pub fn reasoning_ms(&self) -> Option<f64> {
        Some(self.ttfo_ms? - self.ttft_ms?)
    }

    /// The first tool call of the function `name`, if the model asked for one.
    pub fn tool_call(&self, name: &str) -> Option<&ToolCall> {
        self.tool_calls.iter().find(|t| t.name == name)
    }

    /// The share of the prompt the server served from its prefix cache, 0…1; none unless the
    /// server reported both cached and prompt tokens.
    pub fn cached_share(&self) -> Option<f64> {
        match (self.cached_tokens, self.input_tokens) {
            (Some(cached), Some(input)) if input > 0 => Some(f64::from(cached) / f64::from(input)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{cases, list};

    fn completion_with(f: impl FnOnce(&mut Completion)) -> Completion {
        let mut c = Completion {
            status: 200,
            text: String::new(),
            finish_reason: None,
            ttft_ms: None,
            ttfo_ms: None,
            ttst_ms: None,
            e2e_ms: 0.0,
            tpot_ms: None,
            chunk_gaps_ms: Vec::new(),
            chunks: 0,
            input_tokens: None,
            output_tokens: 0,
            output_tokens_source: TokenSource::Counted,
            usage_output_tokens: None,
            counted_output_tokens: 0,
            reasoning_chunks: 0,
            reasoning_tokens: None,
            cached_tokens: None,
            tool_calls: Vec::new(),
        };
        f(&mut c);
        c
    }

    #[test]
    fn accessors_read_reasoning_tool_calls_and_the_cached_share() {
        let plain = completion_with(|c| {
            c.ttft_ms = Some(40.0);
            c.ttfo_ms = Some(40.0);
        });
        assert!(!plain.reasoned());
        assert_eq!((plain.reasoning_ms(), plain.cached_share()), (Some(0.0), None));
        let c = completion_with(|c| {
            c.ttft_ms = Some(40.0);
            c.ttfo_ms = Some(90.0);
            c.reasoning_chunks = 5;
            c.input_tokens = Some(8);
            c.cached_tokens = Some(2);
            c.tool_calls = vec![ToolCall { id: "call_1".into(), name: "f".into(), arguments: "{}".into() }];
        });
        assert!(c.reasoned());
        assert_eq!((c.reasoning_ms(), c.cached_share()), (Some(50.0), Some(0.25)));
        assert_eq!(c.tool_call("f").map(|t| t.id.as_str()), Some("call_1"));
        assert!(c.tool_call("g").is_none());
        // Reasoning seen only in usage (a whole answer) still counts; no output, no TTFO.
        let whole = completion_with(|c| c.reasoning_tokens = Some(3));
        assert!(whole.reasoned() && whole.reasoning_ms().is_none());
    }

    #[test]
    fn chat_defaults_and_system_first() {
        let raw = chat("hi")
            .system("be brief")
            .max_tokens(64)
            .extra("  ")
            .tag("kind", "short")
            .timeout(Duration::from_secs(2))
            .into_raw_with_model(None);
        assert!(matches!(raw.api, Api::Chat));
        assert!(raw.stream, "streaming is the default");
        let roles: Vec<_> = raw.messages.iter().map(|m| (m.role.as_str(), m.content.as_str())).collect();
        assert_eq!(roles, [("system", "be brief"), ("user", "hi")]);
        assert_eq!((raw.max_tokens, raw.extra_body, raw.timeout_ms), (Some(64), None, Some(2_000)));
        assert_eq!(raw.tags, vec![("kind".to_owned(), "short".to_owned())]);
    }

    #[test]
    fn completion_carries_prompt_and_extra() {
        let raw = completion("once upon")
            .stream(false)
            .extra(r#"{"ignore_eos":true}"#)
            .into_raw_with_model(Some("m".into()));
        assert!(matches!(raw.api, Api::Completions));
        assert_eq!((raw.prompt.as_str(), raw.stream), ("once upon", false));
        assert!(raw.messages.is_empty());
        assert_eq!(raw.extra_body.as_deref(), Some(r#"{"ignore_eos":true}"#));
        assert_eq!(raw.model.as_deref(), Some("m"));
    }

    #[test]
    fn prompts_from_the_host_are_referenced_not_copied() {
        let raw = chat_from_dataset("sharegpt", 7).system("s").into_raw_with_model(None);
        assert!(
            matches!(&raw.prompt_source, PromptSource::Dataset(r) if r.name == "sharegpt" && r.index == 7)
        );
        assert_eq!(raw.messages.len(), 1, "only the system message travels");
        let raw = completion("").synthetic_prompt(64, 3).into_raw_with_model(None);
        assert!(matches!(
            raw.prompt_source,
            PromptSource::Synthetic(SyntheticPrompt { tokens: 64, seed: 3 })
        ));
        assert!(matches!(chat("x").into_raw_with_model(None).prompt_source, PromptSource::Inline));
    }

    #[test]
    fn ignore_eos_goes_first_in_the_extra_body() {
        let owned = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        for case in list(&cases()["ignore_eos"], "cases") {
            let mut req = chat("x").max_tokens(8).ignore_eos(case["ignore"].as_bool().expect("a bool"));
            req.extra_body = owned(&case["extra"]);
            assert_eq!(req.into_raw_with_model(None).extra_body, owned(&case["sent"]), "{case}");
        }
        let unlimited = chat("x").ignore_eos(true).into_raw_with_model(None);
        assert_eq!(unlimited.extra_body, None, "no limit, no ignore_eos");
    }

    #[test]
    fn headers_limit_field_and_images_travel_in_the_record() {
        let raw = chat("what is it?")
            .image("https://example.com/a.png")
            .image("data:image/png;base64,iVBORw==")
            .header("x-session-id", "s-1")
            .header("X-Other", "2")
            .max_tokens(9)
            .max_completion_tokens(32)
            .into_raw_with_model(None);
        assert_eq!(raw.headers, vec![("x-session-id".into(), "s-1".into()), ("X-Other".into(), "2".into())]);
        assert_eq!(raw.max_tokens, Some(32));
        assert!(matches!(raw.max_tokens_field, MaxTokensField::MaxCompletionTokens), "the last one wins");
        assert_eq!(raw.messages[0].images, ["https://example.com/a.png", "data:image/png;base64,iVBORw=="]);
        let raw = chat("x").max_completion_tokens(4).max_tokens(5).into_raw_with_model(None);
        assert!(matches!(raw.max_tokens_field, MaxTokensField::MaxTokens));
        assert!(raw.headers.is_empty() && raw.messages[0].images.is_empty(), "none by default");
    }

    #[test]
    fn an_image_goes_on_the_last_turn_or_starts_one() {
        let raw = chat("first")
            .message("assistant", "a")
            .message("user", "second")
            .image("u")
            .into_raw_with_model(None);
        let images: Vec<usize> = raw.messages.iter().map(|m| m.images.len()).collect();
        assert_eq!(images, [0, 0, 1]);
        let raw = chat_synthetic(64, 1).system("s").image("u").into_raw_with_model(None);
        let turns: Vec<_> =
            raw.messages.iter().map(|m| (m.role.as_str(), m.content.as_str(), m.images.len())).collect();
        assert_eq!(turns, [("system", "s", 0), ("user", "", 1)], "an empty user turn carries it to the host");
    }

    #[test]
    fn model_falls_back_to_a_non_blank_param() {
        let owned = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        for case in list(&cases()["model"], "cases") {
            let sent = model_or_param(owned(&case["set"]), || owned(&case["param"]));
            assert_eq!(sent, owned(&case["sent"]), "{case}");
        }
    }
}
