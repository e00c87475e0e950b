//! Datasets handed to the run with `runner play --data name=path`, held by the host and read by
//! index. To send a row without copying it through the guest, use
//! [`crate::llm::chat_from_dataset`].

use crate::bindings::runner::scenario::data as raw;

pub use raw::Row;

/// How many rows dataset `name` has; an error names the datasets the run was given.
pub fn len(name: &str) -> Result<u64, String> {
    raw::len(name)
}

/// Row `index` (modulo the dataset's length) of dataset `name`.
pub fn get(name: &str, index: u64) -> Result<Row, String> {
    raw::get(name, index)
}
