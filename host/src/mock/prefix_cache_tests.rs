//! The prefix cache over real HTTP: cached prompt tokens in usage, a warm prefix's shorter time
//! to first token, and vLLM's counters on `/metrics`.

use hyper::{Method, StatusCode};
use serde_json::json as value;

use super::prefix_cache::PrefixCacheConfig;
use super::tests::{MS, json, ms, send, server};
use super::{MockConfig, MockServer};

/// `n` distinct words from `from`.
fn words(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
}

/// Streams a chat of `prompt` and returns (time to the first token, usage).
async fn stream(srv: &MockServer, prompt: &str) -> (std::time::Duration, serde_json::Value) {
    let body = value!({"messages": [{"role": "user", "content": prompt}], "max_tokens": 2, "stream": true,
        "stream_options": {"include_usage": true}});
    let mut p = send(srv.addr(), Method::POST, "/v1/chat/completions", Some(&body.to_string())).await;
    assert_eq!(p.status, StatusCode::OK);
    let events = p.events(usize::MAX).await;
    assert_eq!(events.len(), 4, "2 tokens, usage, [DONE]");
    (events[0].at, json(&events[2].data)["usage"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_prefix_is_reported_counted_and_shortens_the_first_token() {
    let cfg = MockConfig {
        ttft: ms(20),
        itl: MS,
        metrics: true,
        prefix_cache: Some(PrefixCacheConfig { block_tokens: 16, capacity_tokens: 1 << 16 }),
        prefill_per_token: MS,
        ..MockConfig::default()
    };
    let srv = server(cfg).await;
    let prefix = words(0, 64);
    // Cold: 80 tokens to prefill, nothing cached.
    let (cold, usage) = stream(&srv, &format!("{prefix} {}", words(1000, 16))).await;
    assert_eq!(usage["prompt_tokens"], 80);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
    assert!(cold >= ms(20 + 80) && cold < ms(20 + 80 + 30), "cold ttft {cold:?}");
    // Warm: the 64-token prefix is 4 cached blocks, 16 tokens are left to prefill.
    let (warm, usage) = stream(&srv, &format!("{prefix} {}", words(2000, 16))).await;
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 64);
    assert!(warm >= ms(20 + 16) && warm < ms(20 + 16 + 30), "warm ttft {warm:?}");
    // A whole answer reports it too; another prefix is cold again.
    let body = value!({"messages": [{"role": "user", "content": words(5000, 40)}], "max_tokens": 1});
    let p = send(srv.addr(), Method::POST, "/v1/chat/completions", Some(&body.to_string())).await;
    assert_eq!(json(&p.text().await)["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(srv.prefix_cache_counts(), Some((80 + 80 + 40, 64)));
    let page = send(srv.addr(), Method::GET, "/metrics", None).await.text().await;
    for line in [
        "vllm:prefix_cache_queries_total{model_name=\"mock\",engine=\"0\"} 200",
        "vllm:prefix_cache_hits_total{model_name=\"mock\",engine=\"0\"} 64",
    ] {
        assert!(page.lines().any(|l| l == line), "{line} missing from:\n{page}");
    }
    srv.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cache_the_whole_prompt_is_prefilled_and_no_counters_show() {
    let cfg =
        MockConfig { ttft: ms(10), itl: MS, metrics: true, prefill_per_token: MS, ..MockConfig::default() };
    let srv = server(cfg).await;
    let prompt = words(0, 30);
    for _ in 0..2 {
        let (ttft, usage) = stream(&srv, &prompt).await;
        assert!(ttft >= ms(10 + 30), "the same prompt twice, prefilled twice: {ttft:?}");
        assert!(usage.get("prompt_tokens_details").is_none(), "{usage}");
    }
    assert_eq!(srv.prefix_cache_counts(), None);
    let page = send(srv.addr(), Method::GET, "/metrics", None).await.text().await;
    assert!(!page.contains("prefix_cache"), "{page}");
    srv.shutdown().await;
}
