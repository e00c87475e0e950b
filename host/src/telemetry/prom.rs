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

use super::{Sample, TelemetryError};

/// A scrape that takes longer than this counts as failed (the next interval tries again).
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(2);

/// One series' value: its name, its labels (unused by the mapping today, kept for `--prom-keep`).
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
        _ => return None,
    })
}

/// Maps parsed series onto a sample; fields no series fed stay `None`.
pub fn to_sample(series: &[Series]) -> Sample {
    let mut sample = Sample::default();
    // (field's sum, count, max) per known name, so several names feeding one field keep the first.
    let mut seen: Vec<(&str, f64, u32, f64)> = Vec::new();
    for s in series.iter().filter(|s| s.value.is_finite()) {
        if mapping(&s.name).is_none() {
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
    sample
}

/// A scraped endpoint.
pub struct PromSource {
    url: String,
    uri: hyper::Uri,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl PromSource {
    /// Checks the URL; nothing is sent until the first sample.
    pub fn new(url: &str) -> Result<PromSource, TelemetryError> {
        let uri: hyper::Uri = url.parse().map_err(|_| TelemetryError::BadUrl(url.to_string()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(TelemetryError::BadUrl(url.to_string()));
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(PromSource { url: url.to_string(), uri, client })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Scrapes once.
    pub async fn read(&self) -> Result<Sample, TelemetryError> {
        let fail = |reason: String| TelemetryError::Scrape { url: self.url.clone(), reason };
        let scrape = async {
            let response = self.client.get(self.uri.clone()).await.map_err(|e| fail(e.to_string()))?;
            if !response.status().is_success() {
                return Err(fail(format!("HTTP {}", response.status())));
            }
            let body = response.into_body().collect().await.map_err(|e| fail(e.to_string()))?;
            Ok(body.to_bytes())
        };
        let body = tokio::time::timeout(SCRAPE_TIMEOUT, scrape)
            .await
            .map_err(|_| fail(format!("no answer within {SCRAPE_TIMEOUT:?}")))??;
        let text = String::from_utf8_lossy(&body);
        Ok(to_sample(&parse(&text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let s = to_sample(&parse(VLLM));
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
        let s = to_sample(&parse(text));
        assert_eq!(s.gpu_util_pct, Some(70.0));
        assert_eq!(s.memory_used_mib, Some(1500.0));
        assert_eq!(s.temperature_c, Some(70.0));
        assert_eq!(s.power_w, Some(300.5));
        assert_eq!(s.waiting, None);
    }

    #[test]
    fn rejects_non_http_urls() {
        assert!(PromSource::new("https://x/metrics").is_err());
        assert!(PromSource::new("not a url").is_err());
        assert!(PromSource::new("http://127.0.0.1:9/metrics").is_ok());
    }
}
