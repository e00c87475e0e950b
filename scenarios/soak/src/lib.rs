//! `soak`: a long-running stability test: light, bursty load for hours, with
//! idle periods, so slow degradation (latency creep, leaks, errors) shows up window by window.
//!
//! Busy stretches of `busy` send a burst of `burst_min`..`burst_max` requests every
//! `burst_every`; idle stretches of `idle_min`..`idle_max` separate them. Sizes and idle lengths
//! are drawn from the run's seed, so a run replays exactly. Every burst is its own phase
//! `burst-<n>` tagged `window=<k>` (the `window`-long slice of the run it started in); idle
//! stretches are `pause` phases `idle-<n>`. All times are multiplied by `time_scale`.

use std::time::Duration;

use runner_sdk::{
    Context, Info, ParamKind, Phase, PhaseSummary, Scenario, clock, llm, load, log, params, prompt,
};

struct Soak;

impl Scenario for Soak {
    fn describe() -> Info {
        Info::new(
            "soak",
            env!("CARGO_PKG_VERSION"),
            "Hours of bursty light load with idle gaps: phases burst-<n> (tagged window=<k>) and \
            idle-<n>; one log line per window with its mean latency and errors. The run stops \
            starting bursts at duration × time_scale; the last burst's requests are bounded by \
            --timeout. Suggested: --threshold 'errors:rate==0' --threshold 'checks:rate==1'.",
        )
        .llm_params()
        .param("duration", "48h", "Total run time (before time_scale).")
        .param("burst_min", "50", "Fewest requests in one burst (each burst's size is drawn from the seed).")
        .param("burst_max", "100", "Most requests in one burst.")
        .param("burst_every", "30s", "Time from one burst's start to the next one's, inside a busy stretch.")
        .param("busy", "5m", "Length of a busy stretch of bursts, between two idle periods.")
        .param("idle_min", "5m", "Shortest idle period (each one's length is drawn from the seed).")
        .param("idle_max", "10m", "Longest idle period.")
        .param(
            "window",
            "5m",
            "Length of the reporting windows (5 minutes: enough requests per window for a stable mean).",
        )
        .typed_param(
            "time_scale",
            ParamKind::Number,
            "1",
            "Multiplies every time above: 0.01 turns 48 h into about 29 min.",
        )
        .param("max_tokens", "256", "Tokens to generate per request.")
        .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
    }

    fn drive() -> Result<(), String> {
        let plan = Plan::from_params()?;
        let end_ms = clock::now_ms() + plan.duration_ms;
        let mut window = Window::default();
        let (mut bursts, mut idles) = (0u64, 0u64);
        loop {
            let busy_end = (clock::now_ms() + plan.busy_ms).min(end_ms);
            let mut next = clock::now_ms();
            while next < busy_end {
                sleep_until(next);
                bursts += 1;
                let size = plan.burst_size(bursts);
                let k = (clock::now_ms() / plan.window_ms) as u64;
                window.roll_to(k, plan.window_ms);
                let phase = Phase::burst(&format!("burst-{bursts}"), size).tag("window", k);
                window.add(&load::run(phase)?);
                // Bursts keep to the plan's grid; one that overran skips the slots it missed.
                next += plan.burst_every_ms;
                if next < clock::now_ms() {
                    log::warn(&format!("burst-{bursts} took longer than burst_every"));
                    next = clock::now_ms();
                }
            }
            // The stretch lasts `busy` even when its last burst ended early.
            sleep_until(busy_end);
            let left = end_ms - clock::now_ms();
            if left <= 0.0 {
                break;
            }
            idles += 1;
            let idle = plan.idle_ms(idles).min(left);
            load::run(Phase::pause(&format!("idle-{idles}"), ms(idle)))?;
            if clock::now_ms() >= end_ms {
                break;
            }
        }
        window.flush(plan.window_ms);
        log::info(&format!("soak done: {bursts} bursts, {idles} idle periods"));
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = params::parse("max_tokens")?;
        let prompt = prompt::synthetic(params::parse("prompt_tokens")?, ctx.seed(params::seed()));
        let done = llm::chat(prompt).max_tokens(max_tokens).llm_params()?.send()?;
        llm::check_length(&done, max_tokens);
        Ok(())
    }
}

