//! A phase as `drive` asked for it, validated ([`PhaseSpec`]), and how it was planned in the
//! words of its report ([`PhaseSpec::shape`]).

use std::time::Duration;

use super::Segment;
use super::plan::{Arrivals, Budget, Plan};
use crate::stats::{PhaseShape, Tags};

/// A phase as `drive` asked for it, validated.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    pub name: String,
    pub tags: Tags,
    /// The WIT executor's name (`constant-vus`, ...), for reports.
    pub executor: &'static str,
    pub plan: Plan,
    /// How long in-flight iterations may finish after the phase's time is up.
    pub graceful_stop: Duration,
    /// This worker's share of the phase ([`Segment::WHOLE`] unless the run is split).
    pub segment: Segment,
    /// The phase's planned start on the drive's timeline (`--start-at`): its VUs are made
    /// before it, and its clock starts at it. `None`: at once.
    pub start_at: Option<std::time::Instant>,
}

fn secs(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

/// A rate without pointless decimals: 200 → "200", 12.5 → "12.5", 1/3 → "0.3333".
fn rate(r: f64) -> String {
    let text = format!("{r:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl PhaseSpec {
    /// The longest the phase can last: its schedule plus its graceful stop (a pause: its length).
    /// `None` when only an iteration budget ends it. Workers sharing a run start each phase this
    /// long after the last (see [`super::planned`]).
    pub fn planned_length(&self) -> Option<Duration> {
        match &self.plan {
            Plan::Pause(d) => Some(*d),
            Plan::Open { duration, .. } => Some(*duration + self.graceful_stop),
            Plan::Closed { budget: Budget::Unlimited, duration, .. } => Some(*duration + self.graceful_stop),
            Plan::Closed { .. } => None,
        }
    }

    /// How the phase was planned, in the words of its report: this worker's share of it when the
    /// run is split (concurrency and rate are the share's, so the workers' add up to the whole).
    pub fn shape(&self, lag_bound: Duration) -> PhaseShape {
        let mut shape = self.whole_shape(lag_bound);
        let seg = self.segment;
        if !seg.is_whole() {
            shape.concurrency = shape.concurrency.map(|c| seg.share_u32(c));
            shape.target_rate = shape.target_rate.map(|r| r / f64::from(seg.count()));
            shape.plan = format!("{}; segment {seg} of it here", shape.plan);
        }
        shape
    }

    fn whole_shape(&self, lag_bound: Duration) -> PhaseShape {
        let mut shape = PhaseShape {
            executor: self.executor.to_string(),
            lag_bound_ms: lag_bound.as_secs_f64() * 1000.0,
            ..PhaseShape::default()
        };
        match &self.plan {
            Plan::Pause(d) => {
                shape.plan = format!("pause {}", secs(*d));
                shape.planned = Some(*d);
            }
            Plan::Open { arrivals: Arrivals::AllAtOnce(n), .. } => {
                shape.plan = format!("{n} at once");
                shape.concurrency = Some(*n);
                shape.open_loop = true;
            }
            Plan::Open { arrivals: Arrivals::Scheduled(offsets), max_vus, duration } => {
                shape.plan = format!(
                    "{} arrivals on a recorded schedule over {}, max {max_vus} VUs",
                    offsets.len(),
                    secs(*duration)
                );
                let secs = duration.as_secs_f64();
                shape.target_rate = (secs > 0.0).then(|| offsets.len() as f64 / secs);
                shape.open_loop = true;
                shape.planned = Some(*duration);
            }
            Plan::Open { arrivals: Arrivals::Rate { profile, gaps }, max_vus, duration } => {
                let kind = gaps.describe();
                shape.plan = format!(
                    "up to {} req/s for {} ({kind}), max {max_vus} VUs, {:.0} arrivals planned",
                    rate(profile.max_rate()),
                    secs(*duration),
                    profile.expected_arrivals()
                );
                shape.target_rate = Some(profile.max_rate());
                shape.open_loop = true;
                shape.planned = Some(*duration);
            }
            Plan::Closed { vus, budget, duration } => {
                let count = if vus.stages.is_empty() {
                    format!("{} VUs", vus.max())
                } else {
                    format!("{} → {} VUs", vus.start, vus.stages.last().map(|s| s.1).unwrap_or(vus.start))
                };
                shape.plan = match budget {
                    Budget::Unlimited => format!("{count} for {}", secs(*duration)),
                    Budget::PerVu(k) => format!("{count} × {k} iterations (max {})", secs(*duration)),
                    Budget::Shared(k) => format!("{count} sharing {k} iterations (max {})", secs(*duration)),
                };
                shape.concurrency = Some(vus.max());
                shape.planned = matches!(budget, Budget::Unlimited).then_some(*duration);
            }
        }
        shape
    }
}
