//! `runner:scenario/http`: plain HTTP requests, timed by the host and recorded into the caller's
//! phase.
//!
//! A request to the target's origin (a path, or an absolute URL with the target's scheme, host and
//! port; `http://` or `https://`) goes over the instance's own keep-alive connection
//! ([`OwnConnection`]); anything else (other hosts, everything with `--http2`) goes through the
//! run's pooled client after the allow-list check.

use std::time::{Duration, Instant};

use hyper::Uri;
use hyper::http::uri::PathAndQuery;

use super::{HostState, limits, ms, tags};
use crate::bindings::runner::scenario::http::{
    Error, ErrorClass as WitErrorClass, Host, Request, Response, ResponseContent, Timings,
};
use crate::client::http::{
    HttpClient, HttpError, OwnConnection, Request as ClientRequest, Response as ClientResponse, header_pairs,
};
use crate::error_class::ErrorClass;
use crate::run::RunSettings;
use crate::sandbox::{AllowedHost, Origin};
use crate::stats::{HttpSample, RequestKind};

/// Joins a path (starting with `/`) to the target; absolute URLs pass through.
pub fn resolve(target: &str, url: &str) -> String {
    if url.starts_with('/') { format!("{}{url}", target.trim_end_matches('/')) } else { url.to_string() }
}

/// An instance's plain-HTTP state: its own connection to the target, set up on first use.
#[derive(Debug, Default)]
pub struct InstanceHttp {
    /// `None` until the first request; then `Some(None)` when the target is not an `http(s)://`
    /// URL.
    own: Option<Option<OwnConnection>>,
}

impl InstanceHttp {
    /// The instance's own connection to the target (over TLS with `pooled`'s trust for an
    /// `https://` one): none when the run speaks HTTP/2 (`--http2`: the pooled client
    /// multiplexes) or the target is not an `http(s)://` URL.
    pub(super) fn own(&mut self, settings: &RunSettings, pooled: &HttpClient) -> Option<&mut OwnConnection> {
        if settings.http2 {
            return None;
        }
        self.own.get_or_insert_with(|| OwnConnection::new(&settings.target, Some(pooled.own_tls()))).as_mut()
    }
}

/// The HTTP interface's spelling of a class. It has no `http-status` (for plain HTTP a status
/// is a response) nor `malformed-stream` (the body is not parsed): the HTTP client never reports
/// them, and were one to reach a guest it would be `other`. The host's own classes map to the
/// nearest case (`tls` → `connect`, `client-limit` → `other`); their messages say which.
impl From<ErrorClass> for WitErrorClass {
    fn from(class: ErrorClass) -> Self {
        match class {
            ErrorClass::Connect | ErrorClass::Tls => WitErrorClass::Connect,
            ErrorClass::Timeout => WitErrorClass::Timeout,
            ErrorClass::Reset => WitErrorClass::Reset,
            ErrorClass::InvalidRequest => WitErrorClass::InvalidRequest,
            ErrorClass::Denied => WitErrorClass::Denied,
            ErrorClass::HttpStatus
            | ErrorClass::MalformedStream
            | ErrorClass::ServerError
            | ErrorClass::ClientLimit
            | ErrorClass::Other => WitErrorClass::Other,
        }
    }
}

/// Where one request goes.
#[derive(Debug, PartialEq)]
enum Route {
    /// Over the instance's own connection, with this path.
    Own(PathAndQuery),
    /// Through the pooled client, to this absolute URL.
    Pooled(String),
}

/// Chooses the route of a request to `url`, checking the allow-list for URLs off the target.
/// Only a path or an absolute URL is parsed, once, and never the target.
fn route(
    settings: &RunSettings,
    own: Option<&mut OwnConnection>,
    method: &str,
    url: String,
) -> Result<Route, HttpError> {
    let target = settings.target.as_str();
    if url.starts_with('/') {
        // A path is on the target by construction: no allow-list check is needed.
        let Some(own) = own else { return Ok(Route::Pooled(resolve(target, &url))) };
        return own.join(&url).map(Route::Own).map_err(|e| HttpError {
            class: ErrorClass::InvalidRequest,
            message: format!("{method} {}: invalid URL: {e}", resolve(target, &url)),
        });
    }
    // An unparsable URL goes to the pooled client, which reports it with its usual message.
    let Ok(uri) = url.parse::<Uri>() else { return Ok(Route::Pooled(url)) };
    if let Some(own) = own
        && own.serves(&uri)
    {
        let path = uri.path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
        return Ok(Route::Own(path));
    }
    // Origins, not hosts: the target's host on another port is another server.
    if let Some(origin) = Origin::of(&uri)
        && !settings.allows(&origin)
    {
        let message = format!(
            "{url}: {origin} is not allowed (only the target's origin is; allow it with --allow-host {})",
            AllowedHost::for_origin(&origin)
        );
        return Err(HttpError { class: ErrorClass::Denied, message });
    }
    Ok(Route::Pooled(url))
}

