//! Plain HTTP requests timed by the host, for non-LLM targets and health checks.

use std::time::Duration;

use crate::bindings::runner::scenario::http as raw;
use crate::millis;

pub use raw::{ErrorClass, Response, ResponseContent, Timings};

/// A failed request (no response at all; an HTTP error status is a [`Response`]).
pub type HttpError = raw::Error;

impl From<HttpError> for String {
    fn from(e: HttpError) -> Self {
        format!("http {}: {}", class_name(e.class), e.message)
    }
}

/// The WIT name of an error class (`invalid-request`), for messages and tags.
pub fn class_name(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Connect => "connect",
        ErrorClass::Timeout => "timeout",
        ErrorClass::Reset => "reset",
        ErrorClass::InvalidRequest => "invalid-request",
        ErrorClass::Denied => "denied",
        ErrorClass::Other => "other",
    }
}

/// An HTTP request being built; send it with [`Request::send`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until sent"]
pub struct Request(raw::Request);

/// A request with any method. `url` is absolute, or a path starting with `/` joined to the target.
pub fn request(method: &str, url: impl Into<String>) -> Request {
    Request(raw::Request {
        method: method.to_owned(),
        url: url.into(),
        headers: Vec::new(),
        body: Vec::new(),
        timeout_ms: None,
        tags: Vec::new(),
        response_content: ResponseContent::Full,
    })
}

/// A GET request.
pub fn get(url: impl Into<String>) -> Request {
    request("GET", url)
}

/// A POST request with a body.
pub fn post(url: impl Into<String>, body: impl Into<Vec<u8>>) -> Request {
    request("POST", url).body(body)
}

impl Request {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.0.body = body.into();
        self
    }

    /// A per-request timeout instead of the run's default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.0.timeout_ms = Some(millis(timeout));
        self
    }

    /// Leaves the response's headers and body on the host: the guest gets the status, the body's
    /// size and the timings. Cheapest for load that does not read the answer.
    pub fn status_only(mut self) -> Self {
        self.0.response_content = ResponseContent::StatusOnly;
        self
    }

    /// Adds a tag to this request's metrics (on top of the phase's tags).
    pub fn tag(mut self, key: &str, value: impl ToString) -> Self {
        self.0.tags.push((key.to_owned(), value.to_string()));
        self
    }

    /// The WIT record this request becomes.
    pub fn into_raw(self) -> raw::Request {
        self.0
    }

    /// Sends the request and waits for the whole response. The request is only borrowed: one
    /// built once (per VU, say) can be sent again and again without being rebuilt.
    pub fn send(&self) -> Result<Response, HttpError> {
        raw::send(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_the_record() {
        let r = post("/v1/echo", "abc")
            .header("content-type", "text/plain")
            .timeout(Duration::from_millis(1500))
            .tag("route", "echo")
            .into_raw();
        assert_eq!((r.method.as_str(), r.url.as_str(), r.body.as_slice()), ("POST", "/v1/echo", &b"abc"[..]));
        assert_eq!(r.headers, vec![("content-type".to_owned(), "text/plain".to_owned())]);
        assert_eq!((r.timeout_ms, r.tags.len()), (Some(1500), 1));
        let g = get("http://127.0.0.1:1/").into_raw();
        assert_eq!((g.method.as_str(), g.body.len(), g.timeout_ms), ("GET", 0, None));
        assert_eq!(g.response_content, ResponseContent::Full);
        assert_eq!(get("/").status_only().into_raw().response_content, ResponseContent::StatusOnly);
    }
}
