//! The `prom=URL` source: scrape a Prometheus text-format endpoint and map the series that
//! inference servers and GPU exporters publish onto [`Sample`] fields.
//!
//! The exposition format needs only a line parser (`name{labels} value [timestamp]`); the
//! candidate crate (prometheus-parse) pulls in regex and chrono for that, so it is done here,
//! with tests. Mapped: vLLM, SGLang, TGI, llama.cpp server queue series and the DCGM exporter's
//! GPU series; see docs/TELEMETRY.md.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::histogram::ServerHistogram;
use super::keep::{self, KeepPattern, MAX_KEPT_SERIES};
use super::{Sample, TelemetryError};

/// A scrape that takes longer than this counts as failed (the next interval tries again).
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);

/// The most of one scrape's body that is read. vLLM's `/metrics` with every histogram is a few
/// hundred KiB; an endpoint that answers more (a wrong URL serving a file, a hostile server) fails
/// the scrape instead of growing the runner's memory by what loopback carries in two seconds.
pub const MAX_SCRAPE_BYTES: usize = 16 * 1024 * 1024;

/// One series' value: its name, its labels (histogram bounds, and the names of `--prom-keep` rows).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Parses the text exposition format. Comments, blank lines and malformed lines are skipped:
/// one odd series must not cost the others.
pub fn parse(text: &str) -> Vec<Series> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Series> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if rest.starts_with('{') {
        let (parsed, after) = parse_labels(&rest[1..])?;
        labels = parsed;
        rest = after;
    }
    let value = rest.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Series { name: name.to_string(), labels, value })
}

/// Parses `k="v",k2="v2"}` (after the `{`), honouring `\"`, `\\` and `\n` in values; returns the
/// labels and what follows the `}`.
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(after) = s.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                c => value.push(c),
            }
        };
        labels.push((key, value));
        s = &s[end + 1..];
    }
}

/// How the series of one name combine over their label sets (models, GPUs).
#[derive(Clone, Copy)]
enum Combine {
    Sum,
    Mean,
    Max,
}

/// Picks the [`Sample`] field a series feeds.
type Field = fn(&mut Sample) -> &mut Option<f64>;

/// Which field a known series feeds, how its label sets combine, and the factor to the field's unit.
fn mapping(name: &str) -> Option<(Field, Combine, f64)> {
    Some(match name {
        "vllm:num_requests_waiting"
        | "sglang:num_queue_reqs"
        | "tgi_queue_size"
        | "llamacpp:requests_deferred" => (|s| &mut s.waiting, Combine::Sum, 1.0),
        "vllm:num_requests_running" | "sglang:num_running_reqs" | "llamacpp:requests_processing" => {
            (|s| &mut s.running, Combine::Sum, 1.0)
        }
        // vLLM publishes a fraction; the new name and the pre-0.10 one.
        "vllm:kv_cache_usage_perc" | "vllm:gpu_cache_usage_perc" | "sglang:token_usage" => {
            (|s| &mut s.kv_cache_pct, Combine::Max, 100.0)
        }
        "DCGM_FI_DEV_GPU_UTIL" => (|s| &mut s.gpu_util_pct, Combine::Mean, 1.0),
        "DCGM_FI_DEV_FB_USED" => (|s| &mut s.memory_used_mib, Combine::Sum, 1.0),
        "DCGM_FI_DEV_GPU_TEMP" => (|s| &mut s.temperature_c, Combine::Max, 1.0),
        "DCGM_FI_DEV_POWER_USAGE" => (|s| &mut s.power_w, Combine::Sum, 1.0),
        // A ratio, 0…1, per GPU.
        "DCGM_FI_PROF_SM_ACTIVE" => (|s| &mut s.sm_active_pct, Combine::Mean, 100.0),
        "DCGM_FI_DEV_SM_CLOCK" => (|s| &mut s.sm_clock_mhz, Combine::Mean, 1.0),
        // A counter; prometheus_client (vLLM's Python exporter) adds the `_total` suffix.
        "vllm:num_preemptions_total" | "vllm:num_preemptions" => {
            (|s| &mut s.preemptions_total, Combine::Sum, 1.0)
        }
        // vLLM v1's prefix-cache counters, in tokens. The `gpu_` names are those of its earlier
        // releases (served beside the new ones for a while: the first name on the page wins; the
        // first of them counted blocks, which leaves the hit rate the same).
        "vllm:prefix_cache_queries_total"
        | "vllm:prefix_cache_queries"
        | "vllm:gpu_prefix_cache_queries_total"
        | "vllm:gpu_prefix_cache_queries" => (|s| &mut s.prefix_cache_queries_total, Combine::Sum, 1.0),
        "vllm:prefix_cache_hits_total"
        | "vllm:prefix_cache_hits"
        | "vllm:gpu_prefix_cache_hits_total"
        | "vllm:gpu_prefix_cache_hits" => (|s| &mut s.prefix_cache_hits_total, Combine::Sum, 1.0),
        _ => return None,
    })
}

