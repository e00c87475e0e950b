//! Tests of [`super`], against local servers on 127.0.0.1.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Instant;

use serde_json::json;

use super::super::http::{ClientConfig, Connections, HttpClient, OwnConnection};
use super::super::sse::SseEvent;
use super::super::test_support::*;
use super::answer::{MAX_CONTENT_CHUNKS, MAX_TEXT, per_token_gaps};
use super::*;

pub(super) const MS: fn(u64) -> Duration = Duration::from_millis;

pub(super) fn content(text: &str) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
    )
}

pub(super) fn usage(prompt: u32, completion: u32) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
    )
}

pub(super) fn finish(reason: &str) -> String {
    format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}))
}

pub(super) fn chat(stream: bool) -> LlmRequest {
    LlmRequest {
        api: Api::Chat,
        model: Some("m".into()),
        messages: vec![Message::text("user", "hi")],
        max_tokens: Some(16),
        stream,
        timeout: Some(Duration::from_secs(5)),
        ..LlmRequest::default()
    }
}

/// First content after 30 ms, then five more 10 ms apart, then `tail`.
fn timed_stream(tail: &[String]) -> Vec<Step> {
    let mut s = vec![sse_head(), Step::Sleep(MS(30)), chunk(&content("t0"))];
    for i in 1..6 {
        s.push(Step::Sleep(MS(10)));
        s.push(chunk(&content(&format!("t{i}"))));
    }
    s.extend(tail.iter().map(|t| chunk(t)));
    s.push(end());
    s
}

/// The two ways a call reaches a server: the pooled client, and a VU's own connection.
#[derive(Debug, Clone, Copy)]
enum Via {
    Pooled,
    Own,
}

/// One call to `base` over `via`, with `own` as the VU's connection when `via` is `Own`.
async fn call_via(
    via: Via,
    client: &HttpClient,
    own: &mut Option<OwnConnection>,
    base: &str,
    req: &LlmRequest,
) -> Result<Completion, LlmError> {
    let own = match via {
        Via::Pooled => None,
        Via::Own => {
            Some(own.get_or_insert_with(|| OwnConnection::new(base, None).expect("a plain http base")))
        }
    };
    call(Connections { pooled: client, own }, base, &TargetHeaders::default(), req).await
}

/// The call over the pooled client and over an own connection, each against a fresh server
/// playing `script`: both must agree on the outcome (text, counts, error class); the own
/// connection's result is returned for the caller's checks of timings and details.
pub(super) async fn run(script: Vec<Step>, req: &LlmRequest) -> Result<Completion, LlmError> {
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let mut results = Vec::new();
    for via in [Via::Pooled, Via::Own] {
        let (addr, _) = script_server(script.clone()).await;
        results.push(call_via(via, &client, &mut None, &format!("http://{addr}"), req).await);
    }
    let own = results.pop().expect("two results");
    let pooled = results.pop().expect("two results");
    match (&pooled, &own) {
        (Ok(p), Ok(o)) => {
            let outcome =
                |c: &Completion| (c.text.clone(), c.chunks, c.output_tokens, c.finish_reason.clone());
            assert_eq!(outcome(p), outcome(o), "pooled and own connection disagree");
        }
        (Err(p), Err(o)) => assert_eq!((p.class, p.status), (o.class, o.status), "{p} / {o}"),
        _ => panic!("pooled gave {pooled:?}, the own connection {own:?}"),
    }
    own
}

pub(super) fn within(d: Duration, lo: u64, hi: u64) -> bool {
    d >= MS(lo) && d <= MS(hi)
}

#[test]
fn endpoint_handles_slash_and_v1_suffixes() {
    for base in ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"] {
        assert_eq!(endpoint_url(base, Api::Chat), "http://h:1/v1/chat/completions", "{base}");
        assert_eq!(endpoint_url(base, Api::Completions), "http://h:1/v1/completions", "{base}");
    }
    assert_eq!(endpoint_url("http://h/proxy/v1", Api::Chat), "http://h/proxy/v1/chat/completions");
}

#[test]
fn a_path_prefix_is_kept_and_gets_v1_unless_it_ends_in_it() {
    for base in ["http://h:1/openai", "http://h:1/openai/", "http://h:1/openai/v1", "http://h:1/openai/v1/"] {
        assert_eq!(endpoint_url(base, Api::Chat), "http://h:1/openai/v1/chat/completions", "{base}");
        assert_eq!(api_url(base, "models"), "http://h:1/openai/v1/models", "{base}");
    }
    // Only a whole `v1` segment is the API's root.
    assert_eq!(api_url("http://h/apiv1", "models"), "http://h/apiv1/v1/models");
    assert_eq!(api_url("https://h/a/b", "/completions"), "https://h/a/b/v1/completions");
}

