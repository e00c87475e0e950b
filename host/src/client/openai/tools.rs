//! Tool calls in an answer: streamed as pieces under `delta.tool_calls[i]` (one entry per call,
//! told apart by its `index`), or whole under `message.tool_calls`. [`ToolCalls`] joins the pieces
//! into [`ToolCall`]s, within bounds a hostile server cannot push past.

use serde_json::Value;

use super::body::json_kind;

/// The most tool calls one answer may carry: far more than any model asks for at once, few enough
/// that a server inventing a new `index` in every event cannot make the list grow without end.
pub(super) const MAX_TOOL_CALLS: usize = 128;

/// One tool call the model asked for, its streamed pieces joined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolCall {
    /// The call's `id` (`call_…`), as the server named it; empty when it sent none.
    pub id: String,
    /// `function.name`.
    pub name: String,
    /// `function.arguments`, the pieces concatenated: JSON text as the model wrote it, not checked.
    pub arguments: String,
}

/// The tool calls of one answer so far, in the order their `index` first appeared.
#[derive(Debug, Default)]
pub(super) struct ToolCalls {
    /// `(index, call)`; a linear search is fine at [`MAX_TOOL_CALLS`].
    calls: Vec<(u64, ToolCall)>,
    /// Bytes held in ids, names and arguments, for the answer's text cap.
    bytes: usize,
}

impl ToolCalls {
    /// Bytes held, counted against the answer's cap on generated text.
    pub(super) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Reads one `tool_calls` array (a stream delta's or a whole message's). Returns whether it
    /// carried at least one entry: a chunk that does is generated output, as content is.
    pub(super) fn read(&mut self, value: Option<&Value>, at: &str) -> Result<bool, String> {
        let entries = match value {
            None | Some(Value::Null) => return Ok(false),
            Some(Value::Array(entries)) => entries,
            Some(other) => return Err(format!("`{at}.tool_calls` is {}, not an array", json_kind(other))),
        };
        for (position, entry) in entries.iter().enumerate() {
            if !entry.is_object() {
                return Err(format!("an entry of `{at}.tool_calls` is {}, not an object", json_kind(entry)));
            }
            // Servers that send one call at a time sometimes leave `index` out: its place in the
            // array then stands for it.
            let index = entry.get("index").and_then(Value::as_u64).unwrap_or(position as u64);
            let function = entry.get("function");
            let piece = |v: Option<&Value>| -> Option<String> {
                match v {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    // Some servers send the arguments as an object rather than as JSON text.
                    Some(other) => Some(other.to_string()),
                }
            };
            let id = piece(entry.get("id"));
            let name = piece(function.and_then(|f| f.get("name")));
            let arguments = piece(function.and_then(|f| f.get("arguments")));
            let call = self.call(index)?;
            let mut added = 0;
            if let Some(id) = id {
                added += join(&mut call.id, &id);
            }
            if let Some(name) = name {
                added += join(&mut call.name, &name);
            }
            if let Some(arguments) = arguments {
                added += arguments.len();
                call.arguments.push_str(&arguments);
            }
            self.bytes += added;
        }
        Ok(!entries.is_empty())
    }

    /// The call at `index`, made when first seen.
    fn call(&mut self, index: u64) -> Result<&mut ToolCall, String> {
        let at = match self.calls.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None if self.calls.len() >= MAX_TOOL_CALLS => {
                return Err(format!("the answer carried more than {MAX_TOOL_CALLS} tool calls"));
            }
            None => {
                self.calls.push((index, ToolCall::default()));
                self.calls.len() - 1
            }
        };
        Ok(&mut self.calls[at].1)
    }

    /// The calls, in the order their index first appeared.
    pub(super) fn into_vec(self) -> Vec<ToolCall> {
        self.calls.into_iter().map(|(_, call)| call).collect()
    }
}

/// Joins a streamed `id` or `name` piece onto what came before: OpenAI sends each once, in the
/// call's first delta, but some servers repeat it in every delta (kept once) and others could
/// split it (joined). Returns the bytes added.
fn join(held: &mut String, piece: &str) -> usize {
    if piece.is_empty() || held == piece {
        return 0;
    }
    held.push_str(piece);
    piece.len()
}
