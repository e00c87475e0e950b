//! What the mock saw of the requests themselves, for tests that check what a client sent: the
//! session each request named (`x-session-id`), the image parts of chat messages and the texts
//! of embeddings requests. Shown on `/metrics` (with `--metrics`) as `runner_mock_*` series,
//! beside the vLLM-shaped ones.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hyper::HeaderMap;

/// The header a session-affinity router reads (the one the tests send).
pub(super) const SESSION_HEADER: &str = "x-session-id";

/// How many distinct sessions are counted apart; requests of more are counted together, so a
/// client cannot grow the mock's memory without bound.
const MAX_SESSIONS: usize = 1024;

/// The counters.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// Requests per `x-session-id` value (a request that sent the header twice counts twice).
    sessions: Mutex<BTreeMap<String, u64>>,
    /// Requests whose session was beyond [`MAX_SESSIONS`].
    other_sessions: AtomicU64,
    /// `image_url` parts of chat messages.
    pub image_parts: AtomicU64,
    /// Texts of embeddings requests.
    pub embedding_inputs: AtomicU64,
    /// Requests that came over HTTP/2 (the mock serves HTTP/1.1 and, by prior knowledge, h2c).
    pub http2_requests: AtomicU64,
}

impl Seen {
    /// Counts a request's HTTP version.
    pub(super) fn version(&self, version: hyper::Version) {
        if version == hyper::Version::HTTP_2 {
            self.http2_requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts the sessions a request's headers name.
    pub(super) fn request(&self, headers: &HeaderMap) {
        let mut values = headers.get_all(SESSION_HEADER).iter().peekable();
        if values.peek().is_none() {
            return;
        }
        let mut sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for value in values {
            let id = String::from_utf8_lossy(value.as_bytes()).into_owned();
            if sessions.len() >= MAX_SESSIONS && !sessions.contains_key(&id) {
                self.other_sessions.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            *sessions.entry(id).or_default() += 1;
        }
    }

    /// The `runner_mock_*` series.
    pub(super) fn render(&self, page: &mut String) {
        let counter = |page: &mut String, name: &str, help: &str| {
            let _ = writeln!(page, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        counter(page, "runner_mock_session_requests_total", "Requests per x-session-id header value.");
        let sessions = self.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (id, n) in sessions.iter() {
            let label = id.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(page, "runner_mock_session_requests_total{{session_id=\"{label}\"}} {n}");
        }
        let other = self.other_sessions.load(Ordering::Relaxed);
        let _ = writeln!(page, "runner_mock_session_requests_total{{session_id=\"\"}} {other}");
        for (name, help, value) in [
            ("runner_mock_image_parts_total", "Image parts in chat messages.", &self.image_parts),
            ("runner_mock_embedding_inputs_total", "Texts embedded.", &self.embedding_inputs),
            ("runner_mock_http2_requests_total", "Requests that came over HTTP/2.", &self.http2_requests),
        ] {
            counter(page, name, help);
            let _ = writeln!(page, "{name} {}", value.load(Ordering::Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    #[test]
    fn sessions_are_counted_per_value_and_escaped() {
        let seen = Seen::default();
        let mut headers = HeaderMap::new();
        headers.append(SESSION_HEADER, HeaderValue::from_static("a\"b"));
        seen.request(&headers);
        seen.request(&headers);
        headers.append(SESSION_HEADER, HeaderValue::from_static("c"));
        seen.request(&headers);
        seen.request(&HeaderMap::new());
        seen.image_parts.fetch_add(3, Ordering::Relaxed);
        let mut page = String::new();
        seen.render(&mut page);
        assert!(page.contains("runner_mock_session_requests_total{session_id=\"a\\\"b\"} 3\n"), "{page}");
        assert!(page.contains("runner_mock_session_requests_total{session_id=\"c\"} 1\n"), "{page}");
        assert!(page.contains("runner_mock_image_parts_total 3\n"), "{page}");
        assert!(page.contains("runner_mock_embedding_inputs_total 0\n"), "{page}");
    }

    #[test]
    fn sessions_beyond_the_cap_are_counted_together() {
        let seen = Seen::default();
        for i in 0..MAX_SESSIONS + 5 {
            let mut headers = HeaderMap::new();
            headers.insert(SESSION_HEADER, HeaderValue::from_str(&format!("s{i}")).expect("a value"));
            seen.request(&headers);
        }
        let mut page = String::new();
        seen.render(&mut page);
        assert!(page.contains("runner_mock_session_requests_total{session_id=\"\"} 5\n"), "{page}");
        assert_eq!(page.matches("session_id=\"s").count(), MAX_SESSIONS);
    }
}
