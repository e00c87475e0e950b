//! Property tests of the server-sent-events parser ([`super::sse`]): any bytes, split at any
//! points, never panic and parse exactly as they would in one piece; a well-formed stream split
//! anywhere yields the events it was built from. Case counts and sizes are bounded so the whole
//! file runs in about a second (CI runs it on every `cargo test`).

use proptest::prelude::*;

use super::sse::{SseError, SseEvent, SseParser};

/// Everything a parser made of a stream: its events, or the first error (events already returned
/// before an error depend on where the chunks broke, so they are not part of the outcome).
fn outcome(chunks: &[&[u8]], max_buffered: usize) -> Result<Vec<SseEvent>, SseError> {
    outcome_of(SseParser::with_max_buffered(max_buffered), chunks)
}

/// The same with a strict parser (unknown field lines are errors).
fn strict_outcome(chunks: &[&[u8]]) -> Result<Vec<SseEvent>, SseError> {
    outcome_of(SseParser::new().strict(), chunks)
}

fn outcome_of(mut parser: SseParser, chunks: &[&[u8]]) -> Result<Vec<SseEvent>, SseError> {
    let mut events = Vec::new();
    for chunk in chunks {
        events.extend(parser.push(chunk)?);
    }
    events.extend(parser.finish()?);
    Ok(events)
}

/// `bytes` cut at the given points (taken modulo the length, sorted, duplicates allowed so
/// empty chunks occur too).
fn split_at<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    chunks
}

/// Bytes biased towards what the parser branches on (line endings, colons, field names, a BOM,
/// invalid UTF-8), mixed with arbitrary bytes.
fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => Just(b"\n".to_vec()),
        3 => Just(b"\r".to_vec()),
        2 => Just(b"\r\n".to_vec()),
        3 => Just(b"data:".to_vec()),
        2 => Just(b"data: ".to_vec()),
        1 => Just(b"event: e".to_vec()),
        1 => Just(b": comment".to_vec()),
        1 => Just(b"id: 1".to_vec()),
        1 => Just("\u{feff}".as_bytes().to_vec()),
        1 => Just("é世".as_bytes().to_vec()),
        1 => Just(b"\xff\xc3".to_vec()),
        4 => prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// One field value: printable text, colons and spaces included, never a line ending.
fn value() -> impl Strategy<Value = String> {
    "[ a-zA-Z0-9:{}\"\\[\\]é世→]{0,12}"
}

#[derive(Debug, Clone)]
struct Built {
    bytes: Vec<u8>,
    events: Vec<SseEvent>,
}

/// A well-formed stream: events of one or more data lines, some with a type, comments between
/// them, and one line ending throughout (mixing `\r` with a following `\n` would merge two line
/// endings into one, which is the format's rule, not a parser property).
fn well_formed() -> impl Strategy<Value = Built> {
    let event =
        (prop::option::of("[a-z]{1,8}"), prop::collection::vec(value(), 1..4), prop::option::of(value()));
    (prop::collection::vec(event, 0..6), prop_oneof![Just("\n"), Just("\r"), Just("\r\n")], any::<bool>())
        .prop_map(|(events, eol, bom)| {
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            let mut expected = Vec::new();
            for (kind, data, comment) in events {
                if let Some(comment) = comment {
                    text.push_str(&format!(":{comment}{eol}"));
                }
                if let Some(kind) = &kind {
                    text.push_str(&format!("event: {kind}{eol}"));
                }
                for line in &data {
                    text.push_str(&format!("data: {line}{eol}"));
                }
                text.push_str(eol);
                expected.push(SseEvent { data: data.join("\n"), event: kind });
            }
            Built { bytes: text.into_bytes(), events: expected }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_bytes_split_anywhere_parse_as_in_one_piece(
        bytes in stream_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let whole = outcome(&[&bytes], usize::MAX);
        let chunked = outcome(&split_at(&bytes, &cuts), usize::MAX);
        prop_assert_eq!(&chunked, &whole);
        let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(&outcome(&bytewise, usize::MAX), &whole);
    }

    #[test]
    fn a_small_limit_fails_cleanly_and_never_buffers_past_it(
        bytes in stream_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        limit in 0usize..64,
    ) {
        // Where a chunk breaks can move the moment the limit trips, but never past it: any
        // event dispatched must have fit, and the only errors are the two the format allows.
        match outcome(&split_at(&bytes, &cuts), limit) {
            Ok(events) => for e in events {
                prop_assert!(e.data.len() <= limit, "{} bytes dispatched under a {limit} limit", e.data.len());
            },
            Err(SseError::TooLarge { limit: reported }) => prop_assert_eq!(reported, limit),
            Err(SseError::InvalidUtf8 { line }) => prop_assert!(line >= 1),
            Err(other) => prop_assert!(false, "a lenient parser failed with {other:?}"),
        }
    }

    #[test]
    fn a_well_formed_stream_split_anywhere_gives_its_events(
        built in well_formed(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let got = outcome(&split_at(&built.bytes, &cuts), usize::MAX);
        prop_assert_eq!(&got, &Ok(built.events.clone()));
        prop_assert_eq!(strict_outcome(&split_at(&built.bytes, &cuts)), Ok(built.events));
    }

    #[test]
    fn a_strict_parser_agrees_with_the_lenient_one_or_names_the_unknown_line(
        bytes in stream_bytes(),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let strict = strict_outcome(&split_at(&bytes, &cuts));
        prop_assert_eq!(&strict, &strict_outcome(&[&bytes]), "strict parsing depends on the chunking");
        let lenient = outcome(&[&bytes], usize::MAX);
        match strict {
            Err(SseError::UnknownField { line, .. }) => prop_assert!(line >= 1),
            strict => prop_assert_eq!(strict, lenient),
        }
    }
}
