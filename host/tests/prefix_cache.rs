//! The `prefix-cache` scenario against the simulated server with its prefix cache on: the
//! ground truth is the cache's arithmetic. With G groups, a P-token prefix (whole blocks) and an
//! S-token suffix, each group's first request (phase `cold`) finds nothing cached and every
//! later one (phase `warm`) finds its P prefix tokens; a cached token skips its prefill, so a
//! warm first token comes P × prefill-per-token sooner.

mod common;

use common::{MockProcess, Played, play};
use runner_reports::{PhaseReport, TaggedMetrics, metric};

const GROUPS: u64 = 3;
const PREFIX: u64 = 64;
const SUFFIX: u64 = 16;
const WARM: u64 = 9;
/// The mock's time to first token before prefill, and its prefill per uncached token, in ms.
const TTFT_MS: f64 = 10.0;
const PREFILL_MS: f64 = 2.0;

fn params() -> Vec<String> {
    [
        format!("groups={GROUPS}"),
        format!("prefix_tokens={PREFIX}"),
        format!("suffix_tokens={SUFFIX}"),
        format!("requests={WARM}"),
        "vus=2".to_string(),
        "max_tokens=4".to_string(),
        // Several samples (100 ms apart) between the phases.
        "gap=500ms".to_string(),
    ]
    .into_iter()
    .flat_map(|p| ["-p".to_string(), p])
    .collect()
}

fn play_prefix_cache(extra: &[&str]) -> Played {
    let mut args: Vec<String> = params();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = play(&common::scenario("prefix-cache"), &args);
    run.assert_success();
    run
}

/// The tag set of prefix group `g` in a phase.
fn group(p: &PhaseReport, g: u64) -> &TaggedMetrics {
    let want = g.to_string();
    p.by_tags
        .iter()
        .find(|t| t.tags.get("prefix_group") == Some(&want))
        .unwrap_or_else(|| panic!("phase {} has no prefix_group={g}: {:?}", p.name, p.by_tags))
}

/// The mock's own counter `name` from its `/metrics` page.
fn counter(url: &str, name: &str) -> f64 {
    let page = fetch(&format!("{url}/metrics"));
    page.lines()
        .find_map(|l| {
            l.strip_prefix(name).filter(|rest| rest.starts_with('{'))?.rsplit(' ').next()?.parse().ok()
        })
        .unwrap_or_else(|| panic!("{name} is not on the page:\n{page}"))
}

