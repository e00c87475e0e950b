//! The one vocabulary of request failures: [`ErrorClass`], which both clients (plain HTTP and
//! OpenAI-compatible) report, the statistics count per phase, and the WIT interfaces hand to
//! guests (each `capabilities` module maps it onto its own generated enum).
//!
//! The kebab-case names ([`ErrorClass::as_str`]) are the WIT contract's spelling and the keys of
//! `errors_by_class` in `summary.json` and the time series, so they never change. Two classes are
//! the host's own, beyond the WIT enum of `runner:scenario@0.4.0` (which cannot grow without a
//! version bump): [`ErrorClass::Tls`] and [`ErrorClass::ClientLimit`]. They are counted and
//! reported under their own names; a guest is told the nearest WIT case (`connect`, `other`),
//! with a message that says which it is.

use std::collections::BTreeMap;
use std::fmt;

/// What kind of failure a request ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// The connection could not be opened (refused, unreachable, DNS): the server's side.
    Connect,
    /// The TLS handshake failed: the certificate was refused (unknown issuer, expired, wrong name,
    /// a CA used as the server's own) or the peer does not speak TLS. Host-side class; `connect`
    /// in the WIT.
    Tls,
    /// The runner's own limits, not the server: out of file descriptors (EMFILE, ENFILE), local
    /// ports (EADDRNOTAVAIL) or socket buffers (ENOBUFS, ENOMEM). Host-side class; `other` in the
    /// WIT.
    ClientLimit,
    /// No complete answer before the deadline, including a stall mid-stream.
    Timeout,
    /// The server answered with a non-2xx status where the call needs a 2xx one (an LLM call;
    /// for plain HTTP a status is a response, not an error).
    HttpStatus,
    /// The connection was closed or reset before the answer was complete.
    Reset,
    /// The body was not JSON or server-sent events as the API defines them.
    MalformedStream,
    /// The request itself is invalid (bad URL, method, header or extra body).
    InvalidRequest,
    /// The destination is not allowed for this run.
    Denied,
    /// The server answered 2xx but reported an error in the body or mid-stream (`{"error": …}`).
    ServerError,
    /// Anything else.
    Other,
}

impl ErrorClass {
    /// Every class, in declaration order.
    pub const ALL: [ErrorClass; 11] = [
        ErrorClass::Connect,
        ErrorClass::Tls,
        ErrorClass::ClientLimit,
        ErrorClass::Timeout,
        ErrorClass::HttpStatus,
        ErrorClass::Reset,
        ErrorClass::MalformedStream,
        ErrorClass::InvalidRequest,
        ErrorClass::Denied,
        ErrorClass::ServerError,
        ErrorClass::Other,
    ];

    /// The class's name as the WIT contract and the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::ClientLimit => "client-limit",
            ErrorClass::Timeout => "timeout",
            ErrorClass::HttpStatus => "http-status",
            ErrorClass::Reset => "reset",
            ErrorClass::MalformedStream => "malformed-stream",
            ErrorClass::InvalidRequest => "invalid-request",
            ErrorClass::Denied => "denied",
            ErrorClass::ServerError => "server-error",
            ErrorClass::Other => "other",
        }
    }

    /// Whether a request that failed so never reached the server: no connection was opened
    /// (`connect`, `tls`, `client-limit`) or it was refused before any byte left (`denied`,
    /// `invalid-request`).
    pub fn never_reached_server(self) -> bool {
        matches!(
            self,
            ErrorClass::Connect
                | ErrorClass::Tls
                | ErrorClass::ClientLimit
                | ErrorClass::Denied
                | ErrorClass::InvalidRequest
        )
    }

    /// Whether the failure is a connection that could not be opened: what a VU backs off from
    /// (retrying at once only hammers a closed port or repeats a refused handshake).
    pub fn is_connection_failure(self) -> bool {
        matches!(self, ErrorClass::Connect | ErrorClass::Tls | ErrorClass::ClientLimit)
    }

    /// Whether the failure is the server's (or the network's) to answer for: what an outage is
    /// made of. The client's own limits, a refused certificate and the scenario's own refused
    /// requests are not.
    pub fn is_servers(self) -> bool {
        !matches!(
            self,
            ErrorClass::ClientLimit | ErrorClass::Tls | ErrorClass::Denied | ErrorClass::InvalidRequest
        )
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts per class keyed by the class's name, as the report model keys them.
pub fn counts_by_name(counts: &BTreeMap<ErrorClass, u64>) -> BTreeMap<String, u64> {
    counts.iter().map(|(class, n)| (class.as_str().to_owned(), *n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_match_the_contract() {
        let names = ErrorClass::ALL.map(ErrorClass::as_str);
        assert_eq!(
            names,
            [
                "connect",
                "tls",
                "client-limit",
                "timeout",
                "http-status",
                "reset",
                "malformed-stream",
                "invalid-request",
                "denied",
                "server-error",
                "other"
            ]
        );
        assert_eq!(ErrorClass::InvalidRequest.to_string(), "invalid-request");
    }

    #[test]
    fn counts_are_keyed_by_name() {
        let counts = BTreeMap::from([(ErrorClass::Timeout, 2), (ErrorClass::Connect, 1)]);
        let named = counts_by_name(&counts);
        assert_eq!(named, BTreeMap::from([("connect".to_string(), 1), ("timeout".to_string(), 2)]));
    }
}
