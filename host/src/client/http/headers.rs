//! Headers the run adds to every request to the target (`--header`, the API key): parsed once
//! from `Name: value`, merged under a request's own headers, and kept secret. Their `Debug` shows
//! names only, and no error names a value: a header value may be a credential.

use std::borrow::Cow;
use std::fmt;

use hyper::header::{HeaderName, HeaderValue};
use thiserror::Error;

/// The header a bearer API key travels in.
const AUTHORIZATION: &str = "authorization";

/// Why a `--header` (or an API key) cannot be sent. The messages never quote a value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// The text has no `:` between a name and a value.
    #[error("expected 'Name: value' (no ':' found)")]
    NoColon,
    /// The text before the `:` is not a header name (not quoted: it may be a mistyped value).
    #[error("the text before ':' is not a valid header name")]
    InvalidName,
    /// The value holds a character HTTP does not allow in one (a control character, a newline).
    #[error("invalid value for header {0}")]
    InvalidValue(String),
    /// A request's own header (the scenario's) whose name is not a header name; counted from 1
    /// (not quoted: a scenario may have put a credential there by mistake).
    #[error("header #{0} of the request has no valid header name")]
    InvalidRequestName(usize),
    /// A request's own header that only the client may set, since it frames the body.
    #[error("header {0} is set by the host, not by the request")]
    Reserved(String),
}

/// A request's own headers (a scenario's), in order. Their `Debug` shows names only: a value
/// may be a credential, and a request may be logged.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestHeaders(pub Vec<(String, String)>);

impl fmt::Debug for RequestHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|(name, _)| name)).finish()
    }
}

impl std::ops::Deref for RequestHeaders {
    type Target = [(String, String)];

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl From<Vec<(String, String)>> for RequestHeaders {
    fn from(headers: Vec<(String, String)>) -> Self {
        RequestHeaders(headers)
    }
}

/// Headers that frame the body: the client writes them, a request may not.
const RESERVED: [&str; 2] = ["content-length", "transfer-encoding"];

/// Headers added to every request runner sends to the target, and to no other host. A header a
/// request sets itself wins over one of the same name here (names compare case-insensitively).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TargetHeaders {
    /// Lower-case names and their values, in the order given.
    fields: Vec<(String, String)>,
}

impl fmt::Debug for TargetHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TargetHeaders").field("names", &self.names()).finish()
    }
}

impl TargetHeaders {
    /// Adds a header given as `Name: value` (the value trimmed, as HTTP reads it). A name given
    /// twice is sent twice.
    pub fn push(&mut self, spec: &str) -> Result<(), HeaderError> {
        let (name, value) = spec.split_once(':').ok_or(HeaderError::NoColon)?;
        self.insert(name.trim(), value.trim())
    }

    /// Sends `Authorization: Bearer <key>`, unless an `Authorization` header was given already.
    pub fn add_bearer(&mut self, key: &str) -> Result<(), HeaderError> {
        if self.fields.iter().any(|(name, _)| name == AUTHORIZATION) {
            return Ok(());
        }
        self.insert(AUTHORIZATION, &format!("Bearer {key}"))
    }

