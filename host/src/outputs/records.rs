//! `requests.jsonl` (`--records`): one JSON line per request, written while the run goes — the
//! raw material for a notebook, like AIPerf's profile export.
//!
//! Memory stays bounded whatever the run's length: a VU hands its request to a queue of at most
//! [`QUEUE`] lines and goes on; one writer thread serializes and writes them. A VU never waits
//! for the disk: when the queue is full (the disk is slower than the requests), the line is
//! dropped and counted, and the summary says how many. A write that fails (a full disk) is said
//! once; the lines after it are counted as not written. The results themselves never depend on
//! this file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::stats::{Observed, Outcome, RequestObserver, Tags};

/// The file's name in the run folder.
pub const RECORDS: &str = "requests.jsonl";

/// Lines waiting for the writer, at most: about 20 MB of lines at worst, a few seconds of the
/// fastest runs, so a disk that stalls briefly loses nothing.
pub const QUEUE: usize = 65_536;

/// One request, as a line of the file. Times are milliseconds (microsecond resolution) on the
/// run's clock, the time series' origin.
#[derive(Debug, Default, Serialize)]
struct Line {
    phase: String,
    /// The phase's tags with the request's own over them.
    #[serde(skip_serializing_if = "Tags::is_empty")]
    tags: Tags,
    kind: &'static str,
    start_ms: f64,
    end_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// The error class of a failed request; absent when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    e2e_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttft_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttfo_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttst_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tpot_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    itl: Option<ItlSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output_tokens: Option<u32>,
    /// Where `output_tokens` came from: `usage` (the server said) or `counted` (the client).
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counted_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_calls: Option<u32>,
    /// Plain HTTP: time to connect, when this request opened its connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    connect_ms: Option<f64>,
    /// Plain HTTP: first byte of the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    ttfb_ms: Option<f64>,
}

/// The inter-token latencies of one stream, summarized (the whole list would make a line per
/// token of output).
#[derive(Debug, Serialize, PartialEq)]
struct ItlSummary {
    count: usize,
    mean_ms: f64,
    min_ms: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl ItlSummary {
    fn of(gaps: &[Duration]) -> Option<Self> {
        if gaps.is_empty() {
            return None;
        }
        let mut us: Vec<u64> =
            gaps.iter().map(|g| u64::try_from(g.as_micros()).unwrap_or(u64::MAX)).collect();
        us.sort_unstable();
        // Nearest rank, as the reports' percentiles.
        let rank = |p: f64| us[((p / 100.0 * us.len() as f64).ceil() as usize).clamp(1, us.len()) - 1];
        let sum: u128 = us.iter().map(|&u| u128::from(u)).sum();
        Some(Self {
            count: us.len(),
            mean_ms: round_ms(sum as f64 / us.len() as f64),
            min_ms: round_ms(us[0] as f64),
            p50_ms: round_ms(rank(50.0) as f64),
            p90_ms: round_ms(rank(90.0) as f64),
            p99_ms: round_ms(rank(99.0) as f64),
            max_ms: round_ms(us[us.len() - 1] as f64),
        })
    }
}

/// Microseconds as milliseconds with three decimals.
fn round_ms(us: f64) -> f64 {
    (us).round() / 1000.0
}

fn ms(d: Duration) -> f64 {
    round_ms(d.as_micros() as f64)
}

enum Message {
    Line(Box<Line>),
    End,
}

/// What the writer did, for the summary's notes.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RecordsEnd {
    pub written: u64,
    /// Lines dropped because the queue was full.
    pub dropped: u64,
    /// Lines not written because a write had failed.
    pub lost: u64,
    /// The first write that failed.
    pub error: Option<String>,
}

impl RecordsEnd {
    /// The note the summary carries when the file is not every request.
    pub fn note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.dropped > 0 {
            parts.push(format!(
                "{} requests were not written (the writer fell {QUEUE} lines behind the requests)",
                self.dropped
            ));
        }
        if let Some(error) = &self.error {
            parts.push(format!(
                "writing stopped after {} lines ({error}); {} lines lost",
                self.written, self.lost
            ));
        }
        (!parts.is_empty()).then(|| format!("{RECORDS} is incomplete: {}", parts.join("; ")))
    }
}

/// The open `requests.jsonl` of a run.
pub struct Records {
    queue: SyncSender<Message>,
    /// The run's clock starts here (set when the run's context is made).
    origin: OnceLock<Instant>,
    dropped: AtomicU64,
    writer: Mutex<Option<JoinHandle<RecordsEnd>>>,
}

