//! What the mock's answers look like on the wire: one generation request ([`Job`]) and the SSE
//! events or the whole body it becomes, in the shapes real servers send.
//!
//! - *Plain*: one token per chunk, in `delta.content` (chat) or `text` (completions).
//! - *Reasoning* (chat, `reasoning=N`): the first N tokens go in `delta.reasoning_content`, as
//!   vLLM's and SGLang's reasoning parsers and DeepSeek's API send them, then the answer; they
//!   count toward the output length and are reported in `usage.completion_tokens_details`.
//! - *Tool calls* (chat, a request with `tools`): the answer is one streamed tool call, its id and
//!   name in the first piece, its arguments (`{"input":"…"}`) spread over the tokens, ending with
//!   `finish_reason: "tool_calls"`.
//! - *Several tokens per chunk* (`tokens-per-chunk=K`): after the first token, which leaves alone
//!   as a server's first decoded token does, each chunk carries K tokens (the last fewer) and
//!   leaves when its last token is due, as with speculative decoding or a stream interval. A chunk
//!   never mixes reasoning and answer.
//! - *Cached tokens* (`cached-tokens=N`): usage reports `prompt_tokens_details.cached_tokens`,
//!   N or the prompt's length if shorter; with a prefix cache (`prefix-cache=BLOCK`), the tokens
//!   the cache held for this request.
//!
//! Token k's text is always `word(k)`, whatever field carries it, so tests know every byte.

use bytes::Bytes;

/// The words the mock "generates", one per token, cycled. Plain ASCII, so they never need JSON escaping.
const WORDS: [&str; 8] = ["the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dogs "];

/// The text of token `k`.
pub(super) fn word(k: u64) -> &'static str {
    // `k % len` is below 8, so the index is always in range.
    WORDS[(k % WORDS.len() as u64) as usize]
}

/// The full text of `n` tokens.
pub(super) fn text(n: u32) -> String {
    (0..u64::from(n)).map(word).collect()
}

/// The text of tokens `from..to`.
fn words(from: u64, to: u64) -> String {
    (from..to).map(word).collect()
}

/// What kind of response a generation request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `/v1/chat/completions`.
    Chat,
    /// `/v1/completions`.
    Completion,
}

/// What a token of the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Reasoning,
    Content,
    Tool,
}

/// One accepted generation request, already validated.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub kind: Kind,
    pub seq: u64,
    pub id: String,
    pub created: u64,
    pub model: String,
    /// Tokens generated, reasoning included.
    pub max_tokens: u32,
    /// The answer ends at the model's end of sequence (`finish_reason: "stop"`), before the
    /// request's limit.
    pub stop: bool,
    pub prompt_tokens: u64,
    pub include_usage: bool,
    /// The first `reasoning` tokens are reasoning (at most `max_tokens`; chat only).
    pub reasoning: u32,
    /// Answer with a call of this function rather than content (chat only).
    pub tool: Option<String>,
    /// Reported as `prompt_tokens_details.cached_tokens` when set (at most `prompt_tokens`);
    /// with a prefix cache, set when the request is scheduled.
    pub cached_tokens: Option<u64>,
    /// The chained hashes of the prompt's full blocks, for the prefix cache (empty without one).
    pub blocks: Vec<u64>,
    /// Tokens per chunk after the first; at least 1.
    pub tokens_per_chunk: u32,
}

impl Job {
    fn part(&self, k: u64) -> Part {
        if k < u64::from(self.reasoning) {
            Part::Reasoning
        } else if self.tool.is_some() {
            Part::Tool
        } else {
            Part::Content
        }
    }

    /// Whether the chunk that carries token `k` ends with it: the first token leaves alone, then
    /// every `tokens_per_chunk`-th, the last reasoning token and the last token end a chunk.
    pub(super) fn ends_chunk(&self, k: u64) -> bool {
        let max = u64::from(self.max_tokens);
        k == 0
            || k + 1 >= max
            || k + 1 == u64::from(self.reasoning)
            || k.is_multiple_of(u64::from(self.tokens_per_chunk.max(1)))
    }

    fn usage_json(&self) -> String {
        let n = u64::from(self.max_tokens);
        let mut usage = format!(
            r#"{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{}"#,
            self.prompt_tokens,
            n,
            self.prompt_tokens + n
        );
        if self.reasoning > 0 {
            usage += &format!(r#","completion_tokens_details":{{"reasoning_tokens":{}}}"#, self.reasoning);
        }
        if let Some(cached) = self.cached_tokens {
            usage += &format!(
                r#","prompt_tokens_details":{{"cached_tokens":{}}}"#,
                cached.min(self.prompt_tokens)
            );
        }
        usage + "}"
    }

    /// The common head of every chunk of this stream, up to and including `"choices":[`.
    pub(super) fn chunk_head(&self) -> String {
        let object = match self.kind {
            Kind::Chat => "chat.completion.chunk",
            Kind::Completion => "text_completion",
        };
        format!(
            r#"data: {{"id":{},"object":"{}","created":{},"model":{},"choices":["#,
            json_str(&self.id),
            object,
            self.created,
            json_str(&self.model)
        )
    }

    fn finish_reason(&self) -> &'static str {
        match (&self.tool, self.stop) {
            (Some(_), _) => "tool_calls",
            (None, true) => "stop",
            (None, false) => "length",
        }
    }

