//! Synthetic prompts of a chosen length, for payloads such as the usual 64- and 256-token
//! requests. The host builds them (`data.synthetic-prompt`), so every guest language sends the
//! same text and `runner play --tokenizer` makes the length exact.

use crate::bindings::runner::scenario::data as raw;

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash, so nearby seeds give unrelated
/// streams (the host mixes the seeds of its synthetic prompts with the same function).
pub use runner_contract::seed::mix;

/// A prompt of `tokens` tokens (≈ words without `--tokenizer`, exact with it), the same for
/// the same `seed`.
///
/// Vary the seed per request (see [`crate::Context::seed`]) so a server's prefix cache cannot
/// serve the prompt from an earlier one and flatter TTFT. To leave long prompts on the host,
/// use [`crate::llm::Request::synthetic_prompt`] instead.
pub fn synthetic(tokens: u32, seed: u64) -> String {
    raw::synthetic_prompt(tokens, seed)
}

/// The number of tokens in `text`: exact with `--tokenizer`, else an estimate.
pub fn count_tokens(text: &str) -> u32 {
    raw::count_tokens(text)
}