/// Maps parsed series onto a sample; fields no series fed stay `None`. Series whose names match
/// a `keep` pattern are also kept by name (at most [`MAX_KEPT_SERIES`]; the second value says
/// whether some were left out).
pub fn to_sample(series: &[Series], keep: &[KeepPattern]) -> (Sample, bool) {
    let mut sample = Sample::default();
    let mut overflow = false;
    // (field's sum, count, max) per known name, so several names feeding one field keep the first.
    let mut seen: Vec<(&str, f64, u32, f64)> = Vec::new();
    let mut bases: Vec<(ServerHistogram, &str)> = Vec::new();
    for s in series {
        if !keep.is_empty() && s.value.is_finite() && keep::kept(keep, &s.name) {
            if sample.kept.len() < MAX_KEPT_SERIES {
                sample.kept.insert(keep::key(&s.name, &s.labels), s.value);
            } else {
                overflow = true;
            }
        }
        if add_histogram_part(&mut sample, s, &mut bases)
            || !s.value.is_finite()
            || mapping(&s.name).is_none()
        {
            continue;
        }
        match seen.iter_mut().find(|(n, ..)| *n == s.name) {
            Some((_, sum, count, max)) => {
                *sum += s.value;
                *count += 1;
                *max = max.max(s.value);
            }
            None => seen.push((&s.name, s.value, 1, s.value)),
        }
    }
    for (name, sum, count, max) in seen {
        let Some((field, combine, factor)) = mapping(name) else { continue };
        let value = match combine {
            Combine::Sum => sum,
            Combine::Mean => sum / f64::from(count),
            Combine::Max => max,
        };
        let slot = field(&mut sample);
        if slot.is_none() {
            *slot = Some(value * factor);
        }
    }
    (sample, overflow)
}

/// Adds a `_bucket`/`_sum`/`_count` series of a known server histogram to the sample; false when
/// the series is not one. `bases` remembers which name feeds each histogram: during vLLM's
/// deprecation windows both names of the ITL histogram are served, holding the same observations,
/// so only the first name seen counts.
fn add_histogram_part<'a>(
    sample: &mut Sample,
    s: &'a Series,
    bases: &mut Vec<(ServerHistogram, &'a str)>,
) -> bool {
    let part = ["_bucket", "_sum", "_count"]
        .into_iter()
        .find_map(|suffix| Some((s.name.strip_suffix(suffix)?, suffix)));
    let Some((base, suffix)) = part else { return false };
    let Some(which) = ServerHistogram::from_base(base) else { return false };
    match bases.iter().find(|(w, _)| *w == which) {
        Some((_, first)) if *first != base => return true,
        Some(_) => {}
        None => bases.push((which, base)),
    }
    let h = sample.histograms.entry(which).or_default();
    match suffix {
        "_bucket" => {
            let le = s.labels.iter().find(|(k, _)| k == "le").and_then(|(_, v)| match v.as_str() {
                "+Inf" | "Inf" | "inf" => Some(f64::INFINITY),
                v => v.parse::<f64>().ok(),
            });
            if let Some(le) = le.filter(|le| !le.is_nan()) {
                h.add_bucket(le, s.value);
            }
        }
        "_sum" => h.sum += s.value,
        _ => h.count += s.value,
    }
    true
}

