"""Synthetic prompts of a chosen length, for payloads such as the usual 64- and 256-token
requests. The host builds them (`data.synthetic-prompt`), so every guest language sends the same
text for the same seed and `runner play --tokenizer` makes the length exact."""

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