impl Records {
    /// Creates `dir/requests.jsonl` and starts its writer.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        let file = File::create(dir.join(RECORDS))?;
        let (queue, lines) = mpsc::sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("runner-records".into())
            .spawn(move || write_lines(BufWriter::with_capacity(256 * 1024, file), lines))?;
        Ok(Self {
            queue,
            origin: OnceLock::new(),
            dropped: AtomicU64::new(0),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Sets the run's clock's origin; offsets count from it.
    pub fn set_origin(&self, started: Instant) {
        let _ = self.origin.set(started);
    }

    /// Writes what is queued, closes the file and says what was written. Requests recorded after
    /// this are counted as dropped. Blocks until the writer is done (a few milliseconds: at most
    /// [`QUEUE`] lines are waiting).
    pub fn finish(&self) -> RecordsEnd {
        let _ = self.queue.send(Message::End);
        let writer = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut end = match writer.map(JoinHandle::join) {
            Some(Ok(end)) => end,
            Some(Err(_)) => {
                RecordsEnd { error: Some("the writer thread panicked".into()), ..RecordsEnd::default() }
            }
            None => RecordsEnd::default(),
        };
        end.dropped = self.dropped.load(Ordering::Relaxed);
        end
    }

    fn offset(&self, at: Instant) -> f64 {
        let origin = *self.origin.get_or_init(|| at);
        ms(at.saturating_duration_since(origin))
    }

    fn line(&self, r: &Observed<'_>) -> Line {
        let mut tags = r.phase_tags.clone();
        tags.extend(r.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut line = Line {
            phase: r.phase.to_string(),
            tags,
            kind: r.kind.name(),
            start_ms: self.offset(r.started.unwrap_or(r.ended)),
            end_ms: self.offset(r.ended),
            ..Line::default()
        };
        match r.outcome {
            Outcome::Llm(c) => {
                line.status = (c.status != 0).then_some(c.status);
                line.e2e_ms = Some(ms(c.e2e));
                line.ttft_ms = c.ttft.map(ms);
                line.ttfo_ms = c.ttfo.map(ms);
                line.ttst_ms = c.ttst.map(ms);
                line.tpot_ms = c.tpot.map(ms);
                line.itl = ItlSummary::of(c.itl);
                line.input_tokens = c.input_tokens;
                line.output_tokens = Some(c.output_tokens);
                line.tokens_source = Some(if c.output_tokens_from_usage { "usage" } else { "counted" });
                line.usage_output_tokens = c.usage_output_tokens;
                line.counted_output_tokens = Some(c.counted_output_tokens);
                line.cached_tokens = c.cached_tokens;
                line.reasoning_tokens = c.reasoning_tokens;
                line.tool_calls = (c.tool_calls > 0).then_some(c.tool_calls);
            }
            Outcome::Embedding { e2e, input_tokens } => {
                line.e2e_ms = Some(ms(e2e));
                line.input_tokens = input_tokens;
            }
            Outcome::Http(h) => {
                line.status = Some(h.status);
                line.e2e_ms = Some(ms(h.total));
                line.ttfb_ms = Some(ms(h.ttfb));
                line.connect_ms = h.connect.map(ms);
            }
            Outcome::Failed { class, status } => {
                line.status = status;
                line.error = Some(class.as_str());
                line.e2e_ms = r.started.map(|s| ms(r.ended.saturating_duration_since(s)));
            }
        }
        line
    }
}

impl RequestObserver for Records {
    fn request(&self, request: &Observed<'_>) {
        match self.queue.try_send(Message::Line(Box::new(self.line(request)))) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The writer thread: lines until `End`, then a flush.
fn write_lines(mut out: BufWriter<File>, lines: mpsc::Receiver<Message>) -> RecordsEnd {
    let mut end = RecordsEnd::default();
    let mut buf = Vec::with_capacity(512);
    for message in lines.iter() {
        let Message::Line(line) = message else { break };
        if end.error.is_some() {
            end.lost += 1;
            continue;
        }
        buf.clear();
        let written = serde_json::to_writer(&mut buf, &line).map_err(std::io::Error::other).and_then(|()| {
            buf.push(b'\n');
            out.write_all(&buf)
        });
        match written {
            Ok(()) => end.written += 1,
            Err(e) => {
                eprintln!("warning: writing {RECORDS} failed: {e}; the run goes on without it");
                end.error = Some(e.to_string());
                end.lost += 1;
            }
        }
    }
    if end.error.is_none()
        && let Err(e) = out.flush().and_then(|()| out.get_ref().sync_data())
    {
        end.error = Some(e.to_string());
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_class::ErrorClass;
    use crate::stats::{LlmSample, RequestKind};

    fn read(dir: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(dir.join(RECORDS))
            .expect("the file")
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[test]
    fn itl_summary_is_nearest_rank_in_milliseconds() {
        let gaps: Vec<Duration> = (1..=100).map(|i| Duration::from_micros(i * 1000)).collect();
        let s = ItlSummary::of(&gaps).expect("some gaps");
        assert_eq!(
            s,
            ItlSummary {
                count: 100,
                mean_ms: 50.5,
                min_ms: 1.0,
                p50_ms: 50.0,
                p90_ms: 90.0,
                p99_ms: 99.0,
                max_ms: 100.0
            }
        );
        assert_eq!(ItlSummary::of(&[]), None);
    }

    #[test]
    fn a_completion_and_a_failure_become_two_lines_with_their_offsets() {
        let dir = tempfile::tempdir().expect("tmp");
        let records = Records::create(dir.path()).expect("create");
        let origin = Instant::now();
        records.set_origin(origin);
        let itl = [Duration::from_millis(10), Duration::from_millis(12)];
        let sample = LlmSample {
            status: 200,
            e2e: Duration::from_millis(80),
            ttft: Some(Duration::from_millis(50)),
            itl: &itl,
            input_tokens: Some(7),
            output_tokens: 3,
            output_tokens_from_usage: true,
            usage_output_tokens: Some(3),
            counted_output_tokens: 3,
            ..LlmSample::default()
        };
        let phase_tags = Tags::from([("model".to_string(), "m".to_string())]);
        let tags = Tags::from([("turn".to_string(), "2".to_string())]);
        records.request(&Observed {
            phase: "main",
            phase_tags: &phase_tags,
            tags: &tags,
            kind: RequestKind::Llm,
            started: Some(origin + Duration::from_millis(100)),
            ended: origin + Duration::from_millis(180),
            outcome: Outcome::Llm(&sample),
        });
        records.request(&Observed {
            phase: "main",
            phase_tags: &phase_tags,
            tags: &Tags::new(),
            kind: RequestKind::Llm,
            started: Some(origin + Duration::from_millis(200)),
            ended: origin + Duration::from_millis(205),
            outcome: Outcome::Failed { class: ErrorClass::HttpStatus, status: Some(503) },
        });
        let end = records.finish();
        assert_eq!(end, RecordsEnd { written: 2, ..RecordsEnd::default() });
        assert_eq!(end.note(), None);
        let lines = read(dir.path());
        assert_eq!(lines.len(), 2);
        let ok = &lines[0];
        assert_eq!(ok["phase"], "main");
        assert_eq!(ok["tags"], serde_json::json!({"model": "m", "turn": "2"}));
        assert_eq!(ok["start_ms"], 100.0);
        assert_eq!(ok["end_ms"], 180.0);
        assert_eq!(ok["ttft_ms"], 50.0);
        assert_eq!(ok["itl"]["count"], 2);
        assert_eq!(ok["tokens_source"], "usage");
        assert!(ok.get("error").is_none());
        let failed = &lines[1];
        assert_eq!(failed["error"], "http-status");
        assert_eq!(failed["status"], 503);
        assert_eq!(failed["e2e_ms"], 5.0);
        // After finish, a late request is counted, not written.
        records.request(&Observed {
            phase: "main",
            phase_tags: &phase_tags,
            tags: &tags,
            kind: RequestKind::Http,
            started: None,
            ended: Instant::now(),
            outcome: Outcome::Failed { class: ErrorClass::Timeout, status: None },
        });
        assert_eq!(records.dropped.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_full_disk_is_said_once_and_counted() {
        // /dev/full fails every write with ENOSPC.
        let Ok(file) = File::options().write(true).open("/dev/full") else { return };
        let (queue, lines) = mpsc::sync_channel(16);
        let writer = std::thread::spawn(move || write_lines(BufWriter::with_capacity(16, file), lines));
        let line = || {
            Message::Line(Box::new(Line {
                phase: "p".repeat(64),
                kind: "llm",
                end_ms: 1.0,
                ..Line::default()
            }))
        };
        for _ in 0..3 {
            queue.send(line()).expect("queued");
        }
        queue.send(Message::End).expect("end");
        let end = writer.join().expect("the writer");
        assert_eq!(end.written, 0);
        assert_eq!(end.lost, 3);
        assert!(end.error.as_deref().is_some_and(|e| e.contains("space")), "{end:?}");
        assert!(end.note().is_some_and(|n| n.contains("3 lines lost")));
    }
}
