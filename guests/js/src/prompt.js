// Synthetic prompts of a chosen length (such as the usual 64- and 256-token payloads), and prompts
// that share a prefix per group, for a server's prefix cache. The host builds the text
// (`data.synthetic-prompt`), so every guest language sends the same text for the same seed and
// `runner play --tokenizer` makes the length exact. `mix`, `iterationSeed`, `prefixSeed` and
// `prefixGroup` are the Rust SDK's, bit for bit.

import * as raw from "runner-sdk:raw";

import { prefixSeed } from "./seed.js";

export { iterationSeed, mix, prefixGroup, prefixSeed } from "./seed.js";

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

/**
 * The text every prompt of prefix group `group` opens with: `tokens` tokens, the same for the
 * whole group in a run (seeded by `runSeed`), different between groups.
 */
export function groupPrefix(group, tokens, runSeed) {
  return synthetic(tokens, prefixSeed(runSeed, group));
}

/**
 * Group `group`'s shared prefix of `prefixTokens` tokens, then a suffix of `suffixTokens` tokens
 * unique to the request (seeded by `requestSeed`, e.g. `ctx.seed(params.seed())`), after one
 * space. Pick the group with `prefixGroup(ctx.iteration, groups)`.
 */
export function sharedPrefix(group, prefixTokens, suffixTokens, runSeed, requestSeed) {
  return joinPrefix(groupPrefix(group, prefixTokens, runSeed), synthetic(suffixTokens, requestSeed));
}

/** The prefix, a space, the suffix; either alone when the other is empty. */
export function joinPrefix(prefix, suffix) {
  if (suffix === "") return prefix;
  if (prefix === "") return suffix;
  return `${prefix} ${suffix}`;
}
