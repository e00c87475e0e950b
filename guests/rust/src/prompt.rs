//! Synthetic prompts of a chosen length, for payloads such as the usual 64- and 256-token
//! requests. The host builds them (`data.synthetic-prompt`), so every guest language sends the
//! same text and `runner play --tokenizer` makes the length exact.

use crate::bindings::runner::scenario::data as raw;

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash, so nearby seeds give unrelated
/// streams (the host mixes the seeds of its synthetic prompts with the same function).
pub use runner_contract::seed::mix;
/// The prefix group of the `n`-th request (use [`crate::Context::iteration`]) among `groups`
/// groups: round robin, so every group has had its first request after `groups` requests.
pub use runner_contract::seed::prefix_group;
/// The seed of prefix group `group`'s shared text in a run with seed `run_seed`.
pub use runner_contract::seed::prefix_seed;

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

/// The text every prompt of prefix group `group` opens with: `tokens` tokens, the same for the
/// whole group in a run (seeded by `run_seed`, see [`prefix_seed`]), different between groups.
pub fn group_prefix(group: u32, tokens: u32, run_seed: u64) -> String {
    synthetic(tokens, prefix_seed(run_seed, group))
}

/// A prompt that a server's prefix cache can serve in part: group `group`'s shared prefix of
/// `prefix_tokens` tokens ([`group_prefix`]), then a suffix of `suffix_tokens` tokens unique to
/// the request (seeded by `request_seed`, e.g. [`crate::Context::seed`]), as vLLM's
/// `prefix_repetition` dataset builds them. Pick the group with [`prefix_group`].
///
/// ```no_run
/// # use runner_sdk::{Context, params, prompt};
/// # fn f(ctx: &Context) {
/// let group = prompt::prefix_group(ctx.iteration, 4);
/// let text = prompt::shared_prefix(group, 256, 64, params::seed(), ctx.seed(params::seed()));
/// # }
/// ```
pub fn shared_prefix(
    group: u32,
    prefix_tokens: u32,
    suffix_tokens: u32,
    run_seed: u64,
    request_seed: u64,
) -> String {
    join_prefix(group_prefix(group, prefix_tokens, run_seed), synthetic(suffix_tokens, request_seed))
}

/// The prefix, a space, the suffix; either alone when the other is empty.
fn join_prefix(prefix: String, suffix: String) -> String {
    match (prefix.is_empty(), suffix.is_empty()) {
        (_, true) => prefix,
        (true, false) => suffix,
        (false, false) => prefix + " " + &suffix,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{cases, list};

    fn u64_of(case: &serde_json::Value, key: &str) -> u64 {
        case[key].as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{key} of {case}"))
    }

    fn u32_of(case: &serde_json::Value, key: &str) -> u32 {
        case[key].as_u64().and_then(|v| u32::try_from(v).ok()).unwrap_or_else(|| panic!("{key} of {case}"))
    }

    #[test]
    fn prefix_seeds_and_groups_are_the_contracts() {
        let seeds = &cases()["seeds"];
        for case in list(seeds, "prefix") {
            assert_eq!(
                prefix_seed(u64_of(case, "run_seed"), u32_of(case, "group")),
                u64_of(case, "seed"),
                "{case}"
            );
        }
        for case in list(seeds, "prefix_group") {
            let n = case["n"].as_u64().expect("n");
            assert_eq!(prefix_group(n, u32_of(case, "groups")), u32_of(case, "group"), "{case}");
        }
    }

    #[test]
    fn the_suffix_follows_the_prefix_after_one_space() {
        assert_eq!(join_prefix("a b".into(), "c".into()), "a b c");
        assert_eq!(join_prefix("a b".into(), String::new()), "a b");
        assert_eq!(join_prefix(String::new(), "c".into()), "c");
    }
}
