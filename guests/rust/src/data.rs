//! Datasets handed to the run with `runner play --data name=path`, held by the host and read by
//! index. To send a row without copying it through the guest, use
//! [`crate::llm::chat_from_dataset`].

use crate::bindings::runner::scenario::data as raw;

pub use raw::{Conversation, Row, Turn};

/// How many rows dataset `name` has; an error names the datasets the run was given.
pub fn len(name: &str) -> Result<u64, String> {
    raw::len(name)
}

/// Row `index` (modulo the dataset's length) of dataset `name`.
pub fn get(name: &str, index: u64) -> Result<Row, String> {
    raw::get(name, index)
}

/// The whole conversation of row `index` (modulo the dataset's length) of dataset `name`, turn
/// by turn, for multi-turn replay (see [`crate::llm::Session`]).
pub fn conversation(name: &str, index: u64) -> Result<Conversation, String> {
    raw::get_conversation(name, index)
}

/// When each row of a trace dataset (Mooncake JSONL, Azure or BurstGPT CSV) was sent, in
/// milliseconds after its first row, in row order: the schedule of [`crate::Phase::scheduled_ms`].
pub fn arrival_offsets(name: &str) -> Result<Vec<f64>, String> {
    raw::arrival_offsets(name)
}
