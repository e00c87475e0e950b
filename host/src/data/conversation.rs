//! Whole conversations of dataset rows, for multi-turn replay: a ShareGPT `conversations` list
//! or a JSONL `messages` list split into turns (each user message and the answer recorded after
//! it), with the answers' lengths measured by the run's token counter.

use super::TokenCounter;

/// A row's conversation, turn by turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The system message that opens it, if any.
    pub system: Option<String>,
    /// At least one turn.
    pub turns: Vec<Turn>,
}

/// One user message and what the model answered (when the dataset holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub user: String,
    pub answer: Option<String>,
    /// The answer's length in tokens (the recorded answer's, or the length the row asks for on a
    /// single-turn row), when known.
    pub answer_tokens: Option<u32>,
}

impl Conversation {
    /// Splits `(role, content)` messages into turns: a system message before the first user
    /// message opens the conversation; each user message starts a turn and the assistant messages
    /// after it (joined) are its answer. Messages before the first user turn other than a system
    /// one, and later system messages, carry no turn and are dropped. `None` without a user turn.
    pub fn from_messages<'a>(
        messages: impl IntoIterator<Item = (&'a str, &'a str)>,
        counter: &TokenCounter,
    ) -> Option<Self> {
        let mut system = None;
        let mut turns: Vec<Turn> = Vec::new();
        for (role, content) in messages {
            match (role, turns.last_mut()) {
                ("user", _) => {
                    turns.push(Turn { user: content.to_string(), answer: None, answer_tokens: None })
                }
                ("system", None) if system.is_none() => system = Some(content.to_string()),
                ("assistant", Some(turn)) => match &mut turn.answer {
                    Some(answer) => {
                        answer.push('\n');
                        answer.push_str(content);
                    }
                    None => turn.answer = Some(content.to_string()),
                },
                _ => {}
            }
        }
        for turn in &mut turns {
            turn.answer_tokens = turn.answer.as_deref().map(|a| counter.count(a));
        }
        (!turns.is_empty()).then_some(Self { system, turns })
    }

    /// A single-prompt row as a one-turn conversation.
    pub fn single(prompt: &str, answer_tokens: Option<u32>) -> Self {
        Self { system: None, turns: vec![Turn { user: prompt.to_string(), answer: None, answer_tokens }] }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_into_turns_with_their_answers() {
        let messages = [
            ("system", "be brief"),
            ("user", "one two"),
            ("assistant", "three"),
            ("user", "four"),
            ("assistant", "five six"),
            ("assistant", "seven"),
            ("user", "eight"),
        ];
        let c = Conversation::from_messages(messages, &TokenCounter::Estimate).expect("a conversation");
        assert_eq!(c.system.as_deref(), Some("be brief"));
        let turns: Vec<_> =
            c.turns.iter().map(|t| (t.user.as_str(), t.answer.as_deref(), t.answer_tokens)).collect();
        assert_eq!(
            turns,
            [
                ("one two", Some("three"), Some(1)),
                ("four", Some("five six\nseven"), Some(3)),
                ("eight", None, None)
            ]
        );
    }

    #[test]
    fn no_user_turn_is_no_conversation() {
        let messages = [("system", "s"), ("assistant", "a")];
        assert_eq!(Conversation::from_messages(messages, &TokenCounter::Estimate), None);
    }

    #[test]
    fn an_answer_before_any_user_turn_is_dropped() {
        let messages = [("assistant", "hello"), ("user", "hi")];
        let c = Conversation::from_messages(messages, &TokenCounter::Estimate).expect("a conversation");
        assert_eq!((c.turns.len(), c.turns[0].answer.as_deref()), (1, None));
    }
}
