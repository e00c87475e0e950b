//! `runner:scenario/http`: plain HTTP requests through the run's pooled client, timed by the
//! host and recorded into the caller's phase.

use std::time::Duration;

use super::{HostState, ms, tags};
use crate::client::http::{ErrorClass as ClientErrorClass, Request as ClientRequest};
use crate::engine::bindings::runner::scenario::http::{Error, ErrorClass, Host, Request, Response, Timings};

/// Joins a path (starting with `/`) to the target; absolute URLs pass through.
pub fn resolve(target: &str, url: &str) -> String {
    if url.starts_with('/') { format!("{}{url}", target.trim_end_matches('/')) } else { url.to_string() }
}

fn class(c: ClientErrorClass) -> ErrorClass {
    match c {
        ClientErrorClass::Connect => ErrorClass::Connect,
        ClientErrorClass::Timeout => ErrorClass::Timeout,
        ClientErrorClass::Reset => ErrorClass::Reset,
        ClientErrorClass::InvalidRequest => ErrorClass::InvalidRequest,
        ClientErrorClass::Other => ErrorClass::Other,
    }
}

impl Host for HostState {
    async fn send(&mut self, req: Request) -> wasmtime::Result<Result<Response, Error>> {
        let extra = tags(req.tags);
        let request = ClientRequest {
            method: req.method,
            url: resolve(&self.run.settings.target, &req.url),
            headers: req.headers,
            body: req.body.into(),
            timeout: Some(
                req.timeout_ms.map(Duration::from_millis).unwrap_or(self.run.settings.request_timeout),
            ),
        };
        match self.run.http.send(request).await {
            Ok(resp) => {
                let t = &resp.timings;
                self.stats().record_http(&extra, t.connect, t.ttfb, t.total);
                Ok(Ok(Response {
                    status: resp.status,
                    headers: resp.headers,
                    body: resp.body.to_vec(),
                    timings: Timings {
                        connect_ms: t.connect.map(ms),
                        ttfb_ms: ms(t.ttfb),
                        total_ms: ms(t.total),
                    },
                }))
            }
            Err(e) => {
                self.stats().record_error(&extra, e.class.as_str());
                Ok(Err(Error { class: class(e.class), message: e.message }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn paths_join_the_target_and_urls_pass_through() {
        assert_eq!(resolve("http://h:1/", "/health"), "http://h:1/health");
        assert_eq!(resolve("http://h:1", "/health"), "http://h:1/health");
        assert_eq!(resolve("http://h:1", "http://o:2/x"), "http://o:2/x");
    }
}
