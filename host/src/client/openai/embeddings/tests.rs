//! Tests of [`super`], against scripted servers on 127.0.0.1.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::client::http::{ClientConfig, Connections, HttpClient, OwnConnection};
use crate::client::test_support::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

fn two_texts() -> EmbeddingRequest {
    EmbeddingRequest {
        model: Some("e".into()),
        inputs: vec!["a b".into(), "c".into()],
        timeout: Some(Duration::from_secs(5)),
        ..EmbeddingRequest::default()
    }
}

fn answer(body: &serde_json::Value) -> Step {
    full_response(200, "application/json", &body.to_string())
}

/// The call over a VU's own connection (the path every request to the target takes).
async fn run(script: Vec<Step>, req: &EmbeddingRequest) -> Result<Embeddings, LlmError> {
    let (addr, _) = recording_server(script).await;
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let base = format!("http://{addr}");
    let mut own = OwnConnection::new(&base, None).expect("a plain http base");
    embed(Connections { pooled: &client, own: Some(&mut own) }, &base, &TargetHeaders::default(), req).await
}

#[test]
fn the_body_is_model_and_an_input_list_then_extra_body() {
    let mut req = two_texts();
    req.extra_body = Some(r#"{"encoding_format": "float", "dimensions": 8}"#.into());
    let body = embeddings_body(&req).expect("body");
    assert_eq!(
        body,
        json!({"model": "e", "input": ["a b", "c"], "encoding_format": "float", "dimensions": 8})
    );
    for owned in [r#"{"model": "other"}"#, r#"{"input": ["x"]}"#] {
        let e = embeddings_body(&EmbeddingRequest { extra_body: Some(owned.into()), ..two_texts() });
        assert!(e.is_err_and(|e| e.message.starts_with("extra_body may not set `")), "{owned}");
    }
    let one = EmbeddingRequest { model: None, inputs: vec!["x".into()], ..two_texts() };
    assert_eq!(embeddings_body(&one).expect("body"), json!({"input": ["x"]}), "one text is still a list");
}

#[test]
fn no_text_too_many_texts_or_bad_extra_body_are_invalid_requests() {
    let cases = [
        EmbeddingRequest { inputs: Vec::new(), ..two_texts() },
        EmbeddingRequest { inputs: vec![String::new(); MAX_BATCH as usize + 1], ..two_texts() },
        EmbeddingRequest { extra_body: Some("[1]".into()), ..two_texts() },
    ];
    for req in cases {
        let e = embeddings_body(&req).expect_err("invalid");
        assert_eq!((e.class, e.status), (ErrorClass::InvalidRequest, None), "{}", e.message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors_dimensions_tokens_and_e2e_are_measured() {
    let body = json!({"object": "list", "model": "e",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, -0.2, 0.3]},
                 {"object": "embedding", "index": 1, "embedding": [0.4, 0.5, 0.6]}],
        "usage": {"prompt_tokens": 3, "total_tokens": 3}});
    let (addr, mut requests) = recording_server(vec![Step::Sleep(MS(40)), answer(&body)]).await;
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let mut run_headers = TargetHeaders::default();
    run_headers.push("X-Session-Id: run").expect("valid");
    run_headers.add_bearer("k").expect("valid");
    let req = EmbeddingRequest {
        headers: vec![("X-Session-Id".to_string(), "s-7".to_string())].into(),
        ..two_texts()
    };
    let e =
        embed(Connections { pooled: &client, own: None }, &format!("http://{addr}/v1"), &run_headers, &req)
            .await
            .expect("embeddings");
    assert_eq!((e.status, e.vectors, e.dimensions, e.input_tokens), (200, 2, 3, Some(3)));
    assert!(e.e2e >= MS(40) && e.e2e < MS(2000), "{:?}", e.e2e);
    let (head, sent) = requests.recv().await.expect("the request");
    assert!(head.starts_with("POST /v1/embeddings HTTP/1.1\r\n"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("\r\nx-session-id: s-7\r\n") && !head.contains(": run\r\n"), "replaced: {head}");
    assert!(head.contains("\r\nauthorization: bearer k\r\n"), "the run's other headers: {head}");
    let sent: serde_json::Value = serde_json::from_slice(&sent).expect("json");
    assert_eq!(sent, json!({"model": "e", "input": ["a b", "c"]}));
}

#[tokio::test]
async fn base64_vectors_count_without_dimensions() {
    let body = json!({"data": [{"embedding": "AACAPwAAAEA="}], "usage": {"prompt_tokens": 2}});
    let e = run(vec![answer(&body)], &two_texts()).await.expect("embeddings");
    assert_eq!((e.vectors, e.dimensions, e.input_tokens), (1, 0, Some(2)));
    let no_usage = json!({"data": []});
    let e = run(vec![answer(&no_usage)], &two_texts()).await.expect("embeddings");
    assert_eq!((e.vectors, e.dimensions, e.input_tokens), (0, 0, None));
}

#[tokio::test]
async fn failures_are_classified() {
    let status = run(vec![full_response(503, "application/json", r#"{"error":"busy"}"#)], &two_texts())
        .await
        .expect_err("503");
    assert_eq!((status.class, status.status), (ErrorClass::HttpStatus, Some(503)));
    assert!(status.message.contains("busy"), "{}", status.message);
    let in_body = json!({"error": {"message": "out of memory"}});
    let e = run(vec![answer(&in_body)], &two_texts()).await.expect_err("an error object");
    assert_eq!((e.class, e.status), (ErrorClass::ServerError, Some(200)));
    assert!(e.message.contains("out of memory"), "{}", e.message);
    for body in [json!({"object": "list"}), json!({"data": {"embedding": []}}), json!({"data": [{}]})] {
        let e = run(vec![answer(&body)], &two_texts()).await.expect_err("not an answer");
        assert_eq!(e.class, ErrorClass::MalformedStream, "{body}: {}", e.message);
    }
    let not_json = run(vec![full_response(200, "application/json", "{")], &two_texts()).await;
    assert_eq!(not_json.expect_err("not JSON").class, ErrorClass::MalformedStream);
}

#[tokio::test]
async fn a_bad_request_header_is_refused_before_anything_is_sent() {
    let req =
        EmbeddingRequest { headers: vec![("x-key".into(), "sk-1\r\nx: y".into())].into(), ..two_texts() };
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    // Port 1 is never contacted: the headers are checked first.
    let e = embed(
        Connections { pooled: &client, own: None },
        "http://127.0.0.1:1",
        &TargetHeaders::default(),
        &req,
    )
    .await
    .expect_err("invalid");
    assert_eq!((e.class, e.message.as_str()), (ErrorClass::InvalidRequest, "invalid value for header x-key"));
}