/// The parameters, validated and scaled, in milliseconds.
struct Plan {
    duration_ms: f64,
    busy_ms: f64,
    burst_every_ms: f64,
    window_ms: f64,
    idle: (f64, f64),
    burst: (u32, u32),
    seed: u64,
}

impl Plan {
    fn from_params() -> Result<Self, String> {
        let scale: f64 = params::parse("time_scale")?;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(format!("time_scale must be a positive number, got {scale}"));
        }
        let scaled = |name: &str| -> Result<f64, String> {
            Ok(params::duration(name)?.as_secs_f64() * 1_000.0 * scale)
        };
        let plan = Plan {
            duration_ms: scaled("duration")?,
            busy_ms: scaled("busy")?,
            burst_every_ms: scaled("burst_every")?,
            window_ms: scaled("window")?,
            idle: (scaled("idle_min")?, scaled("idle_max")?),
            burst: (params::parse("burst_min")?, params::parse("burst_max")?),
            seed: params::seed(),
        };
        // Zero-length steps would make the loops spin without ever reaching the end.
        for (name, v) in
            [("busy", plan.busy_ms), ("burst_every", plan.burst_every_ms), ("window", plan.window_ms)]
        {
            if v <= 0.0 {
                return Err(format!("{name} × time_scale must be longer than zero"));
            }
        }
        if plan.idle.0 > plan.idle.1 || plan.burst.0 > plan.burst.1 || plan.burst.0 == 0 {
            return Err("need 0 < burst_min ≤ burst_max and idle_min ≤ idle_max".into());
        }
        Ok(plan)
    }

    /// The size of burst `n`, uniform in `burst_min..=burst_max`.
    fn burst_size(&self, n: u64) -> u32 {
        let (lo, hi) = self.burst;
        let span = u64::from(hi - lo) + 1;
        lo + (draw(self.seed, n) % span) as u32
    }

    /// The length of idle period `n`, uniform in `idle_min..=idle_max`.
    fn idle_ms(&self, n: u64) -> f64 {
        let unit = (draw(!self.seed, n) >> 11) as f64 / (1u64 << 53) as f64;
        self.idle.0 + unit * (self.idle.1 - self.idle.0)
    }
}

/// The `n`-th random number of a stream keyed by `seed`: a hash, so draws need no shared state.
fn draw(seed: u64, n: u64) -> u64 {
    prompt::mix(prompt::mix(seed) ^ n)
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v.max(0.0) / 1_000.0)
}

fn sleep_until(at_ms: f64) {
    let wait = at_ms - clock::now_ms();
    if wait > 0.0 {
        clock::sleep(ms(wait));
    }
}

/// Totals of the bursts in the current reporting window, logged when the window closes.
#[derive(Default)]
struct Window {
    index: Option<u64>,
    bursts: u32,
    requests: u64,
    errors: u64,
    e2e_count: u64,
    e2e_sum_ms: f64,
    ttft_count: u64,
    ttft_sum_ms: f64,
}

impl Window {
    /// Logs and resets the totals if `k` is a new window.
    fn roll_to(&mut self, k: u64, window_ms: f64) {
        if self.index != Some(k) {
            self.flush(window_ms);
            *self = Window { index: Some(k), ..Window::default() };
        }
    }

    fn add(&mut self, s: &PhaseSummary) {
        self.bursts += 1;
        self.requests += s.requests;
        self.errors += s.errors;
        self.e2e_count += s.e2e.count;
        self.e2e_sum_ms += s.e2e.mean_ms * s.e2e.count as f64;
        self.ttft_count += s.ttft.count;
        self.ttft_sum_ms += s.ttft.mean_ms * s.ttft.count as f64;
    }

    fn flush(&self, window_ms: f64) {
        let Some(k) = self.index else { return };
        let mean =
            |sum: f64, n: u64| if n == 0 { "-".to_string() } else { format!("{:.1} ms", sum / n as f64) };
        let start_s = k as f64 * window_ms / 1_000.0;
        log::info(&format!(
            "window {k} ({start_s:.1}s–{:.1}s): {} bursts, {} requests, e2e mean {}, ttft mean {}, {} errors",
            start_s + window_ms / 1_000.0,
            self.bursts,
            self.requests,
            mean(self.e2e_sum_ms, self.e2e_count),
            mean(self.ttft_sum_ms, self.ttft_count),
            self.errors
        ));
    }
}

runner_sdk::export_scenario!(Soak);
