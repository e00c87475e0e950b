//! A small read-only HTTP server for a run's live outputs: GET only, each path answered by a
//! function, stopped when the run ends. Bound before the run is prepared, so a taken address is
//! refused before anything else happens.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

/// What a path answers: its content type and body, or `None` for 404.
pub type Handler = Arc<dyn Fn(&str) -> Option<(&'static str, String)> + Send + Sync>;

/// A bound, not yet serving, listener.
pub struct Bound {
    listener: std::net::TcpListener,
    pub addr: SocketAddr,
}

impl Bound {
    /// Binds `addr` (port 0 picks a free one); a taken or foreign address is one line.
    pub fn bind(flag: &str, addr: SocketAddr) -> Result<Self, String> {
        let listener =
            std::net::TcpListener::bind(addr).map_err(|e| format!("{flag} {addr}: cannot listen: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| format!("{flag} {addr}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("{flag} {addr}: {e}"))?;
        Ok(Self { listener, addr })
    }

    /// Serves `handler` until the returned task is aborted. Must run inside the runtime.
    pub fn serve(self, handler: Handler) -> std::io::Result<JoinHandle<()>> {
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        Ok(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    // Out of descriptors, say: wait rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let handler = handler.clone();
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let answer =
                            if req.method() == Method::GET { handler(req.uri().path()) } else { None };
                        let response = match answer {
                            Some((content_type, body)) => Response::builder()
                                .header("content-type", content_type)
                                .body(Full::new(Bytes::from(body))),
                            None => Response::builder()
                                .status(StatusCode::NOT_FOUND)
                                .body(Full::new(Bytes::from_static(b"not found\n"))),
                        };
                        Ok::<_, Infallible>(response.unwrap_or_default())
                    }
                });
                // Finished connections are reaped as new ones come, so the set stays small;
                // aborting this task drops the set and with it every open connection.
                while connections.try_join_next().is_some() {}
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }))
    }
}
