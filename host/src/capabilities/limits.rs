//! What a guest (or a flag) may hand the host: the bounds on every duration, rate, count, size
//! and name that crosses into host arithmetic or allocation. A scenario's linear memory is capped
//! (`--guest-memory`); what the host builds or keeps on its behalf — prompts it makes from a
//! token count, phases, maps keyed by names, log text, the description it records — is bounded
//! here, so that no value a scenario can pass makes the host panic, overflow, allocate gigabytes
//! or write something a report cannot render.
//!
//! Each check returns one line saying what was wrong and what the bound is. Callers decide what
//! refusal means where they are: an error the guest sees (`load.run`, `llm.call`), an update
//! dropped and counted in the report (`metrics`, whose calls return nothing), the scenario
//! refused before any traffic (`describe`), exit 2 (a flag).

use std::time::Duration;

use crate::bindings::exports::runner::scenario::guest::Info;

/// The longest duration the host accepts anywhere: a phase (or the sum of its stages), a
/// graceful stop, a request or iteration timeout, a command-line duration. A week: far beyond a
/// 48-hour soak, far below anything that overflows `Instant` or timer arithmetic.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The highest arrival rate (per second) of one open-loop phase. One dispatcher task starts every
/// arrival; well above what it can start on a small machine (it then keeps its duration and
/// counts the arrivals it could not start), and above any LLM server's request rate.
pub const MAX_RATE: f64 = 100_000.0;

/// The most VUs one phase may ask for (`vus`, `max-vus`, a stage's target, a burst's count),
/// whatever `--max-vus` says; the instance pool (`--max-vus`) bounds them further when smaller.
pub const MAX_VUS: u32 = 100_000;

/// The most stages one ramping phase may have.
pub const MAX_STAGES: usize = 1_000;

/// The most phases one run may start. Each keeps its statistics (up to a few MiB of histograms)
/// until the report is written.
pub const MAX_PHASES: usize = 256;

/// The longest prompt the host builds from a token count (`data.synthetic-prompt`, a synthetic
/// `prompt-source`): 2^20 tokens, about 6 MiB of text. Longer than any model's context today
/// but a few, and small against the guest's own memory cap.
pub const MAX_PROMPT_TOKENS: u32 = 1 << 20;

/// The most requests one `llm.call-many` sends at once. Each is a connection held open for the
/// whole answer, so the bound is on how many sockets one VU can open on its own say-so; far
/// above the fan-out of an agent's step (a handful of sub-requests), and small enough that
/// re-polling every unfinished call on each wake-up stays cheap (see `llm/many.rs`).
pub const MAX_PARALLEL_CALLS: usize = 256;

/// The longest metric name, tag key or phase name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;
/// The longest tag value, in bytes.
pub const MAX_TAG_VALUE_BYTES: usize = 256;
/// The most tags one phase, request or metric update may carry.
pub const MAX_TAGS: usize = 32;

/// The most thresholds a run may declare (`describe` and `metrics.threshold` together), and the
/// longest expression.
pub const MAX_THRESHOLDS: usize = 256;
pub const MAX_THRESHOLD_BYTES: usize = 512;

/// `describe()`: the most parameters, and the longest texts it may declare, in bytes.
pub const MAX_PARAMS: usize = 256;
pub const MAX_DESCRIPTION_BYTES: usize = 4096;
pub const MAX_HELP_BYTES: usize = 1024;
pub const MAX_DEFAULT_BYTES: usize = 4096;
/// A scenario's version and author.
pub const MAX_SHORT_TEXT_BYTES: usize = 256;

/// A name as reports render it (summary.json keys, Markdown and HTML tables, metric names):
/// non-empty, at most [`MAX_NAME_BYTES`], no control characters (a newline breaks a table row, an
/// escape sequence rewrites the operator's terminal), no leading or trailing space.
pub fn name(what: &str, s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err(format!("{what} is empty"));
    }
    text(what, s, MAX_NAME_BYTES)?;
    if s.trim() != s {
        return Err(format!("{what} {:?} starts or ends with white space", s));
    }
    Ok(())
}

/// A text that is shown as one line: at most `max` bytes, no control characters.
pub fn text(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        return Err(format!("{what} is {} bytes long; at most {max} are accepted", s.len()));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(format!("{what} {:?} holds the control character {:?}", preview(s), c));
    }
    Ok(())
}

/// A text that may span lines (a description): at most `max` bytes, no control characters but
/// newlines and tabs.
pub fn paragraph(what: &str, s: &str, max: usize) -> Result<(), String> {
    if s.len() > max {
        return Err(format!("{what} is {} bytes long; at most {max} are accepted", s.len()));
    }
    if let Some(c) = s.chars().find(|c| c.is_control() && *c != '\n' && *c != '\t') {
        return Err(format!("{what} {:?} holds the control character {:?}", preview(s), c));
    }
    Ok(())
}

