//! Token lengths from a distribution, for prompts and answers: `256`, `128..512`,
//! `normal(256,64)`, `normal(256,64,128..512)` or `dataset:NAME` (see
//! [`runner_contract::lengths`]; the JS and Python SDKs draw the same lengths for the same seed).
//!
//! ```no_run
//! # use runner_sdk::lengths;
//! let output = lengths::param("max_tokens")?; // e.g. --param max_tokens=normal(256,64)
//! let n = lengths::draw(&output, 42)?;
//! # Ok::<(), String>(())
//! ```

use crate::{data, params, prompt};

pub use runner_contract::lengths::{Lengths, LengthsError};

/// Parameter `name` as a length distribution; the error names the parameter and the value.
pub fn param(name: &str) -> Result<Lengths, String> {
    let value = params::get(name).ok_or_else(|| format!("parameter `{name}` is not set"))?;
    Lengths::parse(&value).map_err(|e| format!("parameter `{name}`: invalid value {value:?}: {e}"))
}

/// The length `lengths` gives for `seed`. `dataset:NAME` draws a row of the dataset and takes its
/// answer length, or its prompt's token count when it holds no answer.
pub fn draw(lengths: &Lengths, seed: u64) -> Result<u32, String> {
    match lengths {
        Lengths::Dataset(name) => {
            let row = data::get(name, Lengths::row(seed, data::len(name)?))?;
            Ok(row.output_tokens.unwrap_or_else(|| prompt::count_tokens(&row.prompt)))
        }
        other => Ok(other.draw(seed).unwrap_or_default()),
    }
}