/// A plain-HTTP GET's body (the mock's pages), over a raw socket.
fn fetch(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (addr, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
    let mut socket = std::net::TcpStream::connect(addr).expect("connect to the mock");
    write!(socket, "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    socket.read_to_string(&mut answer).expect("read");
    answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

#[test]
fn cached_prefixes_are_reported_counted_and_shorten_ttft() {
    let mock = MockProcess::start(&[
        "--metrics",
        "--prefix-cache",
        "16",
        "--prefill-per-token-us",
        "2000",
        "--ttft-ms",
        "10",
        "--itl-ms",
        "1",
    ]);
    let metrics = format!("prom={}/metrics", mock.url);
    let run =
        play_prefix_cache(&["--target", &mock.url, "--telemetry", &metrics, "--sample-interval", "100ms"]);
    let (cold, warm) = (run.phase("cold"), run.phase("warm"));
    let prompt = PREFIX + SUFFIX;

    // What usage said: no cached token cold, the whole prefix warm.
    assert_eq!((cold.requests, cold.errors, warm.requests, warm.errors), (GROUPS, 0, WARM, 0));
    assert_eq!((cold.input_tokens, cold.cached_tokens), (GROUPS * prompt, 0));
    assert_eq!((warm.input_tokens, warm.cached_tokens), (WARM * prompt, WARM * PREFIX));
    assert_eq!(cold.cached_share(), Some(0.0), "usage reported 0 cached tokens: a share of 0, not none");
    for g in 0..GROUPS {
        let (c, w) = (group(cold, g), group(warm, g));
        assert_eq!((c.requests, c.cached_tokens, c.input_tokens), (1, 0, prompt), "cold group {g}");
        let n = WARM / GROUPS;
        assert_eq!(
            (w.requests, w.cached_tokens, w.input_tokens),
            (n, n * PREFIX, n * prompt),
            "warm group {g}"
        );
    }

    // The server's counters: the mock's own page, and the phases' deltas read by telemetry.
    let (queries, hits) = ((GROUPS + WARM) * prompt, WARM * PREFIX);
    assert_eq!(counter(&mock.url, "vllm:prefix_cache_queries_total"), queries as f64);
    assert_eq!(counter(&mock.url, "vllm:prefix_cache_hits_total"), hits as f64);
    let server = |p: &PhaseReport| {
        let t = p
            .telemetry
            .clone()
            .unwrap_or_else(|| panic!("phase {} has no telemetry: {}", p.name, run.stderr));
        (t.prefix_cache_queries, t.prefix_cache_hits, t.prefix_cache_hit_rate)
    };
    // A phase's counters are the increase between the samples that bracket it: a request that
    // lands while the sample before the phase is read counts before it. The rate does not move:
    // every request of a phase has the same share cached.
    let (q, h, r) = server(cold);
    assert!(q.is_some_and(|q| q > 0.0 && q <= (GROUPS * prompt) as f64), "cold queries {q:?}");
    assert_eq!((h, r), (Some(0.0), Some(0.0)), "no cold request hit");
    let (q, h, r) = server(warm);
    let q = q.unwrap_or_else(|| panic!("warm has no queries: {:?}", warm.telemetry));
    assert!(q > 0.0 && q <= (WARM * prompt) as f64 && q % prompt as f64 == 0.0, "warm queries {q}");
    assert_eq!(h, Some(q * PREFIX as f64 / prompt as f64), "hits: the prefix of each request looked up");
    let rate = PREFIX as f64 / prompt as f64;
    assert!(r.is_some_and(|r| (r - rate).abs() < 1e-9), "warm hit rate {r:?}, the prefix's share {rate}");

    // A cached token is not prefilled: the warm first token is PREFIX × 2 ms sooner.
    let ttft = |p: &PhaseReport| p.metric(metric::TTFT).copied().expect("streamed requests have a TTFT");
    let (cold_ttft, warm_ttft) = (ttft(cold), ttft(warm));
    let cold_due = TTFT_MS + prompt as f64 * PREFILL_MS;
    let warm_due = TTFT_MS + SUFFIX as f64 * PREFILL_MS;
    // Histograms keep 3 significant digits: half a millisecond of slack at these values.
    assert!(cold_ttft.min >= cold_due - 0.5, "cold {cold_ttft:?}: never before {cold_due} ms");
    assert!(warm_ttft.min >= warm_due - 0.5, "warm {warm_ttft:?}: never before {warm_due} ms");
    let saved = cold_ttft.p50 - warm_ttft.p50;
    let modelled = PREFIX as f64 * PREFILL_MS;
    assert!((saved - modelled).abs() < 40.0, "TTFT p50 fell by {saved:.1} ms; the cache saves {modelled} ms");
    for g in 0..GROUPS {
        let warm_group = group(warm, g).metrics[metric::TTFT];
        assert!(warm_group.max < cold_ttft.min, "warm group {g} {warm_group:?} vs cold {cold_ttft:?}");
    }

    // Where a reader sees it.
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("## Prefix cache") && md.contains("### Per prefix group"), "{md}");
    assert!(md.contains(&format!("| warm | {WARM} |")), "{md}");
    assert!(md.contains("| 720 | 576 (80.0%) | 80.0% | "), "{md}");
    assert!(md.contains("| cold | 0 | 1 | 0 |"), "the cold row of group 0: {md}");
    assert!(run.stdout.contains("server prefix cache hit rate 80.0% ("), "{}", run.stdout);
    let html = std::fs::read_to_string(run.out.join("report.html")).expect("report.html");
    assert!(html.contains("Per prefix group"), "the HTML report has the same tables");
}

#[test]
fn the_built_in_server_models_the_cache_too_and_without_it_nothing_is_cached() {
    let run = play_prefix_cache(&["--mock", "ttft=5ms,itl=1ms,prefix-cache=16,prefill-per-token=1ms"]);
    let warm = run.phase("warm");
    assert_eq!((warm.cached_tokens, warm.cached_share()), (WARM * PREFIX, Some(0.8)));
    assert!(warm.telemetry.is_none(), "no --telemetry: no server hit rate");
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| 576 (80.0%) | n/a | n/a |"), "{md}");

    let plain = play_prefix_cache(&["--mock", "ttft=5ms,itl=1ms"]);
    let warm = plain.phase("warm");
    assert_eq!((warm.cached_tokens, warm.cached_share()), (0, None), "no cache, no cached_tokens in usage");
    assert_eq!(group(warm, 0).requests, WARM / GROUPS, "the groups are still tagged");
    let md = plain.report_md.as_deref().expect("report.md");
    assert!(md.contains("### Per prefix group") && !md.contains("Server hit rate"), "{md}");
}

#[test]
fn a_prefix_ratio_splits_the_prompt_anew() {
    let run = play_prefix_cache(&["-p", "prefix_ratio=0.5", "--mock", "ttft=2ms,itl=1ms,prefix-cache=8"]);
    let warm = run.phase("warm");
    // 80 tokens split 40 / 40: the prefix is 5 whole blocks of 8.
    assert_eq!((warm.input_tokens, warm.cached_tokens), (WARM * 80, WARM * 40));
    let refused = play(&common::scenario("prefix-cache"), &["-p", "prefix_ratio=1.5"]);
    assert!(!refused.output.status.success());
    assert!(
        refused.stderr.contains("prefix_ratio") && refused.stderr.contains("from 0 to 1"),
        "{}",
        refused.stderr
    );
}

#[test]
fn prefix_cache_settings_out_of_bounds_are_usage_errors() {
    let scenario = common::scenario("prefix-cache");
    for (spec, expected) in [
        ("prefix-cache=0", "prefix-cache block of 0 tokens must be from 1 to 4096"),
        ("prefix-cache=16,prefix-cache-capacity=8", "must hold from 1 to 1048576 blocks of 16"),
        ("prefix-cache=1,prefix-cache-capacity=4000000", "must hold from 1 to 1048576 blocks of 1"),
        ("prefix-cache=on,cached-tokens=5", "cached-tokens and prefix-cache both set"),
        ("prefix-cache=lots", "prefix-cache=lots: not a whole number"),
        ("prefill-per-token=1000days", "longer than the maximum of 7days"),
    ] {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = common::runner()
            .arg("play")
            .arg(&scenario)
            .args(["-q", "--mock", spec, "--out"])
            .arg(dir.path().join("run"))
            .output()
            .expect("running the runner binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        assert!(stderr.contains(expected), "{spec}: {stderr}");
    }
}
