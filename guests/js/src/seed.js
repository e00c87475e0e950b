// Seeds: SplitMix64, the per-iteration seed and the shared-prefix groups' seeds and turns, the
// Rust SDK's bit for bit. Pure (no host imports), so `node --test` checks them against the Rust
// values.

const M64 = (1n << 64n) - 1n;

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

/** The seed of prefix group `group`'s shared text in a run with seed `runSeed` (the Rust `prefix_seed`). */
export function prefixSeed(runSeed, group) {
  return mix(mix(BigInt(runSeed) & M64) ^ (BigInt(group) & 0xffffffffn));
}

/**
 * The prefix group of the `n`-th request (`ctx.iteration`) among `groups` groups: round robin,
 * 0 without groups (the Rust `prefix_group`).
 */
export function prefixGroup(n, groups) {
  const g = BigInt(groups);
  return g === 0n ? 0 : Number(BigInt(n) % g);
}
