//! `runner:scenario/data`: datasets given with `--data` and synthetic prompts, both held by
//! the host ([`crate::data`]) and read by the guest by index.

use super::HostState;
use crate::bindings::runner::scenario::data::{Host, Row};
use crate::bindings::runner::scenario::types::Message;

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

impl Host for HostState {
    async fn len(&mut self, name: String) -> wasmtime::Result<Result<u64, String>> {
        Ok(self.run.settings.datasets.get(&name).map(|d| d.len() as u64).map_err(|e| e.to_string()))
    }

    async fn get(&mut self, name: String, index: u64) -> wasmtime::Result<Result<Row, String>> {
        Ok(self.run.settings.datasets.get(&name).map_err(|e| e.to_string()).map(|d| {
            let row = d.row(index);
            Row { prompt: row.prompt.clone(), messages: messages(row), output_tokens: row.output_tokens }
        }))
    }

    async fn synthetic_prompt(&mut self, tokens: u32, seed: u64) -> wasmtime::Result<String> {
        Ok(self.run.settings.tokens.synthetic(tokens, seed))
    }

    async fn count_tokens(&mut self, text: String) -> wasmtime::Result<u32> {
        Ok(self.run.settings.tokens.count(&text))
    }
}
