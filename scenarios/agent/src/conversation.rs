//! The agent's conversation as the chat API takes it: the request body's `tools` and `messages`,
//! written as JSON text. An assistant turn that calls tools, and a tool's result, cannot be said
//! in the SDK's `Message` (a role and a content), so the whole conversation travels in the
//! request's extra body, which the host merges over the body it builds.

use runner_sdk::llm::ToolCall;

/// The functions the agent offers the model. A server that calls tools by itself (the simulated
/// one) calls the first.
pub const TOOLS: &str = concat!(
    r#"[{"type":"function","function":{"name":"search","description":"Searches the web and returns "#,
    r#"the top results.","parameters":{"type":"object","properties":{"query":{"type":"string"}},"#,
    r#""required":["query"]}}},"#,
    r#"{"type":"function","function":{"name":"fetch","description":"Reads one web page.","#,
    r#""parameters":{"type":"object","properties":{"url":{"type":"string"}},"required":["url"]}}}]"#
);

/// The messages of one task so far, each a JSON object.
pub struct Conversation {
    messages: Vec<String>,
}

impl Conversation {
    /// A task: the system prompt and the user's request.
    pub fn new(system: &str, user: &str) -> Self {
        Self { messages: vec![message("system", system), message("user", user)] }
    }

    /// The assistant's turn that asked for `calls` (with its words, if it said any).
    pub fn assistant_calls(&mut self, content: &str, calls: &[ToolCall]) {
        let calls: Vec<String> = calls
            .iter()
            .map(|c| {
                format!(
                    r#"{{"id":{},"type":"function","function":{{"name":{},"arguments":{}}}}}"#,
                    quoted(&c.id),
                    quoted(&c.name),
                    quoted(&c.arguments)
                )
            })
            .collect();
        let content = if content.is_empty() { "null".to_string() } else { quoted(content) };
        self.messages.push(format!(
            r#"{{"role":"assistant","content":{content},"tool_calls":[{}]}}"#,
            calls.join(",")
        ));
    }

    /// The result of the tool call `id`.
    pub fn tool_result(&mut self, id: &str, content: &str) {
        self.messages.push(format!(
            r#"{{"role":"tool","tool_call_id":{},"content":{}}}"#,
            quoted(id),
            quoted(content)
        ));
    }

    /// The extra body of the next model call: the tools and the conversation, then the fields of
    /// the operator's `extra_body` (a JSON object), which win over ours (the host keeps the last
    /// of repeated fields). An `extra_body` that is not an object is passed on as it is, for the
    /// host to refuse with its own message.
    pub fn body(&self, extra: &str) -> String {
        let ours = format!(r#""tools":{TOOLS},"messages":[{}]"#, self.messages.join(","));
        merged(&ours, extra)
    }
}

/// `{ours, …extra's fields}`, or `extra` as it is when it is not a JSON object.
fn merged(ours: &str, extra: &str) -> String {
    let extra = extra.trim();
    if extra.is_empty() {
        return format!("{{{ours}}}");
    }
    match extra.strip_prefix('{').map(str::trim_start) {
        Some(rest) if rest.starts_with('}') => format!("{{{ours}}}"),
        Some(rest) => format!("{{{ours},{rest}"),
        None => extra.to_string(),
    }
}

/// A message with a text content.
fn message(role: &str, content: &str) -> String {
    format!(r#"{{"role":"{role}","content":{}}}"#, quoted(content))
}

/// `s` as a JSON string literal.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