/// Tags (a phase's, a request's, a metric update's): at most [`MAX_TAGS`], each key a
/// [`name`], each value a one-line [`text`] of at most [`MAX_TAG_VALUE_BYTES`].
pub fn tags(list: &[(String, String)]) -> Result<(), String> {
    if list.len() > MAX_TAGS {
        return Err(format!("{} tags; at most {MAX_TAGS} are accepted", list.len()));
    }
    for (k, v) in list {
        name("a tag key", k)?;
        text(&format!("tag {k:?}'s value"), v, MAX_TAG_VALUE_BYTES)?;
    }
    Ok(())
}

/// A duration in milliseconds from the guest: at most [`MAX_DURATION`].
pub fn duration_ms(what: &str, ms: u64) -> Result<Duration, String> {
    let d = Duration::from_millis(ms);
    if d > MAX_DURATION {
        return Err(format!("{what} of {ms} ms is longer than the maximum of {}", human(MAX_DURATION)));
    }
    Ok(d)
}

/// A request's own timeout: from 1 ms to [`MAX_DURATION`].
pub fn timeout_ms(ms: u64) -> Result<Duration, String> {
    if ms == 0 {
        return Err("timeout-ms must be greater than 0".into());
    }
    duration_ms("timeout-ms", ms)
}

/// A rate (per second): finite, ≥ 0 and at most [`MAX_RATE`].
pub fn rate(what: &str, r: f64) -> Result<f64, String> {
    if !(r.is_finite() && r >= 0.0) {
        return Err(format!("{what} must be a finite number ≥ 0, not {r}"));
    }
    if r > MAX_RATE {
        return Err(format!("{what} of {r}/s is over the maximum of {MAX_RATE}/s per phase"));
    }
    Ok(r)
}

/// The most start offsets a recorded schedule may hold (8 bytes each on the host: 80 MB).
pub const MAX_SCHEDULED: usize = 10_000_000;
/// The burstiness (gamma shape) accepted: vLLM's benchmark uses values around 0.1–10; far below,
/// the schedule degenerates into one burst, far above into uniform spacing.
pub const BURSTINESS: std::ops::RangeInclusive<f64> = 0.01..=100.0;

/// A gamma arrival's burstiness: finite and within [`BURSTINESS`].
pub fn burstiness(b: f64) -> Result<f64, String> {
    if !BURSTINESS.contains(&b) {
        return Err(format!(
            "burstiness {b} is outside {}..={} (1 is Poisson, below 1 burstier)",
            BURSTINESS.start(),
            BURSTINESS.end()
        ));
    }
    Ok(b)
}

/// A recorded schedule's start offsets (ms): at most [`MAX_SCHEDULED`], each finite, ≥ 0,
/// within [`MAX_DURATION`] and none before the one it follows.
pub fn schedule(offsets_ms: &[f64]) -> Result<Vec<Duration>, String> {
    if offsets_ms.len() > MAX_SCHEDULED {
        return Err(format!("{} start offsets; at most {MAX_SCHEDULED} are accepted", offsets_ms.len()));
    }
    let mut out = Vec::with_capacity(offsets_ms.len());
    let mut last = 0.0f64;
    for (i, &ms) in offsets_ms.iter().enumerate() {
        if !ms.is_finite() || ms < 0.0 || ms > MAX_DURATION.as_secs_f64() * 1000.0 {
            return Err(format!(
                "start offset #{i} ({ms} ms) is not between 0 and the maximum of {}",
                human(MAX_DURATION)
            ));
        }
        if ms < last {
            return Err(format!(
                "start offset #{i} ({ms} ms) comes before the one it follows ({last} ms): offsets must not decrease"
            ));
        }
        last = ms;
        out.push(Duration::from_secs_f64(ms / 1000.0));
    }
    Ok(out)
}

/// A VU count: at most [`MAX_VUS`].
pub fn vus(what: &str, n: u32) -> Result<u32, String> {
    if n > MAX_VUS {
        return Err(format!("{what} of {n} is over the maximum of {MAX_VUS} VUs per phase"));
    }
    Ok(n)
}

/// One `llm.call-many`: at most [`MAX_PARALLEL_CALLS`] requests, whose synthetic prompts
/// (`synthetic_tokens`, summed) the host builds all at once: together at most
/// [`MAX_PROMPT_TOKENS`], the bound of one call's prompt, as for an embeddings batch.
pub fn parallel_calls(n: usize, synthetic_tokens: u64) -> Result<(), String> {
    if n > MAX_PARALLEL_CALLS {
        return Err(format!("call-many of {n} requests; at most {MAX_PARALLEL_CALLS} are sent at once"));
    }
    if synthetic_tokens > u64::from(MAX_PROMPT_TOKENS) {
        return Err(format!(
            "call-many of {n} requests with {synthetic_tokens} synthetic prompt tokens in all; at most \
             {MAX_PROMPT_TOKENS} are built at once"
        ));
    }
    Ok(())
}

