//! What the dashboard's browsers are sent: the time series so far, bounded in memory, and each
//! new record as the timeline writes it, both as server-sent-event frames.
//!
//! The timeline's sampler publishes into a [`Feed`]; it never waits for a browser. Each browser
//! gets a [`Subscription`]: a snapshot of the history, taken under the same lock as its place in
//! a tokio broadcast channel, so it sees every record once, none missing between the replay and
//! the live ones. A browser that stops reading falls behind in its own receiver only: the
//! channel drops the oldest records for it (it is told how many), never holds the sampler.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{BufMut, Bytes, BytesMut};
use runner_reports::timeseries::Record;
use tokio::sync::broadcast;

use crate::timeline::Tap;

/// Records older than this many seconds of the run (before its newest) leave the history: a
/// browser that connects late is replayed the last hour.
pub const KEEP_S: f64 = 3600.0;
/// The history's samples and telemetry records take at most this many bytes of JSON; past it
/// the oldest go first, so a fast `--sample-interval` cannot grow it without bound.
pub const KEEP_BYTES: usize = 32 << 20;
/// Records a browser may fall behind by before it skips the oldest of them: at one sample per
/// phase a second, minutes of a stalled tab.
const CHANNEL: usize = 4096;

/// The frame that closes every stream once the run has finished.
pub(super) const END: &[u8] = b"event: end\ndata: {}\n\n";

/// What the broadcast channel carries.
#[derive(Debug, Clone)]
pub(super) enum Event {
    /// One record, framed (`data: {json}\n\n`).
    Frame(Bytes),
    /// The run finished: the stream ends.
    End,
}

/// Where the timeline publishes its records for the dashboard; cheap to clone.
#[derive(Clone)]
pub struct Feed {
    history: Arc<Mutex<History>>,
    tx: broadcast::Sender<Event>,
}

/// The records a browser is replayed when it connects.
#[derive(Default)]
struct History {
    /// The run's and the phases' start records: few (at most one per phase), always kept, since
    /// a page cannot name a phase's samples without them.
    header: Vec<Bytes>,
    /// Samples and telemetry, with their run time in seconds, oldest first.
    recent: VecDeque<(f64, Bytes)>,
    /// The bytes in `recent`.
    bytes: usize,
    /// The newest run time seen.
    newest_s: f64,
    ended: bool,
}

impl History {
    fn push(&mut self, t_s: f64, frame: Bytes) {
        self.newest_s = self.newest_s.max(t_s);
        self.bytes += frame.len();
        self.recent.push_back((t_s, frame));
        while let Some((t, front)) = self.recent.front() {
            if *t >= self.newest_s - KEEP_S && self.bytes <= KEEP_BYTES {
                break;
            }
            self.bytes -= front.len();
            self.recent.pop_front();
        }
    }
}

/// A browser's place in the feed: what it is replayed, then what it receives.
pub(super) struct Subscription {
    /// The history when it connected, as frames.
    pub replay: Vec<Bytes>,
    /// The records after those.
    pub live: broadcast::Receiver<Event>,
    /// Whether the run had already finished (nothing more will come).
    pub ended: bool,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new()
    }
}

impl Feed {
    /// An empty feed.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CHANNEL);
        Self { history: Arc::default(), tx }
    }

    fn lock(&self) -> MutexGuard<'_, History> {
        // A panic while holding the lock leaves the history whole (every change is one push):
        // keep serving it.
        self.history.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publishes one record, `json` being its serialized form (one line, as written to
    /// `timeseries.jsonl`). Never waits for a browser.
    pub fn publish(&self, record: &Record, json: &[u8]) {
        let frame = frame(json);
        let mut history = self.lock();
        if history.ended {
            return;
        }
        match record {
            Record::Run(_) | Record::Phase(_) => history.header.push(frame.clone()),
            Record::Sample(s) => history.push(s.t_s, frame.clone()),
            Record::Telemetry(t) => history.push(t.t_ms as f64 / 1000.0, frame.clone()),
        }
        // An error means no browser is connected: nothing to do.
        let _ = self.tx.send(Event::Frame(frame));
    }

    /// The run finished: every stream gets its `end` event, and later ones get it after their
    /// replay. Nothing is published after this.
    pub fn end(&self) {
        let mut history = self.lock();
        if !history.ended {
            history.ended = true;
            let _ = self.tx.send(Event::End);
        }
    }

    /// A new browser's subscription.
    pub(super) fn subscribe(&self) -> Subscription {
        let history = self.lock();
        let replay = history.header.iter().chain(history.recent.iter().map(|(_, f)| f)).cloned().collect();
        Subscription { replay, live: self.tx.subscribe(), ended: history.ended }
    }

    /// How many records the history holds now (for tests).
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        let history = self.lock();
        history.header.len() + history.recent.len()
    }
}