impl Host for HostState {
    async fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, Error>> {
        // Tags and the timeout cross into the recorder and the deadline arithmetic: out of bounds,
        // the request is not sent and the guest gets the reason.
        let checked = limits::tags(&req.tags)
            .and_then(|()| req.timeout_ms.map(limits::timeout_ms).transpose())
            .map_err(|message| HttpError { class: ErrorClass::InvalidRequest, message });
        let timeout = match checked {
            Ok(timeout) => timeout.unwrap_or(self.run.settings.request_timeout),
            Err(e) => {
                self.stats().record_failure(&Default::default(), RequestKind::Http, e.class, None, None);
                return Ok(Err(Error { class: e.class.into(), message: e.message }));
            }
        };
        let extra = tags(req.tags);
        let content = req.response_content;
        let settings = &self.run.settings;
        let mut own = self.plain_http.own(settings, &self.run.http);
        let started = Instant::now();
        let result = match (route(settings, own.as_deref_mut(), &req.method, req.url), own) {
            (Err(error), _) => Err(error),
            (Ok(Route::Own(path)), Some(own)) => {
                let body = req.body.into();
                let want_headers = content == ResponseContent::Full;
                let headers = settings.headers.merged(&req.headers);
                own.send(req.method, path, &headers, body, timeout, want_headers).await
            }
            (Ok(Route::Own(path)), None) => {
                let url = resolve(&settings.target, path.as_str());
                let headers = target_headers(settings, &url, req.headers);
                send_pooled(&self.run.http, req.method, url, headers, req.body, timeout).await
            }
            (Ok(Route::Pooled(url)), _) => {
                let headers = target_headers(settings, &url, req.headers);
                send_pooled(&self.run.http, req.method, url, headers, req.body, timeout).await
            }
        };
        match result {
            Ok(resp) => {
                self.backoff.reset();
                let t = resp.timings;
                self.stats().record_http(
                    &extra,
                    HttpSample { status: resp.status, connect: t.connect, ttfb: t.ttfb, total: t.total },
                );
                let body_bytes = resp.body.len() as u64;
                // Lifting headers and body into the guest is most of a small request's cost on
                // the host side; a guest that only wants the status skips it.
                let (headers, body) = match content {
                    // Zero-copy when the body arrived in one chunk (the common case).
                    ResponseContent::Full => (header_pairs(&resp.headers), Vec::from(resp.body)),
                    ResponseContent::StatusOnly => (Vec::new(), Vec::new()),
                };
                Ok(Ok(Response {
                    status: resp.status,
                    headers,
                    body,
                    body_bytes,
                    timings: Timings {
                        connect_ms: t.connect.map(ms),
                        ttfb_ms: ms(t.ttfb),
                        total_ms: ms(t.total),
                    },
                }))
            }
            Err(e) => {
                self.stats().record_failure(&extra, RequestKind::Http, e.class, None, Some(started));
                self.after_failure(e.class, &e.message).await;
                Ok(Err(Error { class: e.class.into(), message: e.message }))
            }
        }
    }
}

/// A request's headers plus the run's target headers when `url` is on the target's origin;
/// a host reached through `--allow-host` gets the request's own headers only.
fn target_headers(settings: &RunSettings, url: &str, own: Vec<(String, String)>) -> Vec<(String, String)> {
    if settings.headers.is_empty() || !settings.is_target_origin(url) {
        return own;
    }
    settings.headers.merged(&own).into_owned()
}

