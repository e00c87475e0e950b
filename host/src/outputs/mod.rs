//! Live outputs of a run: where results go while it runs, besides the run folder's reports —
//! `requests.jsonl` ([`records`]), the Prometheus endpoint and Pushgateway pushes
//! ([`prometheus`], served by [`serve`]), and the live dashboard ([`dashboard`], fed by the time
//! series).
//!
//! Their lifecycle follows the run's stages: addresses are bound before the run is prepared
//! ([`OutputOptions::bind`], so a taken port is refused before anything else), the outputs open
//! in the start stage once the run folder and the run's id exist ([`LiveOutputs::open`]), see
//! every request through the recorder's observers while the run goes, and close in the finish
//! stage ([`LiveOutputs::finish`]), which says in the summary's notes what did not go out.

pub mod dashboard;
pub mod prometheus;
pub mod records;
pub mod serve;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::client::http::Request;
use crate::run::RunContext;
use crate::stats::{Observers, RequestObserver};
pub use prometheus::Exporter;
pub use records::{RECORDS, Records, RecordsEnd};

/// How often the Pushgateway gets the metrics while the run goes (and once more at the end).
pub const PUSH_INTERVAL: Duration = Duration::from_secs(10);

/// How long one push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The live outputs asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// `--records`: write `requests.jsonl`.
    pub records: bool,
    /// `--prometheus ADDR`: serve `/metrics` there.
    pub prometheus: Option<SocketAddr>,
    /// `--prometheus-push URL`: a Pushgateway's base URL.
    pub prometheus_push: Option<String>,
    /// `--prometheus-linger`: how long `/metrics` stays up after the run, so a scrape at
    /// Prometheus's interval sees the final counts.
    pub prometheus_linger: Duration,
}

impl OutputOptions {
    /// Binds the addresses the outputs listen on.
    pub fn bind(&self) -> Result<Bound, String> {
        Ok(Bound { prometheus: self.prometheus.map(|a| serve::Bound::bind("--prometheus", a)).transpose()? })
    }

    fn wants_metrics(&self) -> bool {
        self.prometheus.is_some() || self.prometheus_push.is_some()
    }
}

/// Checks a Pushgateway URL: `http(s)://host[:port][/path]`, with no credentials in it (they
/// would end up in logs; a gateway behind auth takes `--header`-style proxies, not URLs).
pub fn parse_push_url(url: &str) -> Result<String, String> {
    let uri: hyper::Uri = url.parse().map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err("expected http://HOST[:PORT] or https://HOST[:PORT], the Pushgateway's address".into());
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err("credentials in the URL are refused: they would be logged".into());
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// Listeners bound before the run is prepared.
#[derive(Default)]
pub struct Bound {
    prometheus: Option<serve::Bound>,
}

impl Bound {
    /// Where `/metrics` is served, if it is.
    pub fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.prometheus.as_ref().map(|b| b.addr)
    }
}

/// A run's open live outputs.
pub struct LiveOutputs {
    records: Option<Arc<Records>>,
    exporter: Option<Arc<Exporter>>,
    server: Option<JoinHandle<()>>,
    linger: Duration,
    push: Option<Push>,
}

/// The Pushgateway's grouping URL and the task pushing while the run goes.
struct Push {
    url: String,
    task: Option<JoinHandle<()>>,
}

impl LiveOutputs {
    /// Opens the outputs of run `run_id` of `scenario`, writing into `dir`.
    pub fn open(
        opts: &OutputOptions,
        bound: Bound,
        dir: &Path,
        run_id: &str,
        scenario: &str,
        labels: &std::collections::BTreeMap<String, String>,
    ) -> anyhow::Result<Self> {
        let records = if opts.records {
            let records = Records::create(dir)
                .map_err(|e| anyhow::anyhow!("creating {}/{RECORDS}: {e}", dir.display()))?;
            Some(Arc::new(records))
        } else {
            None
        };
        let exporter = opts.wants_metrics().then(|| Arc::new(Exporter::new(run_id, scenario, labels)));
        let server = match (bound.prometheus, &exporter) {
            (Some(listener), Some(exporter)) => {
                let addr = listener.addr;
                let exporter = exporter.clone();
                let handler: serve::Handler = Arc::new(move |path| {
                    (path == "/metrics").then(|| (prometheus::CONTENT_TYPE, exporter.encode()))
                });
                let task =
                    listener.serve(handler).map_err(|e| anyhow::anyhow!("--prometheus {addr}: {e}"))?;
                tracing::info!("serving Prometheus metrics at http://{addr}/metrics");
                Some(task)
            }
            _ => None,
        };
        let push = opts
            .prometheus_push
            .as_ref()
            .map(|base| Push { url: format!("{base}/metrics/job/runner/run_id/{run_id}"), task: None });
        Ok(Self { records, exporter, server, linger: opts.prometheus_linger, push })
    }