    fn insert(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| HeaderError::InvalidName)?;
        HeaderValue::from_str(value).map_err(|_| HeaderError::InvalidValue(name.to_string()))?;
        self.fields.push((name.as_str().to_owned(), value.to_owned()));
        Ok(())
    }

    /// Whether no header is added.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The names of the headers added (lower case, each once), for the record of a run.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (name, _) in &self.fields {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }

    /// The headers of one request that carries its own (`request`, a scenario's, checked here):
    /// the client's `base` headers (content type, accept), then the run's, each unless `request`
    /// has one of the same name (compared case-insensitively), then `request`'s, in order.
    pub fn layered(
        &self,
        base: &[(String, String)],
        request: &[(String, String)],
    ) -> Result<Vec<(String, String)>, HeaderError> {
        let mut own = Vec::with_capacity(request.len());
        for (i, (name, value)) in request.iter().enumerate() {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HeaderError::InvalidRequestName(i + 1))?;
            if RESERVED.contains(&name.as_str()) {
                return Err(HeaderError::Reserved(name.to_string()));
            }
            HeaderValue::from_str(value).map_err(|_| HeaderError::InvalidValue(name.to_string()))?;
            own.push((name.as_str().to_owned(), value.clone()));
        }
        let unset = |name: &str| !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(name));
        let mut all: Vec<(String, String)> = base.iter().filter(|(name, _)| unset(name)).cloned().collect();
        all.extend(self.fields.iter().filter(|(name, _)| unset(name)).cloned());
        all.extend(own);
        Ok(all)
    }

    /// A request's own headers followed by those of ours it does not set itself.
    pub fn merged<'a>(&self, own: &'a [(String, String)]) -> Cow<'a, [(String, String)]> {
        if self.fields.is_empty() {
            return Cow::Borrowed(own);
        }
        let mut all = own.to_vec();
        let added =
            self.fields.iter().filter(|(name, _)| !own.iter().any(|(o, _)| o.eq_ignore_ascii_case(name)));
        all.extend(added.cloned());
        Cow::Owned(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_header_is_name_colon_value_trimmed() {
        let mut h = TargetHeaders::default();
        h.push("X-Org:  acme ").expect("valid");
        h.push("x-empty:").expect("an empty value is a value");
        assert_eq!(h.merged(&[]).into_owned(), pairs(&[("x-org", "acme"), ("x-empty", "")]));
        assert_eq!(h.names(), ["x-org", "x-empty"]);
    }

    #[test]
    fn malformed_headers_are_refused_without_quoting_the_value() {
        let mut h = TargetHeaders::default();
        assert_eq!(h.push("sk-secret"), Err(HeaderError::NoColon));
        assert_eq!(h.push("Bearer sk-secret: v"), Err(HeaderError::InvalidName));
        let bad_value = h.push("x-key: sec\u{7}ret").expect_err("a control character");
        assert_eq!(bad_value.to_string(), "invalid value for header x-key");
        assert!(!HeaderError::NoColon.to_string().contains("sk-secret"));
        assert!(h.is_empty());
    }

    #[test]
    fn the_bearer_key_yields_to_an_explicit_authorization_header() {
        let mut h = TargetHeaders::default();
        h.add_bearer("k1").expect("valid");
        assert_eq!(h.merged(&[]).into_owned(), pairs(&[("authorization", "Bearer k1")]));
        let mut explicit = TargetHeaders::default();
        explicit.push("Authorization: Basic abc").expect("valid");
        explicit.add_bearer("k1").expect("valid");
        assert_eq!(explicit.merged(&[]).into_owned(), pairs(&[("authorization", "Basic abc")]));
    }

    #[test]
    fn a_request_header_of_the_same_name_wins() {
        let mut h = TargetHeaders::default();
        h.push("X-Org: run").expect("valid");
        h.push("X-Other: run").expect("valid");
        let own = pairs(&[("x-org", "request")]);
        assert_eq!(h.merged(&own).into_owned(), pairs(&[("x-org", "request"), ("x-other", "run")]));
        assert!(matches!(TargetHeaders::default().merged(&own), Cow::Borrowed(_)));
    }

    #[test]
    fn a_requests_own_headers_come_last_and_replace_the_runs_and_the_clients() {
        let mut h = TargetHeaders::default();
        h.push("X-Session-Id: run").expect("valid");
        h.add_bearer("k1").expect("valid");
        let base = pairs(&[("content-type", "application/json"), ("accept", "text/event-stream")]);
        let request = pairs(&[("X-Session-ID", "s-1"), ("Accept", "application/json"), ("x-a", "1")]);
        assert_eq!(
            h.layered(&base, &request).expect("valid"),
            pairs(&[
                ("content-type", "application/json"),
                ("authorization", "Bearer k1"),
                ("x-session-id", "s-1"),
                ("accept", "application/json"),
                ("x-a", "1"),
            ]),
            "one header per name, the request's lower-cased and last"
        );
        assert_eq!(h.layered(&base, &[]).expect("valid").len(), 4, "no request header: base and run's");
    }

    #[test]
    fn a_requests_bad_headers_are_refused_without_quoting_them() {
        let h = TargetHeaders::default();
        let bad_name = h.layered(&[], &pairs(&[("x-ok", "1"), ("Bearer sk-secret", "v")]));
        assert_eq!(bad_name, Err(HeaderError::InvalidRequestName(2)));
        let bad_value = h.layered(&[], &pairs(&[("X-Key", "sk-secret\n")])).expect_err("a newline");
        assert_eq!(bad_value.to_string(), "invalid value for header x-key");
        let framing = h.layered(&[], &pairs(&[("Content-Length", "3")])).expect_err("reserved");
        assert_eq!(framing.to_string(), "header content-length is set by the host, not by the request");
        for e in [bad_name.expect_err("bad"), bad_value, framing] {
            assert!(!e.to_string().contains("sk-secret"), "{e}");
        }
    }

    #[test]
    fn debug_shows_names_only() {
        let mut h = TargetHeaders::default();
        h.add_bearer("sk-secret").expect("valid");
        let shown = format!("{h:?}");
        assert!(shown.contains("authorization") && !shown.contains("sk-secret"), "{shown}");
        let own = RequestHeaders::from(pairs(&[("x-key", "sk-secret")]));
        assert_eq!(format!("{own:?}"), r#"["x-key"]"#);
    }
}
