//! Multi-turn conversations: a [`Session`] holds one conversation's history, so each turn sends
//! everything said so far plus the new user message, and the answer becomes history for the next
//! turn — the traffic a chat product sends, and what exercises a server's prefix cache across
//! turns.

use super::{Completion, LlmError, Message, Request, chat};

/// The header that carries the session id (what routers and gateways use for session affinity).
pub const SESSION_HEADER: &str = "x-session-id";

/// One conversation held by a VU; its history grows with each answered turn.
///
/// ```no_run
/// # use runner_sdk::llm::Session;
/// let mut s = Session::new("vu3-conv7").system("Answer briefly.");
/// for question in ["What is a KV cache?", "And prefix caching?"] {
///     let reply = s.send(s.ask(question).max_tokens(64))?;
///     runner_sdk::clock::sleep(std::time::Duration::from_secs(2)); // think time
/// #   let _ = reply;
/// }
/// # Ok::<(), runner_sdk::llm::LlmError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    id: String,
    header: String,
    system: Option<String>,
    history: Vec<Message>,
    turns: u32,
}

impl Session {
    /// A new, empty conversation; `id` goes out in the [`SESSION_HEADER`] header of every turn.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), header: SESSION_HEADER.into(), system: None, history: Vec::new(), turns: 0 }
    }

    /// The system message every turn opens with.
    pub fn system(mut self, content: impl Into<String>) -> Self {
        self.system = Some(content.into());
        self
    }

    /// Sends the session id under another header name (e.g. `x-user-id`); empty sends none.
    pub fn header_name(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Turns sent so far (answered or not).
    pub fn turns(&self) -> u32 {
        self.turns
    }

    /// The conversation so far (user messages and answers, no system message).
    pub fn history(&self) -> &[Message] {
        &self.history
    }

    /// The request for the next turn: the history, then `content` as the user's message, the
    /// session header and the tag `turn` = the turn's number from 1 (reports break TTFT down by
    /// it). Send it with [`Session::send`], after any changes (`max_tokens`, tags, ...).
    pub fn ask(&self, content: impl Into<String>) -> Request {
        self.ask_message(Message { role: "user".into(), content: content.into(), images: Vec::new() })
    }

    /// [`Session::ask`] with a whole user message (images included).
    pub fn ask_message(&self, user: Message) -> Request {
        let mut req = chat("");
        req.messages = self.history.clone();
        req.messages.push(user);
        req.system = self.system.clone();
        if !self.header.is_empty() {
            req = req.header(self.header.clone(), self.id.clone());
        }
        req.tag("turn", self.turns + 1)
    }

    /// Sends a request made by [`Session::ask`]; when answered, its user message and the answer's
    /// text join the history. A failed turn leaves the history as it was (the next turn asks
    /// again from there) but counts as a turn.
    pub fn send(&mut self, req: Request) -> Result<Completion, LlmError> {
        self.send_inner(req, None)
    }

    /// [`Session::send`], but the history keeps `answer` (a dataset's recorded answer) instead of
    /// the server's, so a replay sends the same prompts whatever the model says.
    pub fn send_with_answer(
        &mut self,
        req: Request,
        answer: impl Into<String>,
    ) -> Result<Completion, LlmError> {
        self.send_inner(req, Some(answer.into()))
    }

    fn send_inner(&mut self, req: Request, answer: Option<String>) -> Result<Completion, LlmError> {
        let user = req.messages.last().cloned();
        self.turns += 1;
        let done = req.send()?;
        if let Some(user) = user {
            self.record(user, answer.unwrap_or_else(|| done.text.clone()));
        }
        Ok(done)
    }

    /// Adds a turn to the history without sending it: a recorded answer instead of the server's
    /// (to replay a dataset's conversation word for word), or context to start from.
    pub fn record(&mut self, user: Message, answer: impl Into<String>) {
        self.history.push(user);
        self.history.push(Message { role: "assistant".into(), content: answer.into(), images: Vec::new() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message { role: "user".into(), content: text.into(), images: Vec::new() }
    }

    #[test]
    fn each_turn_carries_the_history_the_header_and_its_number() {
        let mut s = Session::new("c1").system("sys");
        s.record(user("q1"), "a1");
        let raw = s.ask("q2").into_raw_with_model(None);
        let roles: Vec<_> = raw.messages.iter().map(|m| (m.role.as_str(), m.content.as_str())).collect();
        assert_eq!(roles, [("system", "sys"), ("user", "q1"), ("assistant", "a1"), ("user", "q2")]);
        assert_eq!(raw.headers, [(SESSION_HEADER.to_string(), "c1".to_string())]);
        assert_eq!(raw.tags, [("turn".to_string(), "1".to_string())], "recorded turns were not sent");
    }

    #[test]
    fn no_header_when_its_name_is_empty() {
        let raw = Session::new("c1").header_name("").ask("q").into_raw_with_model(None);
        assert!(raw.headers.is_empty());
    }
}