/// A plain-HTTP endpoint fetched once per sample, with a timeout (shared by the `prom=` and
/// `llamacpp-slots=` sources).
pub struct HttpGet {
    url: String,
    uri: hyper::Uri,
    /// Sent with every fetch (the target's API key when the URL is on the target).
    headers: hyper::HeaderMap,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl HttpGet {
    /// Checks the URL (`http://` only) and the headers; nothing is sent until the first
    /// [`HttpGet::fetch`].
    pub fn new(url: &str, headers: Vec<(String, String)>) -> Result<HttpGet, TelemetryError> {
        let uri: hyper::Uri = url.parse().map_err(|_| TelemetryError::BadUrl(url.to_string()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(TelemetryError::BadUrl(url.to_string()));
        }
        let mut map = hyper::HeaderMap::new();
        for (name, value) in headers {
            // The run's headers were checked when the run started; one that does not convert
            // would have been refused there.
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                hyper::header::HeaderValue::from_str(&value),
            ) {
                map.append(name, value);
            }
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(HttpGet { url: url.to_string(), uri, headers: map, client })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Fetches the body once; a non-2xx status, no answer within `SCRAPE_TIMEOUT` (2 s) or a body
    /// over [`MAX_SCRAPE_BYTES`] fails.
    pub async fn fetch(&self) -> Result<Bytes, TelemetryError> {
        let fail = |reason: String| TelemetryError::Scrape { url: self.url.clone(), reason };
        let scrape = async {
            let mut request = hyper::Request::get(self.uri.clone());
            if let Some(headers) = request.headers_mut() {
                headers.extend(self.headers.clone());
            }
            let request = request.body(Empty::new()).map_err(|e| fail(e.to_string()))?;
            let response = self.client.request(request).await.map_err(|e| fail(e.to_string()))?;
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            let body = http_body_util::Limited::new(response.into_body(), MAX_SCRAPE_BYTES);
            let body = body.collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    fail(format!("the answer is larger than {MAX_SCRAPE_BYTES} bytes"))
                } else {
                    fail(e.to_string())
                }
            })?;
            Ok(body.to_bytes())
        };
        tokio::time::timeout(SCRAPE_TIMEOUT, scrape)
            .await
            .map_err(|_| fail(format!("no answer within {SCRAPE_TIMEOUT:?}")))?
    }
}

/// A scraped endpoint.
pub struct PromSource {
    get: HttpGet,
    keep: Vec<KeepPattern>,
    /// Whether the "too many kept series" line was shown.
    warned_overflow: std::sync::atomic::AtomicBool,
}

impl PromSource {
    /// Checks the URL and the headers sent with it; nothing is sent until the first sample.
    pub fn new(
        url: &str,
        keep: Vec<KeepPattern>,
        headers: Vec<(String, String)>,
    ) -> Result<PromSource, TelemetryError> {
        Ok(PromSource {
            get: HttpGet::new(url, headers)?,
            keep,
            warned_overflow: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        self.get.url()
    }

    /// Scrapes once.
    pub async fn read(&self) -> Result<Sample, TelemetryError> {
        let body = self.get.fetch().await?;
        let text = String::from_utf8_lossy(&body);
        let (sample, overflow) = to_sample(&parse(&text), &self.keep);
        if overflow && !self.warned_overflow.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "telemetry: prom={}: --prom-keep matches more than {MAX_KEPT_SERIES} series; the rest are not kept",
                self.url()
            );
        }
        Ok(sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An endpoint that streams an endless body: the scrape stops at the cap, long before the
    /// timeout, and says why.
    #[tokio::test]
    async fn a_scrape_larger_than_the_cap_fails_without_reading_it_all() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n").await;
            let block = vec![b'#'; 64 * 1024];
            let mut sent = 0usize;
            while socket.write_all(&block).await.is_ok() {
                sent += block.len();
            }
            sent
        });
        let get = HttpGet::new(&format!("http://{addr}/metrics"), Vec::new()).expect("url");
        let started = std::time::Instant::now();
        let error = get.fetch().await.expect_err("an endless body must fail the scrape");
        assert!(error.to_string().contains("larger than 16777216 bytes"), "{error}");
        assert!(started.elapsed() < SCRAPE_TIMEOUT, "stopped by the timeout, not the cap");
        let sent = server.await.expect("server");
        assert!(sent < 64 * 1024 * 1024, "the client read {sent} bytes");
    }

    const VLLM: &str = r#"# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="qwen"} 8.0
