"""Synthetic prompts of a chosen length, for payloads such as the usual 64- and 256-token
requests, and prompts that share a prefix per group, for a server's prefix cache. The host builds
the text (`data.synthetic-prompt`), so every guest language sends the same text for the same seed
and `runner play --tokenizer` makes the length exact. `mix`, `prefix_seed` and `prefix_group`
are the Rust SDK's, bit for bit."""

from wit_world.imports import data as _raw

_MASK = (1 << 64) - 1


def mix(z: int) -> int:
    """SplitMix64's finaliser: a cheap, well-mixed 64-bit hash (the Rust SDK's `mix`)."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def synthetic(tokens: int, seed: int) -> str:
    """A prompt of `tokens` tokens (~ words without `--tokenizer`, exact with it), the same for
    the same `seed`. Vary the seed per request (`Context.seed`) so a prefix cache cannot flatter
    TTFT; to leave long prompts on the host, use `llm.chat_synthetic` instead."""
    return _raw.synthetic_prompt(tokens, seed & _MASK)


def count_tokens(text: str) -> int:
    """The number of tokens in `text`: exact with `--tokenizer`, else an estimate."""
    return _raw.count_tokens(text)


def prefix_seed(run_seed: int, group: int) -> int:
    """The seed of prefix group `group`'s shared text in a run with seed `run_seed` (the Rust
    SDK's `prefix_seed`)."""
    return mix(mix(run_seed & _MASK) ^ (group & 0xFFFFFFFF))


def prefix_group(n: int, groups: int) -> int:
    """The prefix group of the `n`-th request (`ctx.iteration`) among `groups` groups: round
    robin, 0 without groups (the Rust SDK's `prefix_group`)."""
    return 0 if groups == 0 else n % groups


def group_prefix(group: int, tokens: int, run_seed: int) -> str:
    """The text every prompt of prefix group `group` opens with: `tokens` tokens, the same for
    the whole group in a run (seeded by `run_seed`), different between groups."""
    return synthetic(tokens, prefix_seed(run_seed, group))


def shared_prefix(group: int, prefix_tokens: int, suffix_tokens: int, run_seed: int, request_seed: int) -> str:
    """Group `group`'s shared prefix of `prefix_tokens` tokens, then a suffix of `suffix_tokens`
    tokens unique to the request (seeded by `request_seed`, e.g. `ctx.seed(params.seed())`),
    after one space. Pick the group with `prefix_group(ctx.iteration, groups)`."""
    return _join(group_prefix(group, prefix_tokens, run_seed), synthetic(suffix_tokens, request_seed))


def _join(prefix: str, suffix: str) -> str:
    """The prefix, a space, the suffix; either alone when the other is empty."""
    if not suffix:
        return prefix
    if not prefix:
        return suffix
    return f"{prefix} {suffix}"
