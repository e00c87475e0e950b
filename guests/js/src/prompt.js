// Deterministic synthetic prompts of a chosen length: the Rust SDK's `prompt` module, word for
// word, so the same seed gives the same prompt in either language.

const M64 = (1n << 64n) - 1n;

// Common short English words, nearly each a single token in GPT-, Llama- and Qwen-style
// vocabularies when preceded by a space (word count ≈ token count). Same list as the Rust SDK.
const WORDS = (
  "the of and to in is it you that he was for on are with as his they be at one have this from or " +
  "had by word but what some we can out other were all there when up use your how said an each she " +
  "which do their time if will way about many then them write would like so these her long make " +
  "thing see him two has look more day could go come did number sound no most people my over know " +
  "water than call first who may down side been now find any new work part take get place made live " +
  "where after back little only round man year came show every good me give our under name very " +
  "through just form great think say help low line before turn cause same mean move right boy old too " +
  "does tell set three want air well also play small end put home read hand port large add even land " +
  "here must big high such act why ask men change went light kind off need house picture try us again " +
  "animal point mother world near build self earth father head stand own page should country found " +
  "answer school grow study still learn plant cover food sun four thought let keep eye never last door " +
  "between city tree cross since hard start might story saw far sea draw left late run while press " +
  "close night real life few stop"
).split(" ");

/** SplitMix64's finaliser on 64-bit unsigned BigInts. */
export function mix(seed) {
  let z = (BigInt(seed) + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** A seed unique to one iteration, derived from the run's seed (the Rust `Context::seed`). */
export function iterationSeed(runSeed, vu, iteration) {
  return mix((BigInt(runSeed) & M64) ^ (BigInt(vu) << 40n) ^ BigInt(iteration));
}

/**
 * A prompt of exactly `tokens` words (≈ tokens), the same for the same seed. Vary the seed per
 * request (`ctx.seed(params.seed())`) so a prefix cache cannot flatter TTFT.
 */
export function synthetic(tokens, seed) {
  const words = [];
  let state = BigInt(seed) & M64;
  for (let i = 0; i < tokens; i++) {
    state = mix(state);
    words.push(WORDS[Number((state >> 32n) % BigInt(WORDS.length))]);
  }
  return words.join(" ");
}

export { WORDS };
