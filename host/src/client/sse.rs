//! An incremental server-sent-events parser (the WHATWG `text/event-stream` format).
//!
//! Bytes arrive in arbitrary network chunks; [`SseParser::push`] accepts each chunk as it comes
//! and returns the events it completed, so callers can timestamp events at the chunk that
//! finished them. The buffered size is bounded so a hostile server cannot exhaust memory: a line or
//! event that would pass the limit fails before it is buffered, so a stream of any length never
//! holds more than the limit (plus one network chunk being scanned).
//!
//! The specification makes a line whose field name is unknown something to ignore. An
//! OpenAI-compatible stream never has such lines, so a strict parser ([`SseParser::strict`])
//! rejects them instead: a JSON payload sent without its `data:` prefix is then an error, not a
//! silently dropped token.

use thiserror::Error;

/// The default cap on buffered bytes (an unfinished line plus the data of an unfinished event).
pub const DEFAULT_MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `event:` field, when the event named one.
    pub event: Option<String>,
}

/// Why the stream is not valid server-sent events.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SseError {
    /// More than the limit is buffered without completing an event.
    #[error("server-sent event larger than {limit} bytes")]
    TooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// A line is not valid UTF-8.
    #[error("server-sent event line {line} is not valid UTF-8")]
    InvalidUtf8 {
        /// The 1-based line number in the stream.
        line: u64,
    },
    /// A strict parser met a line that is not a comment, not blank and not one of the four fields.
    #[error(
        "server-sent event line {line} is not a comment or a `data`, `event`, `id` or `retry` field: {excerpt}"
    )]
    UnknownField {
        /// The 1-based line number in the stream.
        line: u64,
        /// The start of the line.
        excerpt: String,
    },
}

/// How much of an unknown line [`SseError::UnknownField`] quotes.
const EXCERPT_CHARS: usize = 60;

/// An incremental parser. After it returns an error the stream is unusable: drop the parser.
#[derive(Debug)]
pub struct SseParser {
    max_buffered: usize,
    /// Reject lines with an unknown field name instead of ignoring them.
    strict: bool,
    /// Bytes of the line being received (no terminator yet).
    line: Vec<u8>,
    /// The previous chunk ended in `\r`: a leading `\n` in the next chunk belongs to it.
    after_cr: bool,
    /// Whether the first line still may start with a byte-order mark.
    at_start: bool,
    /// `data:` values of the event being built, each followed by `\n`.
    data: String,
    /// Whether any `data:` field was seen for the event being built.
    has_data: bool,
    event: Option<String>,
    lines_seen: u64,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default 16 MiB limit.
    pub fn new() -> Self {
        Self::with_max_buffered(DEFAULT_MAX_BUFFERED)
    }

    /// A parser that fails once more than `max_buffered` bytes are pending.
    pub fn with_max_buffered(max_buffered: usize) -> Self {
        SseParser {
            max_buffered,
            strict: false,
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event: None,
            lines_seen: 0,
        }
    }

    /// Rejects a line that is not blank, not a comment and not a `data`, `event`, `id` or
    /// `retry` field with [`SseError::UnknownField`], where the specification would ignore it.
    pub fn strict(mut self) -> Self {
        self.strict = true;
        self
    }

