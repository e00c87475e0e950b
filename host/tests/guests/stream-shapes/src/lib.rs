//! Test fixture `stream-shapes`: sequential chat calls that record what the guest sees of the
//! answer shapes real servers send, so the end-to-end tests can check the WIT completion against
//! the simulated server's ground truth:
//!
//! - trend `reasoning_ms` (TTFO − TTFT of each streamed answer), counters `reasoning_chunks`,
//!   `reasoning_tokens` and `cached_tokens` (summed over answers);
//! - with `tools=true`, the request offers a `get_weather` function; an answer that calls it is
//!   checked (`tool call is get_weather`, `tool arguments are a JSON object`), then answered with
//!   the tool's result in a second request, whose answer must be words (`answer after the tool
//!   result is text`): the loop an agent runs.

use runner_sdk::{Context, Info, Phase, Scenario, llm, load, metrics, params};

const TOOLS: &str = r#"[{"type":"function","function":{"name":"get_weather","description":"The weather in a city",
"parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]"#;

const PROMPT: &str = "What is the weather in Paris today?";

struct StreamShapes;

impl Scenario for StreamShapes {
    fn describe() -> Info {
        Info::new(
            "stream-shapes",
            env!("CARGO_PKG_VERSION"),
            "Test fixture: chat calls that read reasoning, tool calls and cached tokens of each answer.",
        )
        .param("requests", "4", "Requests, one after another.")
        .param("max_tokens", "20", "Tokens to generate per request.")
        .param("stream", "true", "Stream the answers.")
        .param("tools", "false", "Offer a get_weather function, and answer its calls.")
    }

    fn drive() -> Result<(), String> {
        load::run(Phase::iterations("shapes", 1, params::parse("requests")?))?;
        Ok(())
    }

    fn iteration(_ctx: &Context) -> Result<(), String> {
        let max_tokens: u32 = params::parse("max_tokens")?;
        let stream = params::flag("stream")?;
        let tools = params::flag("tools")?;
        let mut request = llm::chat(PROMPT).max_tokens(max_tokens).stream(stream);
        if tools {
            request = request.extra(format!(r#"{{"tools":{TOOLS}}}"#));
        }
        let c = request.send()?;
        record(&c);
        if !tools {
            return Ok(());
        }
        let call = c.tool_call("get_weather");
        metrics::check("tool call is get_weather", call.is_some());
        let Some(call) = call else { return Ok(()) };
        let args = call.arguments.trim();
        metrics::check("tool arguments are a JSON object", args.starts_with('{') && args.ends_with('}'));
        // The conversation so far, with the tool's result last: the assistant's tool call cannot
        // be said in a WIT message, so the whole `messages` goes in the body.
        let messages = format!(
            r#"[{{"role":"user","content":"{PROMPT}"}},{{"role":"assistant","content":null,"tool_calls":[{{"id":"{}","type":"function","function":{{"name":"get_weather","arguments":{}}}}}]}},{{"role":"tool","tool_call_id":"{}","content":"sunny, 21 C"}}]"#,
            call.id,
            quoted(&call.arguments),
            call.id
        );
        let answer = llm::chat(PROMPT)
            .max_tokens(max_tokens)
            .stream(stream)
            .extra(format!(r#"{{"tools":{TOOLS},"messages":{messages}}}"#))
            .send()?;
        record(&answer);
        metrics::check(
            "answer after the tool result is text",
            answer.tool_calls.is_empty() && !answer.text.is_empty(),
        );
        Ok(())
    }
}

/// What every answer leaves in the metrics.
fn record(c: &llm::Completion) {
    if let Some(ms) = c.reasoning_ms() {
        metrics::trend("reasoning_ms", ms);
    }
    metrics::count("reasoning_chunks", u64::from(c.reasoning_chunks));
    metrics::count("reasoning_tokens", u64::from(c.reasoning_tokens.unwrap_or(0)));
    metrics::count("cached_tokens", u64::from(c.cached_tokens.unwrap_or(0)));
}

/// `s` as a JSON string literal (the arguments are JSON text inside a JSON string).
fn quoted(s: &str) -> String {
    let mut out = String::from('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

runner_sdk::export_scenario!(StreamShapes);
