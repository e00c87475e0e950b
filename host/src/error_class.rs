//! The one vocabulary of request failures: [`ErrorClass`], which both clients (plain HTTP and
//! OpenAI-compatible) report, the statistics count per phase, and the WIT interfaces hand to
//! guests (each `capabilities` module maps it onto its own generated enum).
//!
//! The kebab-case names ([`ErrorClass::as_str`]) are the WIT contract's spelling and the keys of
//! `errors_by_class` in `summary.json` and the time series, so they never change.

use std::collections::BTreeMap;
use std::fmt;

/// What kind of failure a request ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// The connection could not be opened (refused, DNS, TLS handshake).
    Connect,
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
    pub const ALL: [ErrorClass; 9] = [
        ErrorClass::Connect,
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