impl Tap for Feed {
    fn record(&mut self, record: &Record, json: &[u8]) {
        self.publish(record, json);
    }
}

/// One record as a server-sent event of the default type (`message`). The JSON is one line
/// (serde_json escapes newlines in strings), as a `data:` field must be.
fn frame(json: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(json.len() + 8);
    out.put_slice(b"data: ");
    out.put_slice(json);
    out.put_slice(b"\n\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use runner_reports::timeseries::{PhaseStart, RunStart, Sample};

    use super::*;

    fn sample(t_s: f64) -> Record {
        Record::Sample(Sample { t_s, phase: "p".into(), ..Sample::default() })
    }

    fn publish(feed: &Feed, record: &Record) {
        let json = serde_json::to_vec(record).expect("a record serializes");
        feed.publish(record, &json);
    }

    #[test]
    fn the_history_keeps_the_last_hour_and_every_start_record() {
        let feed = Feed::new();
        publish(&feed, &Record::Run(RunStart { run_id: "r".into() }));
        publish(&feed, &Record::Phase(PhaseStart { phase: "p".into(), ..PhaseStart::default() }));
        for t in 0..4000 {
            publish(&feed, &sample(f64::from(t)));
        }
        let sub = feed.subscribe();
        // 2 start records, then samples 399..=3999 (within an hour of the newest).
        assert_eq!(sub.replay.len(), 2 + 3601);
        assert!(sub.replay[0].starts_with(b"data: {\"kind\":\"run\""));
        assert!(sub.replay[1].starts_with(b"data: {\"kind\":\"phase\""));
        assert!(sub.replay[2].starts_with(b"data: {\"kind\":\"sample\",\"t_s\":399.0,"));
        assert!(sub.replay.iter().all(|f| f.ends_with(b"}\n\n")));
    }

    #[test]
    fn the_history_is_bounded_in_bytes() {
        let feed = Feed::new();
        let big = Record::Sample(Sample { phase: "x".repeat(1 << 20), ..Sample::default() });
        for _ in 0..100 {
            publish(&feed, &big);
        }
        assert!(feed.held() <= KEEP_BYTES >> 20, "held {}", feed.held());
        assert!(feed.held() >= (KEEP_BYTES >> 20) - 1, "held {}", feed.held());
    }

    #[test]
    fn a_subscriber_that_never_reads_lags_and_never_holds_the_publisher() {
        let feed = Feed::new();
        let mut stalled = feed.subscribe().live;
        let began = std::time::Instant::now();
        for t in 0..(3 * CHANNEL) {
            publish(&feed, &sample(t as f64));
        }
        assert!(began.elapsed() < std::time::Duration::from_secs(2), "publishing took {:?}", began.elapsed());
        match stalled.try_recv() {
            Err(broadcast::error::TryRecvError::Lagged(n)) => assert_eq!(n, 2 * CHANNEL as u64),
            other => panic!("expected a lag, got {other:?}"),
        }
        // After the lag, the newest records are still there to read.
        assert!(matches!(stalled.try_recv(), Ok(Event::Frame(_))));
    }

    #[test]
    fn after_the_end_nothing_is_published_and_new_subscribers_are_told() {
        let feed = Feed::new();
        let mut live = feed.subscribe().live;
        publish(&feed, &sample(1.0));
        feed.end();
        publish(&feed, &sample(2.0));
        assert!(matches!(live.try_recv(), Ok(Event::Frame(_))));
        assert!(matches!(live.try_recv(), Ok(Event::End)));
        assert!(live.try_recv().is_err());
        let late = feed.subscribe();
        assert!(late.ended);
        assert_eq!(late.replay.len(), 1);
    }
}
