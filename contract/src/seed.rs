//! Seeds: SplitMix64's finaliser, which the host's synthetic prompts and the SDKs' random
//! choices mix seeds with, and the per-iteration seed every SDK derives from the run's, so the
//! same `--seed` replays the same choices in every guest language.

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash, so nearby seeds give unrelated streams.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of iteration `iteration` of VU `vu`, derived from the run's seed: different for
/// every iteration and VU, the same again with the same `--seed`.
pub fn iteration_seed(run_seed: u64, vu: u32, iteration: u64) -> u64 {
    mix(run_seed ^ (u64::from(vu) << 40) ^ iteration)
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
