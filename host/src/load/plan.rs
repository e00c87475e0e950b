//! What a phase will do, as plain data: the one scheduling abstraction every executor maps onto.
//!
//! A phase is either *open loop* (a stream of intended start times, served by a pool of at most
//! `max_vus` VUs), *closed loop* (a number of VUs over time, each starting its next iteration
//! when the last one ends, within an iteration budget) or a pause. The k6-style executors of the
//! WIT are only different ways of filling these in; see [`Plan`].

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How a phase schedules its iterations.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Iterations start at planned instants, whatever the server does (no coordinated omission).
    Open { arrivals: Arrivals, max_vus: u32, duration: Duration },
    /// A number of VUs loop over iterations back to back.
    Closed { vus: VuCurve, budget: Budget, duration: Duration },
    /// No traffic for a while.
    Pause(Duration),
}

/// The intended start times of an open-loop phase.
#[derive(Debug, Clone, PartialEq)]
pub enum Arrivals {
    /// Iterations per second following a piecewise-linear profile, spaced by `gaps`.
    Rate { profile: RateProfile, gaps: Gaps },
    /// `n` iterations at the same instant.
    AllAtOnce(u32),
    /// Recorded start offsets (a trace), non-decreasing: arrival `i` is iteration `i`.
    Scheduled(Arc<[Duration]>),
}

/// How the arrivals of a rate are spaced. Every kind keeps the profile's mean rate: gaps are
/// drawn in "rate time" (where the mean gap is 1) and mapped through the integral of the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gaps {
    /// Evenly spaced.
    Uniform,
    /// Exponential gaps (a Poisson process).
    Poisson { seed: u64 },
    /// Gamma gaps of this shape and mean 1 (vLLM's burstiness: shape 1 is Poisson, below 1
    /// burstier, above 1 more regular).
    Gamma { seed: u64, shape: f64 },
}

impl Gaps {
    /// The word reports use for the spacing.
    pub fn describe(&self) -> String {
        match self {
            Gaps::Uniform => "uniform".into(),
            Gaps::Poisson { .. } => "poisson".into(),
            Gaps::Gamma { shape, .. } => format!("gamma, burstiness {shape}"),
        }
    }
}

/// A piecewise-linear function of time: `(offset, value)` points, the first at offset zero.
#[derive(Debug, Clone, PartialEq)]
pub struct RateProfile {
    points: Vec<(Duration, f64)>,
}

impl RateProfile {
    /// `start` per second, then linear moves to each stage's target over its duration.
    pub fn staged(start: f64, stages: &[(Duration, f64)]) -> Self {
        let mut points = vec![(Duration::ZERO, start)];
        let mut at = Duration::ZERO;
        for &(d, target) in stages {
            at += d;
            points.push((at, target));
        }
        Self { points }
    }

    /// The same rate for the whole duration.
    pub fn constant(rate: f64, duration: Duration) -> Self {
        Self::staged(rate, &[(duration, rate)])
    }

    pub fn duration(&self) -> Duration {
        self.points.last().map(|p| p.0).unwrap_or_default()
    }

    /// Expected number of arrivals over the whole profile.
    pub fn expected_arrivals(&self) -> f64 {
        self.points.windows(2).map(|w| (w[0].1 + w[1].1) / 2.0 * (w[1].0 - w[0].0).as_secs_f64()).sum()
    }

    pub fn max_rate(&self) -> f64 {
        self.points.iter().map(|p| p.1).fold(0.0, f64::max)
    }
}

/// The number of active VUs over time (closed loop): a piecewise-linear function, rounded down.
#[derive(Debug, Clone, PartialEq)]
pub struct VuCurve {
    pub start: u32,
    pub stages: Vec<(Duration, u32)>,
}

impl VuCurve {
    pub fn constant(vus: u32) -> Self {
        Self { start: vus, stages: Vec::new() }
    }

    pub fn max(&self) -> u32 {
        self.stages.iter().map(|s| s.1).fold(self.start, u32::max)
    }

    /// Active VUs at `t` after the phase start.
    pub fn at(&self, t: Duration) -> u32 {
        let mut from = self.start;
        let mut begin = Duration::ZERO;
        for &(d, to) in &self.stages {
            let end = begin + d;
            if t < end {
                let f = (t - begin).as_secs_f64() / d.as_secs_f64();
                return (f64::from(from) + (f64::from(to) - f64::from(from)) * f).floor() as u32;
            }
            from = to;
            begin = end;
        }
        from
    }
}