    /// Feeds one chunk and returns the events it completed, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        let mut rest = bytes;
        // An empty chunk must not forget a pending `\r`.
        if self.after_cr && !rest.is_empty() {
            self.after_cr = false;
            if let Some(stripped) = rest.strip_prefix(b"\n") {
                rest = stripped;
            }
        }
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.check_size(rest.len())?;
                    self.line.extend_from_slice(rest);
                    break;
                }
                Some(i) => {
                    self.check_size(i)?;
                    self.line.extend_from_slice(&rest[..i]);
                    let terminator = rest[i];
                    rest = &rest[i + 1..];
                    if terminator == b'\r' {
                        match rest.first() {
                            Some(b'\n') => rest = &rest[1..],
                            Some(_) => {}
                            // The `\n` of a `\r\n` may be in the next chunk.
                            None => self.after_cr = true,
                        }
                    }
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.process_line(&line)? {
                        events.push(event);
                    }
                    // Reuse the allocation for the next line.
                    self.line = line;
                    self.line.clear();
                }
            }
        }
        Ok(events)
    }

    /// Ends the stream. A well-formed stream ends with a blank line; anything pending
    /// (an unterminated line, or fields without the blank line that dispatches them) is
    /// returned as the event it would have been, so the caller can decide to accept or reject it.
    pub fn finish(mut self) -> Result<Option<SseEvent>, SseError> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line)?;
        }
        Ok(self.take_event())
    }

    /// Whether anything is buffered that a blank line has not yet dispatched.
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.has_data || self.event.is_some()
    }

    /// Fails when `more` bytes added to what is buffered would pass the limit; checked before
    /// buffering them, so the buffers never grow past it.
    fn check_size(&self, more: usize) -> Result<(), SseError> {
        if self.line.len().saturating_add(self.data.len()).saturating_add(more) > self.max_buffered {
            return Err(SseError::TooLarge { limit: self.max_buffered });
        }
        Ok(())
    }

    fn process_line(&mut self, raw: &[u8]) -> Result<Option<SseEvent>, SseError> {
        self.lines_seen += 1;
        let mut raw = raw;
        if self.at_start {
            self.at_start = false;
            if let Some(stripped) = raw.strip_prefix("\u{feff}".as_bytes()) {
                raw = stripped;
            }
        }
        let line = std::str::from_utf8(raw).map_err(|_| SseError::InvalidUtf8 { line: self.lines_seen })?;
        if line.is_empty() {
            return Ok(self.take_event());
        }
        if line.starts_with(':') {
            return Ok(None);
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => {
                // `self.line` is empty here: the line being processed was taken out of it.
                self.check_size(value.len() + 1)?;
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            // `id` and `retry` matter only to reconnecting clients.
            "id" | "retry" => {}
            _ if self.strict => {
                let excerpt: String = line.chars().take(EXCERPT_CHARS).collect();
                let more = if excerpt.len() < line.len() { "…" } else { "" };
                return Err(SseError::UnknownField {
                    line: self.lines_seen,
                    excerpt: format!("{excerpt}{more}"),
                });
            }
            // Unknown fields are ignored, as the specification requires.
            _ => {}
        }
        Ok(None)
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            // The specification dispatches nothing for an event without data.
            return None;
        }
        self.has_data = false;
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the `\n` after the last data line
        Some(SseEvent { data, event })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(data: &str) -> SseEvent {
        SseEvent { data: data.to_owned(), event: None }
    }

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(p.push(c).expect("valid stream"));
        }
        if let Some(e) = p.finish().expect("valid end") {
            out.push(e);
        }
        out
    }

    const SAMPLE: &str = ": keep-alive comment\n\
        data: {\"a\":1}\n\n\
        event: update\r\ndata:first\r\ndata:  second\r\n\r\n\
        data\rdata: x\r\rid: 7\nretry: 10\nfoo: bar\ndata: [DONE]\n\n";

    fn sample_expected() -> Vec<SseEvent> {
        vec![
            ev("{\"a\":1}"),
            SseEvent { data: "first\n second".into(), event: Some("update".into()) },
            ev("\nx"),
            ev("[DONE]"),
        ]
    }

    #[test]
    fn parses_sample_in_one_chunk() {
        assert_eq!(parse_all(&[SAMPLE.as_bytes()]), sample_expected());
    }

    #[test]
    fn every_split_position_gives_the_same_events() {
        let bytes = SAMPLE.as_bytes();
        for i in 0..=bytes.len() {
            let got = parse_all(&[&bytes[..i], &bytes[i..]]);
            assert_eq!(got, sample_expected(), "split at byte {i}");
        }
    }

    #[test]
    fn every_pair_of_split_positions_gives_the_same_events() {
        let bytes = SAMPLE.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let got = parse_all(&[&bytes[..i], &bytes[i..j], &bytes[j..]]);
                assert_eq!(got, sample_expected(), "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn byte_at_a_time() {
        let chunks: Vec<&[u8]> = SAMPLE.as_bytes().chunks(1).collect();
        assert_eq!(parse_all(&chunks), sample_expected());
    }

    #[test]
    fn events_complete_at_the_chunk_that_ends_them() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: a\n").expect("ok"), vec![]);
        assert!(p.has_pending());
        assert_eq!(p.push(b"\ndata: b\n\ndata: c").expect("ok"), vec![ev("a"), ev("b")]);
        assert_eq!(p.push(b"\n\n").expect("ok"), vec![ev("c")]);
        assert!(!p.has_pending());
        assert_eq!(p.finish().expect("ok"), None);
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_ending() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: a\r").expect("ok"), vec![]);
        // Had the `\n` counted as a second (blank) line, the event would be dispatched here
        // and again, empty, by the real blank line.
        assert_eq!(p.push(b"\ndata: b\r").expect("ok"), vec![]);
        assert_eq!(p.push(b"\n\r").expect("ok"), vec![ev("a\nb")]);
        assert_eq!(p.push(b"\n").expect("ok"), vec![]);
    }

    #[test]
    fn space_after_colon_is_optional_and_only_one_is_stripped() {
        assert_eq!(parse_all(&[b"data:x\n\ndata: y\n\ndata:  z\n\n"]), vec![ev("x"), ev("y"), ev(" z")]);
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_type_resets() {
        assert_eq!(parse_all(&[b"event: ping\n\ndata: d\n\n"]), vec![ev("d")]);
    }

    #[test]
    fn empty_data_line_dispatches_empty_event() {
        assert_eq!(parse_all(&[b"data:\n\n"]), vec![ev("")]);
    }

    #[test]
    fn leading_bom_is_skipped_only_at_start() {
        let got = parse_all(&["\u{feff}data: a\n\n".as_bytes()]);
        assert_eq!(got, vec![ev("a")]);
        // A BOM later is part of a field name, so the line is an unknown field.
        let got = parse_all(&["data: a\n\n\u{feff}data: b\n\n".as_bytes()]);
        assert_eq!(got, vec![ev("a")]);
    }

    #[test]
    fn finish_reports_trailing_incomplete_event() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: [DONE]").expect("ok"), vec![]);
        assert_eq!(p.finish().expect("ok"), Some(ev("[DONE]")));

        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: x\n").expect("ok"), vec![]);
        assert_eq!(p.finish().expect("ok"), Some(ev("x")));

        let mut p = SseParser::new();
        assert_eq!(p.push(b": only a comment").expect("ok"), vec![]);
        assert_eq!(p.finish().expect("ok"), None);
    }

    #[test]
    fn multibyte_utf8_split_across_chunks() {
        let s = "data: héllo → 世界\n\n".as_bytes();
        for i in 0..=s.len() {
            assert_eq!(parse_all(&[&s[..i], &s[i..]]), vec![ev("héllo → 世界")], "split at {i}");
        }
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: ok\n\n").expect("ok"), vec![ev("ok")]);
        assert_eq!(p.push(b"data: \xff\xfe\n"), Err(SseError::InvalidUtf8 { line: 3 }));
    }

    #[test]
    fn unterminated_line_over_limit_is_an_error() {
        let mut p = SseParser::with_max_buffered(64);
        assert!(p.push(&[b'a'; 60]).is_ok());
        assert_eq!(p.push(&[b'a'; 10]), Err(SseError::TooLarge { limit: 64 }));
    }

    #[test]
    fn many_data_lines_over_limit_is_an_error() {
        let mut p = SseParser::with_max_buffered(64);
        let mut result = Ok(vec![]);
        for _ in 0..10 {
            result = p.push(b"data: 0123456789\n");
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(SseError::TooLarge { limit: 64 }));
    }

    #[test]
    fn strict_parser_accepts_the_four_fields_and_comments() {
        // SAMPLE minus its `foo: bar` line, which is the one unknown field in it.
        let known = SAMPLE.replace("foo: bar\n", "");
        let mut p = SseParser::new().strict();
        let mut got = p.push(known.as_bytes()).expect("only known fields");
        got.extend(p.finish().expect("ok"));
        assert_eq!(got, sample_expected());
    }

    #[test]
    fn strict_parser_rejects_a_payload_without_its_data_prefix() {
        let mut p = SseParser::new().strict();
        assert_eq!(p.push(b"data: {\"a\":1}\n\n").expect("ok"), vec![ev("{\"a\":1}")]);
        let err = p.push(b"{\"id\":\"x\",\"choices\":[]}\n\n").expect_err("no data: prefix");
        assert_eq!(err, SseError::UnknownField { line: 3, excerpt: "{\"id\":\"x\",\"choices\":[]}".into() });
        // The lenient parser ignores the same line, as the specification says.
        assert_eq!(parse_all(&[b"{\"id\":\"x\"}\n\ndata: b\n\n"]), vec![ev("b")]);
    }

    #[test]
    fn strict_parser_rejects_an_unknown_line_left_at_the_end_and_quotes_only_its_start() {
        let mut p = SseParser::new().strict();
        let long = "x".repeat(500);
        assert_eq!(p.push(long.as_bytes()).expect("not a whole line yet"), vec![]);
        match p.finish() {
            Err(SseError::UnknownField { line: 1, excerpt }) => {
                assert_eq!(excerpt, format!("{}…", "x".repeat(EXCERPT_CHARS)));
            }
            other => panic!("expected UnknownField, got {other:?}"),
        }
    }

    #[test]
    fn the_limit_is_checked_before_buffering() {
        // A line over the limit fails without growing the buffer past it: a 300 MB line costs
        // no more than the limit.
        let mut p = SseParser::with_max_buffered(64);
        assert!(p.push(&[b'a'; 64]).is_ok());
        assert_eq!(p.push(b"b"), Err(SseError::TooLarge { limit: 64 }));
        assert!(p.line.capacity() <= 64, "capacity {}", p.line.capacity());
        let mut p = SseParser::with_max_buffered(64);
        assert_eq!(p.push(&[b'a'; 1000]), Err(SseError::TooLarge { limit: 64 }));
        assert_eq!(p.line.capacity(), 0, "nothing of an oversized chunk is buffered");
    }

    #[test]
    fn limit_is_per_event_not_per_stream() {
        let mut p = SseParser::with_max_buffered(64);
        for _ in 0..100 {
            assert_eq!(p.push(b"data: 0123456789\n\n").expect("under limit"), vec![ev("0123456789")]);
        }
    }
}