/// Sends through the pooled client. Boxed: the pooled client's future is large and most runs
/// never take this path, so it must not grow the future of every request on an own connection.
async fn send_pooled(
    client: &HttpClient,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Duration,
) -> Result<ClientResponse, HttpError> {
    let request = ClientRequest { method, url, headers, body: body.into(), timeout: Some(timeout) };
    Box::pin(client.send(request)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(target: &str) -> RunSettings {
        RunSettings {
            target: target.to_string(),
            allowed_hosts: vec!["other.example".parse().expect("a valid --allow-host")],
            ..RunSettings::default()
        }
    }

    #[test]
    fn paths_join_the_target_and_urls_pass_through() {
        assert_eq!(resolve("http://h:1/", "/health"), "http://h:1/health");
        assert_eq!(resolve("http://h:1", "/health"), "http://h:1/health");
        assert_eq!(resolve("http://h:1", "http://o:2/x"), "http://o:2/x");
    }

    #[test]
    fn requests_on_a_plain_http_target_take_the_own_connection() {
        let s = settings("http://h:1");
        let mut own = OwnConnection::new(&s.target, None);
        let path = |p: &'static str| Some(Route::Own(PathAndQuery::from_static(p)));
        let pooled = |u: &str| Some(Route::Pooled(u.to_string()));
        assert_eq!(route(&s, own.as_mut(), "GET", "/a?b=1".into()).ok(), path("/a?b=1"));
        assert_eq!(route(&s, own.as_mut(), "GET", "http://h:1/x".into()).ok(), path("/x"));
        assert_eq!(route(&s, own.as_mut(), "GET", "http://h:1".into()).ok(), path("/"));
        // Same host, another port or scheme: another origin, denied.
        for other in ["http://h:2/x", "https://h:1/x"] {
            let denied = route(&s, own.as_mut(), "GET", other.into()).map_err(|e| e.class);
            assert_eq!(denied, Err(ErrorClass::Denied), "{other}");
        }
        let allowed = "http://other.example/y";
        assert_eq!(route(&s, own.as_mut(), "GET", allowed.into()).ok(), pooled(allowed));
        let denied = route(&s, own.as_mut(), "GET", "http://other.example:8080/y".into());
        assert!(
            matches!(&denied, Err(HttpError { class: ErrorClass::Denied, message })
                if message.ends_with("allow it with --allow-host other.example:8080)")),
            "{denied:?}"
        );
    }

    #[test]
    fn a_target_with_a_path_prefixes_request_paths() {
        let s = settings("http://h:1/v1/");
        let mut own = OwnConnection::new(&s.target, None);
        let got = route(&s, own.as_mut(), "GET", "/models".into()).ok();
        assert_eq!(got, Some(Route::Own(PathAndQuery::from_static("/v1/models"))));
    }

    #[test]
    fn other_hosts_are_denied_and_bad_paths_are_invalid() {
        let s = settings("http://h:1");
        let mut own = OwnConnection::new(&s.target, None);
        let denied = route(&s, own.as_mut(), "GET", "http://evil:1/x".into()).map_err(|e| e.class);
        assert_eq!(denied, Err(ErrorClass::Denied));
        let bad = route(&s, own.as_mut(), "GET", "/a b".into());
        assert!(
            matches!(&bad, Err(HttpError { class: ErrorClass::InvalidRequest, message }) if message.starts_with("GET http://h:1/a b: invalid URL")),
            "{bad:?}"
        );
    }

    #[test]
    fn target_headers_go_to_the_target_origin_only() {
        let mut s = settings("https://h");
        s.headers.push("x-key: secret").expect("valid");
        let own = vec![("accept".to_string(), "*/*".to_string())];
        let with_key = target_headers(&s, "https://h/x", own.clone());
        assert_eq!(with_key.len(), 2);
        assert_eq!(with_key[1], ("x-key".to_string(), "secret".to_string()));
        assert_eq!(target_headers(&s, "https://H:443/y", own.clone()).len(), 2);
        for elsewhere in ["http://other.example/y", "http://h/x", "https://h:8443/x", "not a url"] {
            assert_eq!(target_headers(&s, elsewhere, own.clone()), own, "{elsewhere}");
        }
    }

    #[test]
    fn without_an_own_connection_https_targets_use_the_pooled_client() {
        let s = settings("https://h");
        assert!(OwnConnection::new(&s.target, None).is_none());
        assert_eq!(route(&s, None, "GET", "/x".into()).ok(), Some(Route::Pooled("https://h/x".into())));
        let denied = route(&s, None, "GET", "http://evil/x".into()).map_err(|e| e.class);
        assert_eq!(denied, Err(ErrorClass::Denied));
        let denied = route(&s, None, "GET", "http://h/x".into()).map_err(|e| e.class);
        assert_eq!(denied, Err(ErrorClass::Denied), "http://h is port 80, the target https://h 443");
        assert_eq!(
            route(&s, None, "GET", "https://H:443/x".into()).ok(),
            Some(Route::Pooled("https://H:443/x".into()))
        );
    }
}
