//! Tests of [`super`]: the body's fields, content parts and the headers a call goes out with.

use std::time::Duration;

use serde_json::json;

use super::super::super::http::{ClientConfig, Connections, HttpClient, OwnConnection};
use super::super::super::test_support::*;
use super::super::{LlmRequest, call};
use super::*;

fn chat(messages: Vec<Message>) -> LlmRequest {
    LlmRequest {
        api: Api::Chat,
        model: Some("m".into()),
        messages,
        max_tokens: Some(8),
        timeout: Some(Duration::from_secs(5)),
        ..LlmRequest::default()
    }
}

#[test]
fn the_limit_goes_in_the_field_the_request_names() {
    let mut req = chat(vec![Message::text("user", "hi")]);
    let body = request_body(&req).expect("body");
    assert_eq!((body.get("max_tokens"), body.get("max_completion_tokens")), (Some(&json!(8)), None));
    req.max_tokens_field = MaxTokensField::MaxCompletionTokens;
    let body = request_body(&req).expect("body");
    assert_eq!((body.get("max_tokens"), body.get("max_completion_tokens")), (None, Some(&json!(8))));
    req.max_tokens = None;
    let body = request_body(&req).expect("body");
    assert_eq!(
        (body.get("max_tokens"), body.get("max_completion_tokens")),
        (None, None),
        "no limit, no field"
    );
}

#[test]
fn a_message_with_images_is_sent_as_content_parts_and_one_without_as_text() {
    let with = Message {
        role: "user".into(),
        content: "what is this?".into(),
        images: vec!["https://example.com/a.png".into(), "data:image/png;base64,iVBORw0KGgo=".into()],
    };
    let req = chat(vec![Message::text("system", "be brief"), with]);
    let body = request_body(&req).expect("body");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ]},
        ])
    );
}

#[test]
fn images_on_a_completions_request_are_refused() {
    let mut req =
        chat(vec![Message { images: vec!["https://example.com/a.png".into()], ..Message::text("user", "") }]);
    req.api = Api::Completions;
    let e = request_body(&req).expect_err("completions carry no images");
    assert_eq!(e.class, ErrorClass::InvalidRequest);
    assert!(e.message.contains("chat"), "{}", e.message);
}

#[tokio::test]
async fn a_call_sends_the_requests_headers_after_the_runs_replacing_those_of_the_same_name() {
    let answer = json!({"choices": [{"index": 0, "message": {"content": "ok"}, "finish_reason": "stop"}]});
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    let mut run = TargetHeaders::default();
    run.push("X-Session-Id: run-wide").expect("valid");
    run.push("X-Org: acme").expect("valid");
    let mut req = chat(vec![Message::text("user", "hi")]);
    req.headers = vec![("x-session-id".to_string(), "s-42".to_string())].into();
    // On the pooled client, then on a VU's own connection: the same headers on the wire.
    for own_connection in [false, true] {
        let (addr, mut requests) =
            recording_server(vec![full_response(200, "application/json", &answer.to_string())]).await;
        let base = format!("http://{addr}");
        let mut own = OwnConnection::new(&base, None).expect("a plain http base");
        let conns = Connections { pooled: &client, own: own_connection.then_some(&mut own) };
        let c = call(conns, &base, &run, &req).await.expect("completion");
        assert_eq!(c.text, "ok");
        let (head, _) = requests.recv().await.expect("the request");
        let lines: Vec<&str> = head.lines().collect();
        let at = |line: &str| lines.iter().position(|l| l.eq_ignore_ascii_case(line));
        let (org, session) = (at("x-org: acme"), at("x-session-id: s-42"));
        assert!(
            org.is_some() && session.is_some() && org < session,
            "the run's first, then the request's (own connection: {own_connection}): {head}"
        );
        assert_eq!(at("x-session-id: run-wide"), None, "replaced, not sent twice: {head}");
    }
}

#[tokio::test]
async fn a_bad_request_header_is_an_invalid_request_that_quotes_no_value() {
    let client = HttpClient::new(ClientConfig::default()).expect("client");
    for (name, value, want) in [
        ("Bearer sk-secret", "v", "header #1 of the request has no valid header name"),
        ("x-key", "sk-secret\u{7}", "invalid value for header x-key"),
        ("transfer-encoding", "chunked", "header transfer-encoding is set by the host, not by the request"),
    ] {
        let mut req = chat(vec![Message::text("user", "hi")]);
        req.headers = vec![(name.to_string(), value.to_string())].into();
        // Port 1 is never contacted: the headers are checked first.
        let e = call(
            Connections { pooled: &client, own: None },
            "http://127.0.0.1:1",
            &TargetHeaders::default(),
            &req,
        )
        .await
        .expect_err("invalid");
        assert_eq!((e.class, e.status, e.message.as_str()), (ErrorClass::InvalidRequest, None, want));
    }
}