    /// The observers the run's recorder tells of every request.
    pub fn observers(&self) -> Observers {
        let mut list: Vec<Arc<dyn RequestObserver>> = Vec::new();
        if let Some(r) = &self.records {
            list.push(r.clone());
        }
        if let Some(e) = &self.exporter {
            list.push(e.clone());
        }
        Observers::new(list)
    }

    /// Ties the outputs to the run once its context exists: offsets count from its start, the
    /// exporter reads its gauges, and pushes begin.
    pub fn attach(&mut self, run: &Arc<RunContext>) {
        if let Some(r) = &self.records {
            r.set_origin(run.started);
        }
        if let Some(e) = &self.exporter {
            e.attach(run);
        }
        if let (Some(push), Some(exporter)) = (&mut self.push, &self.exporter) {
            let (url, exporter, run) = (push.url.clone(), exporter.clone(), run.clone());
            push.task = Some(tokio::spawn(async move {
                let mut said = false;
                loop {
                    tokio::time::sleep(PUSH_INTERVAL).await;
                    if let Err(e) = send(&run, &url, exporter.encode()).await
                        && !std::mem::replace(&mut said, true)
                    {
                        eprintln!("warning: pushing metrics to the Pushgateway failed: {e}");
                    }
                }
            }));
        }
    }

    /// Closes every output: the records are written out, the last push is sent, the endpoint
    /// stops. Returns the notes the summary carries about what did not go out.
    pub async fn finish(mut self, run: &RunContext) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(records) = self.records.take() {
            let end = tokio::task::spawn_blocking(move || records.finish()).await.unwrap_or_default();
            notes.extend(end.note());
        }
        if let Some(mut push) = self.push.take() {
            if let Some(task) = push.task.take() {
                task.abort();
            }
            if let Some(exporter) = &self.exporter
                && let Err(e) = send(run, &push.url, exporter.encode()).await
            {
                notes.push(format!("the metrics were not pushed to the Pushgateway: {e}"));
            }
        }
        if let Some(server) = self.server.take() {
            if !self.linger.is_zero() {
                tracing::info!(
                    "the run ended; /metrics stays up for {:?} (--prometheus-linger)",
                    self.linger
                );
                tokio::time::sleep(self.linger).await;
            }
            server.abort();
        }
        notes
    }
}

impl Drop for LiveOutputs {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
        if let Some(task) = self.push.as_ref().and_then(|p| p.task.as_ref()) {
            task.abort();
        }
    }
}

/// PUTs the metrics to the Pushgateway (replacing the group's previous push).
async fn send(run: &RunContext, url: &str, body: String) -> Result<(), String> {
    let req = Request {
        method: "PUT".into(),
        url: url.to_string(),
        headers: vec![("content-type".into(), prometheus::CONTENT_TYPE.into())],
        body: Bytes::from(body),
        timeout: Some(PUSH_TIMEOUT),
    };
    let response = run.http.send(req).await.map_err(|e| e.message)?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]).trim().to_string();
        Err(format!("PUT {url}: HTTP {}: {said}", response.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_urls_are_checked() {
        assert_eq!(parse_push_url("http://127.0.0.1:9091/").as_deref(), Ok("http://127.0.0.1:9091"));
        assert!(parse_push_url("ftp://h").is_err());
        assert!(parse_push_url("127.0.0.1:9091").is_err());
        let refused = parse_push_url("http://user:secret@h:9091").unwrap_err();
        assert!(refused.contains("credentials") && !refused.contains("secret"), "{refused}");
    }

    #[test]
    fn a_taken_address_is_one_line() {
        let first = serve::Bound::bind("--prometheus", "127.0.0.1:0".parse().unwrap()).expect("a free port");
        let taken = serve::Bound::bind("--prometheus", first.addr).err().expect("taken");
        assert!(taken.starts_with("--prometheus 127.0.0.1:") && !taken.contains('\n'), "{taken}");
    }
}
