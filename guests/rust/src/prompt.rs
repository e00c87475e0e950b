//! Synthetic prompts of a chosen length, for payloads such as the seed's 64- and 256-token
//! requests. The host builds them (`data.synthetic-prompt`), so every guest language sends the
//! same text and `runner play --tokenizer` makes the length exact.

use crate::bindings::runner::scenario::data as raw;

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash, so nearby seeds give unrelated streams.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_spreads_nearby_seeds() {
        assert_ne!(mix(1), mix(2));
        assert_eq!(mix(7), mix(7));
        assert!((mix(1) ^ mix(2)).count_ones() > 16, "nearby seeds differ in many bits");
    }
}
