//! The HTTP/1.1 wire format of an [`super::OwnConnection`]: a request written into one buffer,
//! and a response head and body framed from the bytes read (RFC 9112). No I/O here.
//!
//! Parsing the head is `httparse`'s (hyper's own parser); this module adds only what a client
//! of one keep-alive connection needs: how the body is framed, whether the connection can be
//! used again, and the chunked decoding.

use std::mem::MaybeUninit;

use bytes::{Buf, BytesMut};
use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};

/// The most header fields a response head may have.
const MAX_HEADERS: usize = 100;

/// The most bytes a response head (status line and fields) may take.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Why a response cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The head is not valid HTTP/1.x.
    #[error("invalid HTTP response head: {0}")]
    Head(String),
    /// The head is larger than [`MAX_HEAD_BYTES`].
    #[error("response head larger than {MAX_HEAD_BYTES} bytes")]
    HeadTooLarge,
    /// `content-length` is not one non-negative integer.
    #[error("invalid content-length")]
    ContentLength,
    /// The chunked body is malformed.
    #[error("invalid chunked body: {0}")]
    Chunked(&'static str),
}

/// Writes a request into `out` (cleared first): request line, `host` unless `headers` has one,
/// the caller's headers, `content-length` when there is a body (or the method expects one) and
/// the caller gave none, then the body.
pub fn encode_request(
    out: &mut Vec<u8>,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
) {
    out.clear();
    out.reserve(64 + target.len() + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let has = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("host") {
        out.extend_from_slice(b"host: ");
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let expects_body = matches!(method, "POST" | "PUT" | "PATCH");
    if (!body.is_empty() || expects_body) && !has("content-length") && !has("transfer-encoding") {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 204, 304).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `transfer-encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The header fields, filled only when asked for.
    pub headers: HeaderMap,
    /// How the body follows.
    pub framing: Framing,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
}

/// Parses a response head at the start of `buf`, consuming it. `Ok(None)`: not all there yet.
/// Interim (1xx) responses are consumed and skipped. `want_headers` fills [`Head::headers`].
pub fn parse_head(
    buf: &mut BytesMut,
    head_request: bool,
    want_headers: bool,
) -> Result<Option<Head>, ParseError> {
    loop {
        // Left uninitialised: zeroing 100 fields per response cost more than parsing them.
        let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
            &mut response,
            buf,
            &mut fields,
        );
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
                return Err(ParseError::HeadTooLarge);
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(e) => return Err(ParseError::Head(e.to_string())),
        };
        let status = response.code.unwrap_or(0);
        if (100..200).contains(&status) && status != 101 {
            buf.advance(len);
            continue;
        }
        let http11 = response.version == Some(1);
        let mut keep_alive = http11;
        let mut length: Option<u64> = None;
        let mut chunked = false;
        let mut headers = HeaderMap::new();
        for field in response.headers.iter() {
            let name = field.name;
            if name.eq_ignore_ascii_case("content-length") {
                let value = std::str::from_utf8(field.value).map_err(|_| ParseError::ContentLength)?;
                let n: u64 = value.trim().parse().map_err(|_| ParseError::ContentLength)?;
                // Repeated fields must agree (RFC 9112 §6.3).
                if length.is_some_and(|m| m != n) {
                    return Err(ParseError::ContentLength);
                }
                length = Some(n);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                // Chunked must be the last coding; anything else is read until close.
                chunked = last_token_is(field.value, b"chunked");
                if !chunked {
                    keep_alive = false;
                }
            } else if name.eq_ignore_ascii_case("connection") {
                if has_token(field.value, b"close") {
                    keep_alive = false;
                } else if has_token(field.value, b"keep-alive") {
                    keep_alive = true;
                }
            }
            if want_headers
                && let (Ok(name), Ok(value)) =
                    (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_bytes(field.value))
            {
                headers.append(name, value);
            }
        }
        let framing = if head_request || status == 204 || status == 304 {
            Framing::Empty
        } else if chunked {
            Framing::Chunked
        } else if let Some(n) = length {
            Framing::Length(n)
        } else {
            keep_alive = false;
            Framing::UntilClose
        };
        buf.advance(len);
        return Ok(Some(Head { status, headers, framing, keep_alive }));
    }
}

fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(|t| t.trim_ascii())
}

fn has_token(value: &[u8], token: &[u8]) -> bool {
    tokens(value).any(|t| t.eq_ignore_ascii_case(token))
}

fn last_token_is(value: &[u8], token: &[u8]) -> bool {
    tokens(value).filter(|t| !t.is_empty()).last().is_some_and(|t| t.eq_ignore_ascii_case(token))
}

/// Decodes a chunked body incrementally: feed it the read buffer, it moves the data out.
#[derive(Debug, Default)]
pub struct Chunked {
    state: ChunkState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Expecting a chunk-size line.
    #[default]
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer fields until an empty line.
    Trailers,
    Done,
}

impl Chunked {
    /// Moves decoded data from `buf` to `body`; `Ok(true)` once the body is complete.
    pub fn decode(&mut self, buf: &mut BytesMut, body: &mut BytesMut) -> Result<bool, ParseError> {
        loop {
            match self.state {
                ChunkState::Size => match httparse::parse_chunk_size(buf) {
                    Ok(httparse::Status::Complete((len, size))) => {
                        buf.advance(len);
                        self.state = if size == 0 { ChunkState::Trailers } else { ChunkState::Data(size) };
                    }
                    Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
                        return Err(ParseError::Chunked("chunk-size line too long"));
                    }
                    Ok(httparse::Status::Partial) => return Ok(false),
                    Err(_) => return Err(ParseError::Chunked("invalid chunk size")),
                },
                ChunkState::Data(left) => {
                    if buf.is_empty() {
                        return Ok(false);
                    }
                    let take = (buf.len() as u64).min(left) as usize;
                    body.extend_from_slice(&buf[..take]);
                    buf.advance(take);
                    self.state = if take as u64 == left {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(left - take as u64)
                    };
                }
                ChunkState::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(false);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(ParseError::Chunked("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let Some(end) = buf.windows(2).position(|w| w == b"\r\n") else {
                        if buf.len() > MAX_HEAD_BYTES {
                            return Err(ParseError::Chunked("trailers too long"));
                        }
                        return Ok(false);
                    };
                    buf.advance(end + 2);
                    if end == 0 {
                        self.state = ChunkState::Done;
                    }
                }
                ChunkState::Done => return Ok(true),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(bytes: &[u8]) -> Result<Option<Head>, ParseError> {
        parse_head(&mut BytesMut::from(bytes), false, true)
    }

    #[test]
    fn requests_carry_host_and_length_unless_given() {
        let mut out = Vec::new();
        encode_request(&mut out, "GET", "/a?b=1", "h:8", &[], b"");
        assert_eq!(out, b"GET /a?b=1 HTTP/1.1\r\nhost: h:8\r\n\r\n");
        let headers = [("Host".to_string(), "other".to_string()), ("x-k".to_string(), "v".to_string())];
        encode_request(&mut out, "POST", "/p", "h:8", &headers, b"xyz");
        assert_eq!(out, b"POST /p HTTP/1.1\r\nHost: other\r\nx-k: v\r\ncontent-length: 3\r\n\r\nxyz");
        encode_request(&mut out, "POST", "/p", "h", &[], b"");
        assert_eq!(out, b"POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n");
    }

    #[test]
    fn heads_give_framing_and_keep_alive() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx: y\r\n\r\nok").unwrap().unwrap();
        assert_eq!((h.status, h.framing, h.keep_alive), (200, Framing::Length(2), true));
        assert_eq!(h.headers.get("x").map(|v| v.as_bytes()), Some(&b"y"[..]));
        let h = head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let h = head(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive);
        let h = head(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive, "HTTP/1.0 closes unless asked");
        let h =
            head(b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nConnection: Keep-Alive\r\n\r\n").unwrap().unwrap();
        assert!(h.keep_alive);
        let h = head(b"HTTP/1.1 200 OK\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = head(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Empty, true));
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n"[..]);
        let h = parse_head(&mut buf, true, false).unwrap().unwrap();
        assert_eq!(h.framing, Framing::Empty, "a HEAD response has no body whatever its length says");
        assert!(h.headers.is_empty(), "headers only when asked for");
    }

    #[test]
    fn interim_responses_are_skipped_and_partial_heads_wait() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n"[..],
        );
        let h = parse_head(&mut buf, false, false).unwrap().unwrap();
        assert_eq!(h.status, 201);
        assert!(buf.is_empty());
        assert!(head(b"HTTP/1.1 200 OK\r\ncontent-le").unwrap().is_none());
    }

    #[test]
    fn bad_heads_are_errors() {
        assert!(matches!(head(b"HTTP/1.1 abc\r\n\r\n"), Err(ParseError::Head(_))));
        assert!(matches!(head(b"garbage\r\n\r\n"), Err(ParseError::Head(_))));
        assert_eq!(
            head(b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n").unwrap_err(),
            ParseError::ContentLength
        );
        assert_eq!(
            head(b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n").unwrap_err(),
            ParseError::ContentLength
        );
        let huge = [&b"HTTP/1.1 200 OK\r\nx: "[..], &vec![b'a'; MAX_HEAD_BYTES + 1]].concat();
        assert_eq!(head(&huge).unwrap_err(), ParseError::HeadTooLarge);
    }

    #[test]
    fn chunked_bodies_decode_across_any_split() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\ntrailer: x\r\n\r\n";
        for split in 0..wire.len() {
            let mut decoder = Chunked::default();
            let mut body = BytesMut::new();
            let mut buf = BytesMut::from(&wire[..split]);
            let early = decoder.decode(&mut buf, &mut body).unwrap();
            assert!(!early, "not complete at {split}");
            buf.extend_from_slice(&wire[split..]);
            assert!(decoder.decode(&mut buf, &mut body).unwrap(), "complete after {split}");
            assert_eq!(&body[..], b"hello world!");
            assert!(buf.is_empty());
        }
        let mut buf = BytesMut::from(&b"zz\r\n"[..]);
        assert!(Chunked::default().decode(&mut buf, &mut BytesMut::new()).is_err());
        let mut buf = BytesMut::from(&b"2\r\nabX\r\n"[..]);
        assert!(Chunked::default().decode(&mut buf, &mut BytesMut::new()).is_err());
    }
}