    /// The id of the tool call.
    fn call_id(&self) -> String {
        format!("call_mock_{}", self.seq)
    }

    /// The piece of the tool call's arguments that tokens `from..to` carry: `{"input":"` with the
    /// first tool token, then one word per token, and `"}` with the last.
    fn arguments(&self, from: u64, to: u64) -> String {
        let first = u64::from(self.reasoning);
        let mut piece = String::new();
        for k in from..to {
            if k == first {
                piece.push_str(r#"{"input":""#);
            } else {
                piece.push_str(word(k));
            }
        }
        if to == u64::from(self.max_tokens) {
            piece.push_str(r#""}"#);
        }
        piece
    }

    /// The SSE event carrying tokens `from..to` (one chunk: all of one [`Part`]).
    pub(super) fn chunk_event(&self, head: &str, from: u64, to: u64) -> Bytes {
        let last = to >= u64::from(self.max_tokens);
        let finish = if last { format!(r#""{}""#, self.finish_reason()) } else { "null".to_string() };
        // The first chunk also carries the role, as vLLM's role chunk would, without adding an event
        // that has no content (which would confuse TTFT).
        let role = if from == 0 { r#""role":"assistant","# } else { "" };
        let choice = match (self.kind, self.part(from)) {
            (Kind::Completion, _) => {
                format!(
                    r#"{{"index":0,"text":"{}","logprobs":null,"finish_reason":{finish}}}"#,
                    words(from, to)
                )
            }
            (Kind::Chat, Part::Content) => format!(
                r#"{{"index":0,"delta":{{{role}"content":"{}"}},"logprobs":null,"finish_reason":{finish}}}"#,
                words(from, to)
            ),
            (Kind::Chat, Part::Reasoning) => format!(
                r#"{{"index":0,"delta":{{{role}"reasoning_content":"{}"}},"logprobs":null,"finish_reason":{finish}}}"#,
                words(from, to)
            ),
            (Kind::Chat, Part::Tool) => {
                let arguments = json_str(&self.arguments(from, to));
                let call = if from == u64::from(self.reasoning) {
                    format!(
                        r#"{{"index":0,"id":{},"type":"function","function":{{"name":{},"arguments":{arguments}}}}}"#,
                        json_str(&self.call_id()),
                        json_str(self.tool.as_deref().unwrap_or_default())
                    )
                } else {
                    format!(r#"{{"index":0,"function":{{"arguments":{arguments}}}}}"#)
                };
                format!(
                    r#"{{"index":0,"delta":{{{role}"tool_calls":[{call}]}},"logprobs":null,"finish_reason":{finish}}}"#
                )
            }
        };
        Bytes::from(format!("{head}{choice}]}}\n\n"))
    }

    /// The final `choices: []` event carrying usage.
    pub(super) fn usage_event(&self, head: &str) -> Bytes {
        Bytes::from(format!(r#"{head}],"usage":{}}}"#, self.usage_json()) + "\n\n")
    }

    /// The whole non-streaming response body.
    pub(super) fn full_body(&self) -> Bytes {
        let max = u64::from(self.max_tokens);
        let reasoning = u64::from(self.reasoning).min(max);
        let (object, choice) = match self.kind {
            Kind::Chat => {
                let mut message = String::from(r#"{"role":"assistant""#);
                if reasoning > 0 {
                    message += &format!(r#","reasoning_content":{}"#, json_str(&words(0, reasoning)));
                }
                match &self.tool {
                    Some(name) => {
                        message += &format!(
                            r#","content":null,"tool_calls":[{{"id":{},"type":"function","function":{{"name":{},"arguments":{}}}}}]"#,
                            json_str(&self.call_id()),
                            json_str(name),
                            json_str(&self.arguments(reasoning, max))
                        )
                    }
                    None => message += &format!(r#","content":{}"#, json_str(&words(reasoning, max))),
                }
                message.push('}');
                (
                    "chat.completion",
                    format!(
                        r#"{{"index":0,"message":{message},"logprobs":null,"finish_reason":"{}"}}"#,
                        self.finish_reason()
                    ),
                )
            }
            Kind::Completion => (
                "text_completion",
                format!(
                    r#"{{"index":0,"text":{},"logprobs":null,"finish_reason":"{}"}}"#,
                    json_str(&text(self.max_tokens)),
                    self.finish_reason()
                ),
            ),
        };
        Bytes::from(format!(
            r#"{{"id":{},"object":"{}","created":{},"model":{},"choices":[{}],"usage":{}}}"#,
            json_str(&self.id),
            object,
            self.created,
            json_str(&self.model),
            choice,
            self.usage_json()
        ))
    }
}

/// `s` as a JSON string literal.
pub(super) fn json_str(s: &str) -> String {
    // Serialising a &str cannot fail; fall back to an empty literal rather than panic.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}
