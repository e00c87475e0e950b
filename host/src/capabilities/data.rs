//! `runner:scenario/data`: datasets given with `--data` and synthetic prompts, both held by
//! the host ([`crate::data`]) and read by the guest by index.

use super::HostState;
use crate::bindings::runner::scenario::data::{Host, Row};
use crate::bindings::runner::scenario::types::Message;

/// A dataset row's conversation as the WIT carries it (for `data.get` and `llm` prompt sources).
pub(super) fn messages(row: &crate::data::Row) -> impl Iterator<Item = Message> + '_ {
    row.messages.iter().map(|(role, content)| Message {
        role: role.clone(),
        content: content.clone(),
        images: Vec::new(),
    })
}

impl Host for HostState {
    async fn len(&mut self, name: String) -> wasmtime::Result<Result<u64, String>> {
        Ok(self.run.settings.datasets.get(&name).map(|d| d.len() as u64).map_err(|e| e.to_string()))
    }

    async fn get(&mut self, name: String, index: u64) -> wasmtime::Result<Result<Row, String>> {
        Ok(self.run.settings.datasets.get(&name).map_err(|e| e.to_string()).map(|d| {
            let row = d.row(index);
            Row {
                prompt: row.prompt.clone(),
                messages: messages(row).collect(),
                output_tokens: row.output_tokens,
            }
        }))
    }

    async fn synthetic_prompt(&mut self, tokens: u32, seed: u64) -> wasmtime::Result<String> {
        Ok(self.run.settings.tokens.synthetic(tokens, seed))
    }

    async fn count_tokens(&mut self, text: String) -> wasmtime::Result<u32> {
        Ok(self.run.settings.tokens.count(&text))
    }
}
