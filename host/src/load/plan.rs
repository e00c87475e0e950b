//! What a phase will do, as plain data: the one scheduling abstraction every executor maps onto.
//!
//! A phase is either *open loop* (a stream of intended start times, served by a pool of at most
//! `max_vus` VUs), *closed loop* (a number of VUs over time, each starting its next iteration
//! when the last one ends, within an iteration budget) or a pause. The k6-style executors of the
//! WIT are only different ways of filling these in; see [`Plan`].

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
    /// Iterations per second following a piecewise-linear profile.
    Rate { profile: RateProfile, poisson_seed: Option<u64> },
    /// `n` iterations at the same instant.
    AllAtOnce(u32),
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
    Rate { profile: RateProfile, segment: usize, area_before: f64, next: f64, rng: Option<Box<StdRng>> },
}

impl ArrivalTimes {
    pub fn new(arrivals: &Arrivals) -> Self {
        let kind = match arrivals {
            Arrivals::AllAtOnce(n) => ArrivalKind::Burst { left: *n },
            Arrivals::Rate { profile, poisson_seed } => {
                let mut rng = poisson_seed.map(|seed| Box::new(StdRng::seed_from_u64(seed)));
                let next = rng.as_deref_mut().map(exp1).unwrap_or(0.0);
                ArrivalKind::Rate { profile: profile.clone(), segment: 0, area_before: 0.0, next, rng }
            }
        };
        Self { kind }
    }
}

/// A sample of the exponential distribution with mean 1.
fn exp1(rng: &mut StdRng) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln()
}

impl Iterator for ArrivalTimes {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        match &mut self.kind {
            ArrivalKind::Burst { left } => {
                *left = left.checked_sub(1)?;
                Some(Duration::ZERO)
            }
            ArrivalKind::Rate { profile, segment, area_before, next, rng } => {
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
                        *next += rng.as_deref_mut().map(exp1).unwrap_or(1.0);
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
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::Rate { profile, poisson_seed: None }).collect();
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
        let times: Vec<_> = ArrivalTimes::new(&Arrivals::Rate { profile, poisson_seed: None }).collect();
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
        assert_eq!(count(Arrivals::Rate { profile, poisson_seed: None }), 20 + 40 + 60);
    }

    #[test]
    fn poisson_is_seeded_and_has_the_right_mean() {
        let profile = RateProfile::constant(1000.0, Duration::from_secs(10));
        let a = Arrivals::Rate { profile, poisson_seed: Some(7) };
        let first: Vec<_> = ArrivalTimes::new(&a).take(50).collect();
        let again: Vec<_> = ArrivalTimes::new(&a).take(50).collect();
        assert_eq!(first, again, "same seed, same schedule");
        let n = count(a) as f64;
        // Poisson(10 000): standard deviation 100.
        assert!((n - 10_000.0).abs() < 400.0, "{n}");
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
