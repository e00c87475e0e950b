//! Seeds: SplitMix64's finaliser, which the host's synthetic prompts and the SDKs' random
//! choices mix seeds with, the per-iteration seed every SDK derives from the run's, and the
//! shared-prefix groups' seeds and turns, so the same `--seed` replays the same choices and
//! prompts in every guest language.

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

/// The seed of the text shared by every prompt of prefix group `group` (the SDKs'
/// `prompt::shared_prefix`), derived from the run's seed: the same for the whole group in a run,
/// different between groups, and different with another `--seed`, so a run's prefixes are not
/// already in the server's cache from a run before it with another seed.
pub fn prefix_seed(run_seed: u64, group: u32) -> u64 {
    mix(mix(run_seed) ^ u64::from(group))
}

/// The prefix group of the `n`-th request (an iteration number) among `groups` groups: round
/// robin, so every group gets its turn in the first `groups` requests. 0 when there are none.
pub fn prefix_group(n: u64, groups: u32) -> u32 {
    if groups == 0 { 0 } else { (n % u64::from(groups)) as u32 }
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

    #[test]
    fn prefix_seeds_differ_by_group_and_run_and_groups_take_turns() {
        assert_ne!(prefix_seed(1, 0), prefix_seed(1, 1));
        assert_ne!(prefix_seed(1, 0), prefix_seed(2, 0));
        assert_eq!(prefix_seed(9, 3), prefix_seed(9, 3));
        let turns: Vec<u32> = (0..7).map(|n| prefix_group(n, 3)).collect();
        assert_eq!(turns, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(prefix_group(5, 0), 0);
    }
}