/// What `describe()` declares, bounded: every text is recorded (run.json, summary.json) and
/// shown (`runner inspect`, the reports), every parameter checked against each `--param`.
pub fn describe(info: &Info) -> Result<(), String> {
    name("the scenario's name", &info.name)?;
    text("the scenario's version", &info.version, MAX_SHORT_TEXT_BYTES)?;
    text("the scenario's author", &info.author, MAX_SHORT_TEXT_BYTES)?;
    paragraph("the scenario's description", &info.description, MAX_DESCRIPTION_BYTES)?;
    if info.params.len() > MAX_PARAMS {
        return Err(format!(
            "it declares {} parameters; at most {MAX_PARAMS} are accepted",
            info.params.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &info.params {
        name("a parameter name", &p.name)?;
        if p.name.contains('=') || p.name.contains(char::is_whitespace) {
            return Err(format!(
                "parameter name {:?} holds '=' or white space: --param could not set it",
                p.name
            ));
        }
        if !seen.insert(p.name.as_str()) {
            return Err(format!("parameter {:?} is declared twice", p.name));
        }
        text(&format!("parameter {:?}'s default", p.name), &p.default, MAX_DEFAULT_BYTES)?;
        paragraph(&format!("parameter {:?}'s help", p.name), &p.help, MAX_HELP_BYTES)?;
    }
    if info.thresholds.len() > MAX_THRESHOLDS {
        return Err(format!(
            "it declares {} thresholds; at most {MAX_THRESHOLDS} are accepted",
            info.thresholds.len()
        ));
    }
    for t in &info.thresholds {
        text("a threshold", t, MAX_THRESHOLD_BYTES)?;
    }
    Ok(())
}

/// `7days`, `30s`: a duration as the messages say it.
pub fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// The first 40 characters of `s`, for a message about it.
fn preview(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// A log line as the host writes it: at most [`super::log::LOG_LINE_BYTES`], cut at a character
/// boundary, saying how much was cut.
pub fn cut(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes cut)", &s[..end], s.len() - end).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_cannot_be_rendered_are_refused() {
        assert!(name("n", "ttft_ok").is_ok());
        assert!(name("n", "é-ü 1").is_ok());
        for bad in ["", " lead", "trail ", "new\nline", "esc\u{1b}[2J", "nul\0"] {
            assert!(name("n", bad).is_err(), "{bad:?}");
        }
        assert!(name("n", &"x".repeat(MAX_NAME_BYTES)).is_ok());
        let e = name("n", &"x".repeat(MAX_NAME_BYTES + 1)).unwrap_err();
        assert!(e.contains("129 bytes") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn durations_rates_and_counts_have_bounds() {
        assert_eq!(duration_ms("d", 1500), Ok(Duration::from_millis(1500)));
        assert!(duration_ms("d", u64::MAX).unwrap_err().contains("7days"));
        assert!(timeout_ms(0).is_err());
        assert!(
            rate("r", f64::NAN).is_err() && rate("r", f64::INFINITY).is_err() && rate("r", -1.0).is_err()
        );
        assert!(rate("r", 2e7).unwrap_err().contains("100000/s"));
        assert_eq!(rate("r", MAX_RATE), Ok(MAX_RATE));
        assert!(vus("vus", u32::MAX).is_err());
        let most = u64::from(MAX_PROMPT_TOKENS);
        assert!(parallel_calls(MAX_PARALLEL_CALLS, most).is_ok());
        assert!(parallel_calls(MAX_PARALLEL_CALLS + 1, 0).unwrap_err().contains("at most 256"));
        assert!(parallel_calls(2, most + 1).unwrap_err().contains("1048577 synthetic prompt tokens"));
    }

    #[test]
    fn tags_are_counted_and_checked() {
        let t = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(tags(&t("model", "llama")).is_ok());
        assert!(tags(&t("model", &"x".repeat(MAX_TAG_VALUE_BYTES + 1))).is_err());
        assert!(tags(&t("bad\tkey", "v")).is_err());
        let many: Vec<_> = (0..=MAX_TAGS).map(|i| (format!("k{i}"), "v".to_string())).collect();
        assert!(tags(&many).is_err());
    }

    #[test]
    fn a_cut_line_says_how_much_was_cut_and_keeps_whole_characters() {
        assert_eq!(cut("short", 10), "short");
        let cut = cut("ééééé", 5);
        assert_eq!(cut, "éé… (6 more bytes cut)");
    }
}
