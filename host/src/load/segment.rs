//! Execution segments: one worker's share of a run split across N processes (`--segment I/N`).
//!
//! Every countable thing of a phase — VUs at each instant of a VU curve, arrivals of a schedule,
//! a shared iteration budget — is numbered from 0, and item `k` belongs to segment `k mod N`
//! (striping, as k6's execution segments stripe VUs and iterations). So the N shares of any count
//! add up to it exactly, at every instant of a ramp too: no share rounds a VU or an arrival away,
//! and none is counted twice. An open-loop schedule is drawn whole by every worker from the same
//! seed, and each keeps its own arrivals; their union is the schedule one process would have run.

use std::fmt;

/// The `index`-th of `count` shares (0-based, like `$SLURM_PROCID` and `$JOB_COMPLETION_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    index: u32,
    count: u32,
}

/// The most workers a run may be split across.
pub const MAX_SEGMENTS: u32 = 100_000;

impl Segment {
    /// The whole run: one process, nothing split.
    pub const WHOLE: Segment = Segment { index: 0, count: 1 };

    /// The `index`-th of `count` shares.
    pub fn new(index: u32, count: u32) -> Result<Self, String> {
        if count == 0 || count > MAX_SEGMENTS {
            return Err(format!("a run splits into 1 to {MAX_SEGMENTS} segments, not {count}"));
        }
        if index >= count {
            return Err(format!("segment {index}/{count}: the index runs from 0 to {}", count - 1));
        }
        Ok(Segment { index, count })
    }

    /// Parses `I/N` (0 ≤ I < N).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("{text:?} is not a segment: write I/N, e.g. 0/4 for the first of 4 workers");
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let i: u32 = i.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        Segment::new(i, n)
    }

    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn is_whole(&self) -> bool {
        self.count == 1
    }

    /// Whether item `k` of any numbered sequence is this segment's.
    pub fn owns(&self, k: u64) -> bool {
        k % u64::from(self.count) == u64::from(self.index)
    }

    /// How many of items `0..n` are this segment's. The shares of all segments sum to `n`.
    pub fn share(&self, n: u64) -> u64 {
        let (i, c) = (u64::from(self.index), u64::from(self.count));
        if n <= i { 0 } else { (n - i - 1) / c + 1 }
    }

    /// This segment's share of `n` when only the first `workers` segments take part (a budget
    /// shared by fewer VUs than there are workers goes to the workers that have a VU).
    pub fn share_among(&self, n: u64, workers: u32) -> u64 {
        let workers = workers.clamp(1, self.count);
        if self.index >= workers { 0 } else { Segment { index: self.index, count: workers }.share(n) }
    }

    /// [`Segment::share`] of a VU count.
    pub fn share_u32(&self, n: u32) -> u32 {
        // A share is at most its whole, so it fits.
        self.share(u64::from(n)) as u32
    }

    /// A cap (most VUs an open-loop phase may use), shared but never to zero: a cap of 0 would
    /// drop every arrival of a worker whose share of the cap rounds to nothing. So the shares of a
    /// cap smaller than N add up to more than it — a cap is a bound, not load.
    pub fn share_cap(&self, cap: u32) -> u32 {
        self.share_u32(cap).max(1)
    }

    /// The run-wide number of this segment's `j`-th item: iterations stay distinct across workers.
    pub fn global(&self, j: u64) -> u64 {
        j.saturating_mul(u64::from(self.count)).saturating_add(u64::from(self.index))
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(count: u32) -> Vec<Segment> {
        (0..count).map(|i| Segment::new(i, count).unwrap()).collect()
    }

    #[test]
    fn shares_add_up_to_the_whole_for_every_count() {
        for count in 1..=9 {
            for n in 0..200u64 {
                let total: u64 = all(count).iter().map(|s| s.share(n)).sum();
                assert_eq!(total, n, "{n} split {count} ways");
                // No share is more than one above another: striping spreads evenly.
                let shares: Vec<u64> = all(count).iter().map(|s| s.share(n)).collect();
                assert!(shares.iter().max().unwrap() - shares.iter().min().unwrap() <= 1, "{shares:?}");
            }
        }
    }

    #[test]
    fn share_counts_the_items_owned() {
        for s in all(5) {
            for n in 0..60u64 {
                assert_eq!(s.share(n), (0..n).filter(|k| s.owns(*k)).count() as u64);
            }
        }
    }

    #[test]
    fn global_numbers_are_distinct_and_dense() {
        let mut seen: Vec<u64> = all(3).iter().flat_map(|s| (0..4).map(|j| s.global(j))).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..12).collect::<Vec<_>>());
        for s in all(3) {
            assert!((0..4).all(|j| s.owns(s.global(j))));
        }
    }

    #[test]
    fn a_budget_goes_to_the_workers_that_take_part() {
        let shares: Vec<u64> = all(4).iter().map(|s| s.share_among(10, 3)).collect();
        assert_eq!(shares, [4, 3, 3, 0]);
        let shares: Vec<u64> = all(4).iter().map(|s| s.share_among(10, 9)).collect();
        assert_eq!(shares, [3, 3, 2, 2]);
    }

    #[test]
    fn a_cap_never_shares_to_zero() {
        assert_eq!(Segment::new(3, 4).unwrap().share_u32(2), 0);
        assert_eq!(Segment::new(3, 4).unwrap().share_cap(2), 1);
        assert_eq!(Segment::new(0, 4).unwrap().share_cap(10), 3);
    }

    #[test]
    fn parsing_takes_i_of_n_and_refuses_the_rest() {
        assert_eq!(Segment::parse("2/4"), Segment::new(2, 4));
        assert_eq!(Segment::parse(" 0 / 1 ").unwrap(), Segment::WHOLE);
        for bad in ["4/4", "1/0", "-1/4", "1", "a/b", "1/4/5", "", "0/100001"] {
            let e = Segment::parse(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(Segment::parse("4/4").unwrap_err().contains("0 to 3"));
    }
}