#[test]
fn body_has_fields_and_extra_body_adds_to_them() {
    let mut req = chat(true);
    req.extra_body = Some(r#"{"ignore_eos": true, "temperature": 0}"#.into());
    let body = request_body(&req).expect("body");
    let want = json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16,
        "stream": true, "stream_options": {"include_usage": true}, "ignore_eos": true, "temperature": 0});
    assert_eq!(body, want);
    // Without a limit or a model in the request, extra_body may give them.
    let open = LlmRequest { max_tokens: None, model: None, ..chat(false) };
    let with =
        LlmRequest { extra_body: Some(r#"{"max_completion_tokens": 4, "model": "x"}"#.into()), ..open };
    let body = request_body(&with).expect("body");
    assert_eq!((body["max_completion_tokens"].clone(), body["model"].clone()), (json!(4), json!("x")));
    // The API's own prompt field is the one documented precedence: a tool conversation, token ids.
    let tool_turns =
        json!([{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "c", "content": "21 C"}]);
    let chat_extra =
        LlmRequest { extra_body: Some(json!({"messages": tool_turns}).to_string()), ..chat(true) };
    assert_eq!(request_body(&chat_extra).expect("body")["messages"], tool_turns);
    let ids = LlmRequest {
        api: Api::Completions,
        prompt: "p".into(),
        extra_body: Some(r#"{"prompt": [1, 2, 3]}"#.into()),
        ..chat(false)
    };
    assert_eq!(request_body(&ids).expect("body")["prompt"], json!([1, 2, 3]));
    let plain = LlmRequest {
        api: Api::Completions,
        model: None,
        prompt: "p".into(),
        max_tokens: None,
        ..chat(false)
    };
    assert_eq!(request_body(&plain).expect("body"), json!({"prompt": "p", "stream": false}));
}

#[test]
fn extra_body_never_replaces_a_field_the_host_builds() {
    for (api, extra, field) in [
        (Api::Chat, r#"{"stream": false}"#, "stream"),
        (Api::Chat, r#"{"stream_options": {"include_usage": false}}"#, "stream_options"),
        (Api::Chat, r#"{"prompt": "p"}"#, "prompt"),
        (Api::Completions, r#"{"messages": []}"#, "messages"),
        (Api::Chat, r#"{"model": "other"}"#, "model"),
        (Api::Chat, r#"{"max_tokens": 4}"#, "max_tokens"),
        (Api::Chat, r#"{"temperature": 0, "max_completion_tokens": 4}"#, "max_completion_tokens"),
    ] {
        for stream in [true, false] {
            let req = LlmRequest { api, extra_body: Some(extra.into()), ..chat(stream) };
            let e = request_body(&req).expect_err("refused");
            assert_eq!(e.class, ErrorClass::InvalidRequest, "{extra}");
            assert!(
                e.message.starts_with(&format!("extra_body may not set `{field}`")),
                "{extra}: {}",
                e.message
            );
        }
    }
}

#[tokio::test]
async fn bad_extra_body_is_invalid_request() {
    for extra in ["[1]", "not json", "\"s\""] {
        let req = LlmRequest { extra_body: Some(extra.into()), ..chat(true) };
        // Port 1 is never contacted: the body is checked first.
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        let e = call(
            Connections { pooled: &client, own: None },
            "http://127.0.0.1:1",
            &TargetHeaders::default(),
            &req,
        )
        .await
        .expect_err("invalid");
        assert_eq!((e.class, e.status), (ErrorClass::InvalidRequest, None), "{extra}: {}", e.message);
    }
}

#[test]
fn itl_scales_gaps_by_tokens_per_chunk() {
    let gaps = [MS(10), MS(20)];
    assert_eq!(per_token_gaps(&gaps, 3, None), gaps);
    assert_eq!(per_token_gaps(&gaps, 3, Some(3)), gaps);
    assert_eq!(per_token_gaps(&gaps, 3, Some(2)), gaps);
    assert_eq!(per_token_gaps(&gaps, 3, Some(5)), [MS(5), MS(10)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_timings_and_counted_tokens() {
    let (addr, mut bodies) = script_server(timed_stream(&[finish("stop"), "data: [DONE]\n\n".into()])).await;
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let c = call(
        Connections { pooled: &client, own: None },
        &format!("http://{addr}/v1/"),
        &TargetHeaders::default(),
        &chat(true),
    )
    .await
    .expect("completion");
    let sent: Value = serde_json::from_slice(&bodies.recv().await.expect("request")).expect("json");
    assert_eq!(sent["stream_options"]["include_usage"], json!(true));
    assert_eq!(c.text, "t0t1t2t3t4t5");
    assert_eq!(c.finish_reason.as_deref(), Some("stop"));
    assert_eq!((c.chunks, c.counted_output_tokens, c.output_tokens), (6, 6, 6));
    assert_eq!(
        (c.output_tokens_source, c.usage_output_tokens, c.input_tokens),
        (TokenSource::Counted, None, None)
    );
    // The server cannot send chunk k before 30 + 10k ms; the upper slack absorbs timer
    // overshoot and scheduling on a loaded machine (the run is shared with compilers).
    let ttft = c.ttft.expect("ttft");
    assert_eq!(c.ttst, Some(ttft + c.chunk_gaps[0]));
    assert_eq!(c.chunk_gaps.len(), 5);
    let mut at = ttft;
    for k in 0..6u64 {
        assert!(within(at, 30 + 10 * k, 30 + 10 * k + 15), "chunk {k} at {at:?}, gaps {:?}", c.chunk_gaps);
        if let Some(gap) = c.chunk_gaps.get(k as usize) {
            at += *gap;
        }
    }
    let sum: Duration = c.chunk_gaps.iter().sum();
    assert_eq!(c.itl, c.chunk_gaps);
    assert!(c.e2e >= ttft + sum && c.e2e - (ttft + sum) < MS(5), "e2e {:?}", c.e2e);
    assert_eq!(c.tpot, Some((c.e2e - ttft) / 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_sets_tokens_and_multi_token_chunks_scale_itl() {
    let c = run(timed_stream(&[usage(7, 6), "data: [DONE]\n\n".into()]), &chat(true)).await.expect("ok");
    assert_eq!((c.output_tokens, c.output_tokens_source, c.input_tokens), (6, TokenSource::Usage, Some(7)));
    assert_eq!(c.itl, c.chunk_gaps);

    let c = run(timed_stream(&[usage(7, 11), "data: [DONE]\n\n".into()]), &chat(true)).await.expect("ok");
    assert_eq!((c.output_tokens, c.counted_output_tokens, c.usage_output_tokens), (11, 6, Some(11)));
    let halves: Vec<Duration> = c.chunk_gaps.iter().map(|g| g.mul_f64(0.5)).collect();
    assert_eq!(c.itl, halves);
    let ttft = c.ttft.expect("ttft");
    assert_eq!(c.tpot, Some((c.e2e - ttft) / 10));
}

/// A server that sends `[DONE]` and then keeps the response open: the call ends at `[DONE]`, not
/// at the timeout, and the next call does not reuse the held keep-alive connection. The script
/// server reads one request per connection, so a request written on the held one would never be
/// answered and would time out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_held_open_after_done_ends_at_done_on_a_connection_not_reused() {
    let mut script = timed_stream(&[finish("stop"), "data: [DONE]\n\n".into()]);
    script[0] = sse_head_keep_alive();
    script.pop(); // The terminating chunk never comes.
    script.push(Step::Sleep(Duration::from_secs(30)));
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let req = LlmRequest { timeout: Some(MS(2000)), ..chat(true) };
    for (via, i) in [Via::Pooled, Via::Own].into_iter().flat_map(|via| [(via, 0), (via, 1)]) {
        let (addr, mut bodies) = script_server(script.clone()).await;
        let mut own = None;
        let started = Instant::now();
        let c = call_via(via, &client, &mut own, &format!("http://{addr}"), &req)
            .await
            .unwrap_or_else(|e| panic!("{via:?} call {i}: {e}"));
        assert!(started.elapsed() < MS(1000), "{via:?} call {i} took {:?}", started.elapsed());
        assert_eq!((c.text.as_str(), c.finish_reason.as_deref()), ("t0t1t2t3t4t5", Some("stop")), "call {i}");
        // `[DONE]` is written right after the last token, which leaves at 80 ms.
        let last_token = c.ttft.expect("ttft") + c.chunk_gaps.iter().sum::<Duration>();
        assert!(c.e2e >= last_token && c.e2e - last_token < MS(20), "call {i}: e2e {:?}", c.e2e);
        bodies.recv().await.expect("the request reached the server");
    }
}

/// A keep-alive server answering every request on a connection with a short stream whose body
/// ends `end_after` after `[DONE]` (in a write of its own); the counter counts connections.
async fn sse_keep_alive_server(end_after: Duration) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    counting_server(move |mut sock| async move {
        let mut buf = Vec::new();
        loop {
            // One request: its head, then `content-length` bytes of body.
            let (head_len, body_len) = loop {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut req = httparse::Request::new(&mut headers);
                if let Ok(httparse::Status::Complete(n)) = req.parse(&buf) {
                    let len = req
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse::<usize>().ok())
                        .unwrap_or(0);
                    break (n, len);
                }
                let mut chunk = [0u8; 4096];
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            };
            while buf.len() < head_len + body_len {
                let mut chunk = [0u8; 4096];
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            buf.drain(..head_len + body_len);
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            let events: String = [finish("stop"), "data: [DONE]\n\n".to_string()]
                .iter()
                .map(|e| format!("{:x}\r\n{e}\r\n", e.len()))
                .collect();
            if sock.write_all(format!("{head}{events}").as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(end_after).await;
            if sock.write_all(b"0\r\n\r\n").await.is_err() {
                return;
            }
        }
    })
    .await
}

#[tokio::test]
async fn a_body_that_ends_soon_after_done_keeps_its_connection_for_the_next_call() {
    for via in [Via::Pooled, Via::Own] {
        let (addr, conns) = sse_keep_alive_server(MS(5)).await;
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        let mut own = None;
        for i in 0..3 {
            // The pool takes a connection back a moment after its body ends: give it that moment,
            // as a VU's think time or its next iteration's set-up would.
            tokio::time::sleep(MS(50)).await;
            let c = call_via(via, &client, &mut own, &format!("http://{addr}"), &chat(true))
                .await
                .unwrap_or_else(|e| panic!("{via:?} call {i}: {e}"));
            assert_eq!(c.finish_reason.as_deref(), Some("stop"), "{via:?} call {i}");
        }
        assert_eq!(
            conns.load(Ordering::SeqCst),
            1,
            "{via:?}: one keep-alive connection served all three calls"
        );
    }
}

#[tokio::test]
async fn an_own_connection_the_server_closed_after_an_answer_is_replaced_without_an_error() {
    // The server ends every connection after one answer, at once or a moment later (what
    // llama.cpp's server does after a connection's last allowed request, or a restart): the
    // next call must open a new connection, not report a reset.
    let cases = [(Via::Own, MS(0)), (Via::Own, MS(30)), (Via::Pooled, MS(0)), (Via::Pooled, MS(30))];
    for (via, close_after) in cases {
        let (addr, conns) = one_answer_per_connection_server(close_after).await;
        let client = HttpClient::new(ClientConfig::default()).expect("client");
        let mut own = None;
        for i in 0..4 {
            if i % 2 == 1 {
                tokio::time::sleep(MS(50)).await;
            }
            let c = call_via(via, &client, &mut own, &format!("http://{addr}"), &chat(true))
                .await
                .unwrap_or_else(|e| panic!("{via:?}, close after {close_after:?}, call {i}: {e}"));
            assert_eq!(c.finish_reason.as_deref(), Some("stop"));
        }
        assert!(conns.load(Ordering::SeqCst) >= 4, "{via:?}: one connection per answer at least");
    }
}

/// A server that answers one streamed request per connection without saying `connection:
/// close`, then closes the connection `close_after` later; the counter counts connections.
async fn one_answer_per_connection_server(close_after: Duration) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    counting_server(move |mut sock| async move {
        let mut buf = Vec::new();
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut chunk = [0u8; 4096];
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
        let events: String = [content("x"), finish("stop"), "data: [DONE]\n\n".to_string()]
            .iter()
            .map(|e| format!("{:x}\r\n{e}\r\n", e.len()))
            .collect();
        let _ = sock.write_all(format!("{head}{events}0\r\n\r\n").as_bytes()).await;
        tokio::time::sleep(close_after).await;
    })
    .await
}

/// A server on 127.0.0.1 that runs `serve` on each connection it accepts, counting them.
async fn counting_server<F, Fut>(serve: F) -> (std::net::SocketAddr, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let conns = Arc::new(AtomicUsize::new(0));
    let counter = conns.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(sock));
        }
    });
    (addr, conns)
}

#[tokio::test]
async fn completions_text_reasoning_and_unterminated_done() {
    let text = |t: &str| {
        format!("data: {}\n\n", json!({"choices": [{"index": 0, "text": t, "finish_reason": null}]}))
    };
    let reasoning =
        format!("data: {}\n\n", json!({"choices": [{"index": 0, "delta": {"reasoning_content": "hmm"}}]}));
    let script = vec![
        sse_head(),
        chunk(&text("a")),
        chunk(&reasoning),
        chunk(&text("")),
        chunk(&text("b")),
        chunk(&finish("length")),
        chunk("data: [DONE]"),
        end(),
    ];
    let req = LlmRequest { api: Api::Completions, prompt: "p".into(), ..chat(true) };
    let c = run(script, &req).await.expect("ok");
    assert_eq!((c.text.as_str(), c.chunks, c.finish_reason.as_deref()), ("ab", 3, Some("length")));
}

#[tokio::test]
async fn non_streaming_uses_body_and_usage() {
    let body = json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2}}).to_string();
    let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
    assert_eq!((c.text.as_str(), c.finish_reason.as_deref()), ("hello", Some("stop")));
    assert_eq!((c.output_tokens, c.output_tokens_source, c.input_tokens), (2, TokenSource::Usage, Some(3)));
    assert_eq!((c.ttft, c.ttst, c.tpot, c.chunks), (None, None, None, 0));
    assert!(c.chunk_gaps.is_empty() && c.itl.is_empty() && c.e2e > Duration::ZERO);

    let body = json!({"choices": [{"index": 0, "message": {"content": "x"}}]}).to_string();
    let c = run(vec![full_response(200, "application/json", &body)], &chat(false)).await.expect("ok");
    assert_eq!(
        (c.output_tokens, c.output_tokens_source, c.usage_output_tokens),
        (0, TokenSource::Counted, None)
    );
}

pub(super) async fn expect_error(script: Vec<Step>, req: &LlmRequest) -> LlmError {
    run(script, req).await.expect_err("should fail")
}

#[tokio::test]
async fn http_status_error_quotes_the_body() {
    let long = format!("overloaded {}", "x".repeat(400));
    let e = expect_error(vec![full_response(500, "text/plain", &long)], &chat(true)).await;
    assert_eq!((e.class, e.status), (ErrorClass::HttpStatus, Some(500)));
    assert!(e.message.contains("HTTP 500: overloaded"), "{}", e.message);
    assert!(e.message.len() < 260, "{}", e.message.len());
}

#[tokio::test]
async fn connection_refused_is_connect() {
    let addr = closed_port().await;
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let e = call(
        Connections { pooled: &client, own: None },
        &format!("http://{addr}"),
        &TargetHeaders::default(),
        &chat(true),
    )
    .await
    .expect_err("refused");
    assert_eq!((e.class, e.status), (ErrorClass::Connect, None));
}

#[tokio::test]
async fn reset_mid_stream_is_reset() {
    let e =
        expect_error(vec![sse_head(), chunk(&content("a")), Step::Sleep(MS(20)), Step::Reset], &chat(true))
            .await;
    assert_eq!((e.class, e.status), (ErrorClass::Reset, Some(200)), "{}", e.message);
}

#[tokio::test]
async fn malformed_streams_are_classified() {
    let cases: Vec<Vec<Step>> = vec![
        vec![
            sse_head(),
            chunk(&content("a")),
            chunk("data: {not json\n\n"),
            chunk("data: [DONE]\n\n"),
            end(),
        ],
        vec![sse_head(), chunk(&content("a")), end()],
        vec![sse_head(), Step::Write(b"7\r\ndata: \xff\r\n".to_vec()), chunk("\n\ndata: [DONE]\n\n"), end()],
        vec![sse_head(), chunk("data: {\"choices\": 3}\n\n"), chunk("data: [DONE]\n\n"), end()],
        vec![full_response(200, "application/json", "{\"choices\": [")],
    ];
    for (i, script) in cases.into_iter().enumerate() {
        let stream = i < 4;
        let e = expect_error(script, &chat(stream)).await;
        assert_eq!((e.class, e.status), (ErrorClass::MalformedStream, Some(200)), "case {i}: {}", e.message);
    }
}

/// Lines an OpenAI-compatible stream never has: the SSE specification would have them ignored,
/// which hides a dropped token (or a whole answer) as a success.
#[tokio::test]
async fn streams_with_unrecognised_lines_or_no_data_event_are_malformed() {
    let json = json!({"choices": [{"index": 0, "delta": {"content": "b"}, "finish_reason": null}]});
    let cases: Vec<(Vec<Step>, &str)> = vec![
        // One token event without its `data: ` prefix, between well-formed ones.
        (
            vec![
                sse_head(),
                chunk(&content("a")),
                chunk(&format!("{json}\n\n")),
                chunk("data: [DONE]\n\n"),
                end(),
            ],
            "line 3 is not a comment",
        ),
        // Every line unrecognised.
        (vec![sse_head(), chunk(&format!("{json}\n\n{json}\n\n")), end()], "line 1 is not a comment"),
        // A 200 stream with no byte at all, and one with only comments: no `data:` event.
        (vec![sse_head(), end()], "without a single `data:` event"),
        (vec![sse_head(), chunk(": keep-alive\n\n: again\n\n"), end()], "without a single `data:` event"),
    ];
    for (i, (script, why)) in cases.into_iter().enumerate() {
        let e = expect_error(script, &chat(true)).await;
        assert_eq!((e.class, e.status), (ErrorClass::MalformedStream, Some(200)), "case {i}: {}", e.message);
        assert!(e.message.contains(why), "case {i}: {}", e.message);
    }
}

#[test]
fn an_endless_stream_of_content_chunks_stops_at_the_cap() {
    // What `call` does with each event, without sending a million events over a socket: the
    // accumulator starts one chunk short of the cap.
    let at = Instant::now();
    let mut acc = Accumulator::default();
    acc.content_times = vec![at; MAX_CONTENT_CHUNKS - 1];
    let event = SseEvent { data: content("x").trim_start_matches("data: ").trim().to_string(), event: None };
    acc.on_event(&event, at).expect("the last chunk under the cap");
    let e = acc.on_event(&event, at).expect_err("over the cap");
    assert!(e.contains("more than 1048576 content chunks"), "{e}");

    let mut acc = Accumulator::default();
    let big = "y".repeat(MAX_TEXT / 2 + 1);
    let event = SseEvent { data: content(&big).trim_start_matches("data: ").trim().to_string(), event: None };
    acc.on_event(&event, at).expect("half the cap");
    let e = acc.on_event(&event, at).expect_err("over the text cap");
    assert!(e.contains("generated text is larger than"), "{e}");
}

/// vLLM and SGLang report an engine failure mid-stream as an `{"error": …}` event, after a 200
/// and some tokens: the answer is not whole, so the call fails as `server-error`.
#[tokio::test]
async fn an_error_event_mid_stream_is_server_error() {
    let err = format!("data: {}\n\n", json!({"error": {"message": "out of memory", "code": 500}}));
    let e = expect_error(vec![sse_head(), chunk(&content("a")), chunk(&err), end()], &chat(true)).await;
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)), "{}", e.message);
    assert!(e.message.contains("out of memory"), "{}", e.message);
    // The same event followed by `[DONE]`, as vLLM ends it.
    let script = vec![sse_head(), chunk(&content("a")), chunk(&err), chunk("data: [DONE]\n\n"), end()];
    let e = expect_error(script, &chat(true)).await;
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)), "{}", e.message);
}

/// A whole (non-streamed) 2xx body that is an error object rather than a completion.
#[tokio::test]
async fn an_error_object_in_a_whole_2xx_body_is_server_error() {
    let body = json!({"error": {"message": "engine dead", "type": "InternalServerError"}}).to_string();
    let e = expect_error(vec![full_response(200, "application/json", &body)], &chat(false)).await;
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)), "{}", e.message);
    assert!(e.message.contains("engine dead"), "{}", e.message);
}

#[tokio::test]
async fn stall_mid_stream_is_timeout() {
    let req = LlmRequest { timeout: Some(MS(300)), ..chat(true) };
    let script = vec![sse_head(), chunk(&content("a")), Step::Sleep(MS(3000)), end()];
    let started = Instant::now();
    let e = expect_error(script, &req).await;
    assert_eq!((e.class, e.status), (ErrorClass::Timeout, Some(200)));
    assert!(started.elapsed() < MS(2000));
}
