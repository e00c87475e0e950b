//! `runner:scenario/data`: datasets given with `--data` and synthetic prompts, both held by
//! the host ([`crate::data`]) and read by the guest by index.

use super::{HostState, limits};
use crate::bindings::runner::scenario::data::{Conversation, Host, Row, Turn};
use crate::bindings::runner::scenario::types::Message;

/// The kind of cap note for synthetic prompts cut to [`limits::MAX_PROMPT_TOKENS`].
pub const PROMPT_CUT: &str = "synthetic prompts were cut to the maximum of 1048576 tokens";

/// A dataset row's conversation as the WIT carries it, its images on the last turn (the user's).
/// A guest that reads a row gets its images too (`data:` URLs may be megabytes: `llm`'s dataset
/// prompt source sends a row without copying it into the guest).
fn messages(row: &crate::data::Row) -> Vec<Message> {
    let mut turns: Vec<Message> = row
        .messages
        .iter()
        .map(|(role, content)| Message { role: role.clone(), content: content.clone(), images: Vec::new() })
        .collect();
    if let Some(last) = turns.last_mut() {
        last.images = row.images.iter().map(|url| url.to_string()).collect();
    }
    turns
}

/// A dataset row's whole conversation as the WIT carries it; the row's images go with the user
/// turn they belong to (the last of the row's `messages`).
fn conversation(row: &crate::data::Row) -> Conversation {
    let whole = row.conversation();
    let image_turn = row.messages.iter().filter(|(role, _)| role == "user").count().saturating_sub(1);
    let turns = whole
        .turns
        .iter()
        .enumerate()
        .map(|(i, t)| Turn {
            user: Message {
                role: "user".into(),
                content: t.user.clone(),
                images: if i == image_turn {
                    row.images.iter().map(|u| u.to_string()).collect()
                } else {
                    Vec::new()
                },
            },
            answer: t.answer.clone(),
            answer_tokens: t.answer_tokens,
        })
        .collect();
    Conversation { system: whole.system.clone(), turns }
}

#[cfg(test)]
#[test]
fn the_cut_note_names_the_cap() {
    assert!(PROMPT_CUT.contains(&limits::MAX_PROMPT_TOKENS.to_string()));
}

impl Host for HostState {
    async fn len(&mut self, name: String) -> wasmtime::Result<Result<u64, String>> {
        Ok(self.run.settings.datasets.get(&name).map(|d| d.len() as u64).map_err(|e| e.to_string()))
    }

    async fn get(&mut self, name: String, index: u64) -> wasmtime::Result<Result<Row, String>> {
        let settings = &self.run.settings;
        Ok(settings.datasets.get(&name).map_err(|e| e.to_string()).map(|d| {
            let row = d.row(index, settings.seed);
            Row { messages: messages(&row), output_tokens: row.output_tokens, prompt: row.prompt.clone() }
        }))
    }

    async fn get_conversation(
        &mut self,
        name: String,
        index: u64,
    ) -> wasmtime::Result<Result<Conversation, String>> {
        let settings = &self.run.settings;
        Ok(settings
            .datasets
            .get(&name)
            .map_err(|e| e.to_string())
            .map(|d| conversation(&d.row(index, settings.seed))))
    }

    async fn arrival_offsets(&mut self, name: String) -> wasmtime::Result<Result<Vec<f64>, String>> {
        let dataset = match self.run.settings.datasets.get(&name) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e.to_string())),
        };
        Ok(dataset.arrival_offsets().ok_or_else(|| {
            format!(
                "dataset {name:?} ({}) has no timestamps: arrival offsets come from a trace \
                 (Mooncake JSONL, Azure or BurstGPT CSV)",
                dataset.path.display()
            )
        }))
    }

    async fn synthetic_prompt(&mut self, tokens: u32, seed: u64) -> wasmtime::Result<String> {
        // The WIT gives this call no error: past the cap, the prompt is cut to it and the report
        // says so (`llm`'s synthetic prompt source refuses instead, with an error the guest sees).
        let capped = tokens.min(limits::MAX_PROMPT_TOKENS);
        if capped < tokens {
            self.stats().caps.record(PROMPT_CUT, 1, || format!("{tokens} tokens asked for"));
        }
        Ok(self.run.settings.tokens.synthetic(capped, seed))
    }

    async fn count_tokens(&mut self, text: String) -> wasmtime::Result<u32> {
        Ok(self.run.settings.tokens.count(&text))
    }
}