vllm:num_requests_waiting{engine="0",model_name="qwen"} 3.0
vllm:num_requests_waiting{engine="1",model_name="qwen"} 2.0
vllm:kv_cache_usage_perc{engine="0",model_name="qwen"} 0.42
vllm:e2e_request_latency_seconds_bucket{le="+Inf",model_name="qwen"} 17
weird line without a value
"#;

    #[test]
    fn parses_names_labels_and_values() {
        let series = parse(r#"a_total{path="/x \"y\"",le="0.5"} 12 1700000000000"#);
        assert_eq!(
            series,
            vec![Series {
                name: "a_total".into(),
                labels: vec![("path".into(), "/x \"y\"".into()), ("le".into(), "0.5".into())],
                value: 12.0,
            }]
        );
        assert_eq!(parse("up 1\n# c\n\nb +Inf").len(), 2);
        assert!(parse("broken{a=\"x\" 1").is_empty(), "an unterminated label set is skipped");
    }

    #[test]
    fn maps_vllm_queue_and_kv_cache() {
        let s = to_sample(&parse(VLLM), &[]).0;
        assert_eq!(s.running, Some(8.0));
        assert_eq!(s.waiting, Some(5.0), "summed over engines");
        assert!(s.kv_cache_pct.is_some_and(|k| (k - 42.0).abs() < 1e-9));
        assert_eq!(s.gpu_util_pct, None, "no GPU series: absent");
    }

    #[test]
    fn maps_dcgm_gpu_series() {
        let text = "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 80\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 60\n\
                    DCGM_FI_DEV_FB_USED{gpu=\"0\"} 1000\nDCGM_FI_DEV_FB_USED{gpu=\"1\"} 500\n\
                    DCGM_FI_DEV_GPU_TEMP{gpu=\"0\"} 61\nDCGM_FI_DEV_GPU_TEMP{gpu=\"1\"} 70\n\
                    DCGM_FI_DEV_POWER_USAGE{gpu=\"0\"} 300.5\n";
        let s = to_sample(&parse(text), &[]).0;
        assert_eq!(s.gpu_util_pct, Some(70.0));
        assert_eq!(s.memory_used_mib, Some(1500.0));
        assert_eq!(s.temperature_c, Some(70.0));
        assert_eq!(s.power_w, Some(300.5));
        assert_eq!(s.waiting, None);
    }

    #[test]
    fn rejects_non_http_urls() {
        assert!(PromSource::new("https://x/metrics", vec![], vec![]).is_err());
        assert!(PromSource::new("not a url", vec![], vec![]).is_err());
        assert!(PromSource::new("http://127.0.0.1:9/metrics", vec![], vec![]).is_ok());
    }

    #[test]
    fn maps_vllm_histograms_preemptions_and_dcgm_profiling() {
        let text = r#"vllm:time_to_first_token_seconds_bucket{engine="0",le="0.04"} 1.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.06"} 9.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf"} 10.0
vllm:time_to_first_token_seconds_bucket{engine="1",le="0.06"} 1.0
vllm:time_to_first_token_seconds_bucket{engine="1",le="+Inf"} 2.0
vllm:time_to_first_token_seconds_sum{engine="0"} 0.5
vllm:time_to_first_token_seconds_count{engine="0"} 10.0
vllm:time_to_first_token_seconds_count{engine="1"} 2.0
vllm:inter_token_latency_seconds_bucket{le="0.025"} 100.0
vllm:inter_token_latency_seconds_bucket{le="+Inf"} 100.0
vllm:inter_token_latency_seconds_count 100.0
vllm:time_per_output_token_seconds_bucket{le="0.025"} 100.0
vllm:time_per_output_token_seconds_bucket{le="+Inf"} 100.0
vllm:time_per_output_token_seconds_count 100.0
vllm:num_preemptions_total{engine="0"} 3.0
vllm:num_preemptions_total{engine="1"} 1.0
DCGM_FI_PROF_SM_ACTIVE{gpu="0"} 0.5
DCGM_FI_PROF_SM_ACTIVE{gpu="1"} 0.7
DCGM_FI_DEV_SM_CLOCK{gpu="0"} 1410
"#;
        let (s, _) = to_sample(&parse(text), &[]);
        let ttft = &s.histograms[&ServerHistogram::Ttft];
        assert_eq!(
            ttft.buckets,
            vec![(0.04, 1.0), (0.06, 10.0), (f64::INFINITY, 12.0)],
            "engines summed by le"
        );
        assert_eq!(ttft.count, 12.0);
        assert_eq!(s.histograms[&ServerHistogram::Itl].count, 100.0, "the older ITL name is not added twice");
        assert_eq!(s.preemptions_total, Some(4.0));
        assert!(s.sm_active_pct.is_some_and(|v| (v - 60.0).abs() < 1e-9), "{:?}", s.sm_active_pct);
        assert_eq!(s.sm_clock_mhz, Some(1410.0));
    }

    #[test]
    fn kept_series_are_named_with_their_labels() {
        let keep: Vec<KeepPattern> = vec!["DCGM_FI_DEV_MEM_.*".parse().unwrap_or_else(|e| panic!("{e}"))];
        let text = "DCGM_FI_DEV_MEM_CLOCK{gpu=\"0\"} 1593\nDCGM_FI_DEV_MEM_COPY_UTIL 12\nother 1\n";
        let (s, overflow) = to_sample(&parse(text), &keep);
        assert!(!overflow);
        assert_eq!(s.kept.len(), 2);
        assert_eq!(s.kept.get("DCGM_FI_DEV_MEM_CLOCK{gpu=\"0\"}"), Some(&1593.0));
        assert_eq!(s.kept.get("DCGM_FI_DEV_MEM_COPY_UTIL"), Some(&12.0));
    }
}
