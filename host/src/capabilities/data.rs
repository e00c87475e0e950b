//! `runner:scenario/data`: datasets given with `--data` and synthetic prompts, both held by
//! the host ([`crate::data`]) and read by the guest by index.

use super::{HostState, limits};
use crate::bindings::runner::scenario::data::{Host, Row};
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