/// How many iterations a closed-loop phase runs in total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Budget {
    /// Until the duration is over.
    Unlimited,
    /// Each VU runs this many.
    PerVu(u64),
    /// All VUs together run this many.
    Shared(u64),
}

/// The intended start offsets of an open-loop phase, in order, lazily (a 48-hour soak at a
/// high rate must not hold millions of instants in memory).
pub struct ArrivalTimes {
    kind: ArrivalKind,
}

enum ArrivalKind {
    Burst { left: u32 },
    Rate { profile: RateProfile, segment: usize, area_before: f64, next: f64, gaps: GapSampler },
    Scheduled { offsets: Arc<[Duration]>, next: usize },
}

/// Draws the gaps between arrivals in rate time (mean 1).
enum GapSampler {
    Uniform,
    Exponential(Box<StdRng>),
    Gamma(Box<StdRng>, f64),
}

impl GapSampler {
    fn new(gaps: Gaps) -> Self {
        match gaps {
            Gaps::Uniform => GapSampler::Uniform,
            Gaps::Poisson { seed } => GapSampler::Exponential(Box::new(StdRng::seed_from_u64(seed))),
            Gaps::Gamma { seed, shape } => GapSampler::Gamma(Box::new(StdRng::seed_from_u64(seed)), shape),
        }
    }

    fn next(&mut self) -> f64 {
        match self {
            GapSampler::Uniform => 1.0,
            GapSampler::Exponential(rng) => exp1(rng),
            // Scale 1/shape keeps the mean at 1 (vLLM: shape = burstiness, scale = 1/(rate·burstiness)).
            GapSampler::Gamma(rng, shape) => gamma(rng, *shape) / *shape,
        }
    }

    /// Where the first arrival falls: at 0 for evenly spaced arrivals, after one gap otherwise.
    fn first(&mut self) -> f64 {
        match self {
            GapSampler::Uniform => 0.0,
            _ => self.next(),
        }
    }
}

impl ArrivalTimes {
    pub fn new(arrivals: &Arrivals) -> Self {
        let kind = match arrivals {
            Arrivals::AllAtOnce(n) => ArrivalKind::Burst { left: *n },
            Arrivals::Rate { profile, gaps } => {
                let mut gaps = GapSampler::new(*gaps);
                let next = gaps.first();
                ArrivalKind::Rate { profile: profile.clone(), segment: 0, area_before: 0.0, next, gaps }
            }
            Arrivals::Scheduled(offsets) => ArrivalKind::Scheduled { offsets: offsets.clone(), next: 0 },
        };
        Self { kind }
    }
}

/// A sample of the exponential distribution with mean 1.
fn exp1(rng: &mut StdRng) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln()
}

/// A standard normal sample (Box–Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A sample of the gamma distribution with this shape and scale 1 (Marsaglia and Tsang; a shape
/// below 1 is boosted: Gamma(k) = Gamma(k + 1) · U^(1/k)).
fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.random::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

impl Iterator for ArrivalTimes {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        match &mut self.kind {
            ArrivalKind::Burst { left } => {
                *left = left.checked_sub(1)?;
                Some(Duration::ZERO)
            }
            ArrivalKind::Scheduled { offsets, next } => {
                let at = *offsets.get(*next)?;
                *next += 1;
                Some(at)
            }
            ArrivalKind::Rate { profile, segment, area_before, next, gaps } => {
                // Arrival k happens where the integral of the rate reaches k (uniform), or the sum
                // of k unit exponentials (Poisson, by the time-rescaling theorem).
                loop {
                    let (t0, r0) = *profile.points.get(*segment)?;
                    let (t1, r1) = *profile.points.get(*segment + 1)?;
                    let span = (t1 - t0).as_secs_f64();
                    let area = (r0 + r1) / 2.0 * span;
                    let want = *next - *area_before;
                    if want < area {
                        let slope = if span > 0.0 { (r1 - r0) / span } else { 0.0 };
                        let x = if slope.abs() < 1e-12 {
                            want / r0
                        } else {
                            (-r0 + (r0 * r0 + 2.0 * slope * want).max(0.0).sqrt()) / slope
                        };
                        let at = t0 + Duration::from_secs_f64(x.clamp(0.0, span));
                        *next += gaps.next();
                        return Some(at);
                    }
                    *area_before += area;
                    *segment += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(arrivals: Arrivals) -> usize {
        ArrivalTimes::new(&arrivals).count()
    }

    #[test]
    fn constant_rate_is_evenly_spaced_and_exact() {
        let profile = RateProfile::constant(200.0, Duration::from_secs(5));
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::Rate { profile, gaps: Gaps::Uniform }).collect();
        assert_eq!(times.len(), 1000);
        assert_eq!(times[0], Duration::ZERO);
        let gap = times[1] - times[0];
        assert!((gap.as_secs_f64() - 0.005).abs() < 1e-9, "{gap:?}");
        assert!(*times.last().unwrap() < Duration::from_secs(5));
    }

    #[test]
    fn ramp_follows_the_integral_of_the_rate() {
        // 0 → 100/s over 10 s: 500 arrivals, denser at the end.
        let profile = RateProfile::staged(0.0, &[(Duration::from_secs(10), 100.0)]);
        assert!((profile.expected_arrivals() - 500.0).abs() < 1e-9);
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::Rate { profile, gaps: Gaps::Uniform }).collect();
        assert!((499..=501).contains(&times.len()), "{}", times.len());
        let first_half = times.iter().filter(|t| **t < Duration::from_secs(5)).count();
        assert!(
            (124..=126).contains(&first_half),
            "a quarter of the area lies in the first half: {first_half}"
        );
    }

