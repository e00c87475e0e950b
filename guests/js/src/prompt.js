// Synthetic prompts of a chosen length (such as the usual 64- and 256-token payloads). The host builds
// them (`data.synthetic-prompt`), so every guest language sends the same text for the same seed
// and `runner play --tokenizer` makes the length exact. `mix` and `iterationSeed` are the Rust
// SDK's, bit for bit.

import * as raw from "runner-sdk:raw";

export { iterationSeed, mix } from "./seed.js";

/**
 * A prompt of `tokens` tokens (≈ words without `--tokenizer`, exact with it), the same for the
 * same seed. Vary the seed per request (`ctx.seed(params.seed())`) so a prefix cache cannot
 * flatter TTFT. To leave long prompts on the host, use `llm.chatSynthetic` instead.
 *
 * Under QuickJS only the seed value's low 53 bits reach the host (u64 travels as a double there).
 */
export function synthetic(tokens, seed) {
  return raw.data.syntheticPrompt(tokens, raw.seed(seed));
}

/** The number of tokens in `text`: exact with `--tokenizer`, else an estimate. */
export function countTokens(text) {
  return raw.data.countTokens(String(text));
}