    #[test]
    fn staged_rate_with_a_flat_middle() {
        let profile = RateProfile::staged(
            10.0,
            &[(Duration::from_secs(2), 10.0), (Duration::from_secs(2), 30.0), (Duration::from_secs(2), 30.0)],
        );
        assert_eq!(count(Arrivals::Rate { profile, gaps: Gaps::Uniform }), 20 + 40 + 60);
    }

    #[test]
    fn poisson_is_seeded_and_has_the_right_mean() {
        let profile = RateProfile::constant(1000.0, Duration::from_secs(10));
        let a = Arrivals::Rate { profile, gaps: Gaps::Poisson { seed: 7 } };
        let first: Vec<_> = ArrivalTimes::new(&a).take(50).collect();
        let again: Vec<_> = ArrivalTimes::new(&a).take(50).collect();
        assert_eq!(first, again, "same seed, same schedule");
        let n = count(a) as f64;
        // Poisson(10 000): standard deviation 100.
        assert!((n - 10_000.0).abs() < 400.0, "{n}");
    }

    /// The coefficient of variation of the gaps between consecutive arrivals.
    fn gap_cv(times: &[Duration]) -> f64 {
        let gaps: Vec<f64> = times.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        var.sqrt() / mean
    }

    #[test]
    fn gamma_keeps_the_rate_and_sets_the_burstiness() {
        // Gamma(k) gaps have a coefficient of variation of 1/sqrt(k): 2 at k = 0.25 (bursty),
        // 1 at k = 1 (Poisson), 0.5 at k = 4 (regular). The mean rate stays the phase's.
        for (shape, cv) in [(0.25, 2.0), (1.0, 1.0), (4.0, 0.5)] {
            let profile = RateProfile::constant(1000.0, Duration::from_secs(20));
            let a = Arrivals::Rate { profile, gaps: Gaps::Gamma { seed: 3, shape } };
            let times: Vec<_> = ArrivalTimes::new(&a).collect();
            let n = times.len() as f64;
            assert!((n - 20_000.0).abs() < 20_000.0 * 0.05, "shape {shape}: {n} arrivals");
            let got = gap_cv(&times);
            assert!((got - cv).abs() < cv * 0.1, "shape {shape}: cv {got}, expected {cv}");
        }
    }

    #[test]
    fn scheduled_gives_the_recorded_offsets_in_order() {
        let offsets: Arc<[Duration]> = [0, 0, 5, 120].map(Duration::from_millis).into();
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::Scheduled(offsets.clone())).collect();
        assert_eq!(times, offsets.to_vec());
    }

    #[test]
    fn burst_is_all_at_zero() {
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::AllAtOnce(3)).collect();
        assert_eq!(times, vec![Duration::ZERO; 3]);
    }

    #[test]
    fn vu_curve_interpolates_and_holds() {
        let c =
            VuCurve { start: 0, stages: vec![(Duration::from_secs(10), 10), (Duration::from_secs(5), 10)] };
        assert_eq!(c.at(Duration::ZERO), 0);
        assert_eq!(c.at(Duration::from_secs(5)), 5);
        assert_eq!(c.at(Duration::from_secs(12)), 10);
        assert_eq!(c.at(Duration::from_secs(60)), 10);
        assert_eq!(c.max(), 10);
    }
}
