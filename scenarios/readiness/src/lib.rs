//! `readiness`: the error-handling rows of a production readiness checklist: how the server answers
//! requests that must fail.
//!
//! One probe per row, each a single request in its own phase named after the row: a timeout, an
//! absurd `max_tokens`, a huge context, a malformed body and an unreachable host. Each records
//! the check `<row>: <expectation>` and a `probe_passed` or `probe_failed` counter, and logs one
//! ✅/❌ line with what the server did. A probe never fails its iteration: how the server
//! misbehaves is the measurement, not a reason to stop.

use runner_sdk::{Context, Info, Phase, Scenario, clock, http, llm, load, log, metrics, params, prompt};

/// The rows, in the order they run, with the expectation each one checks.
const ROWS: [(&str, &str); 5] = [
    ("timeout", "ends in error class timeout"),
    ("absurd-max-tokens", "answers 4xx or caps max_tokens"),
    ("huge-context", "answers 4xx"),
    ("malformed-body", "answers 4xx"),
    ("unreachable", "fails with error class connect or denied"),
];

struct Readiness;

impl Scenario for Readiness {
    fn describe() -> Info {
        Info::new(
            "readiness",
            env!("CARGO_PKG_VERSION"),
            "Error-handling probes, one phase and one request each: timeout, absurd-max-tokens, \
            huge-context, malformed-body, unreachable. Each records the check `<row>: <expectation>`; \
            a misbehaving server never fails the run. To gate on them: --threshold 'checks:rate==1'.",
        )
        .llm_params()
        .param(
            "rows",
            "timeout,absurd-max-tokens,huge-context,malformed-body,unreachable",
            "Probes to run, in order.",
        )
        .param("probe_timeout", "1ms", "The tiny per-request timeout of the `timeout` probe.")
        .param(
            "absurd_max_tokens",
            "10000000",
            "max_tokens of the `absurd-max-tokens` probe: far beyond any model's context window.",
        )
        .param(
            "huge_prompt_tokens",
            "200000",
            "Prompt length of the `huge-context` probe, in tokens (≈ words).",
        )
        .param(
            "unreachable_url",
            "http://127.0.0.1:9/",
            "A URL nothing listens on, for the `unreachable` probe.",
        )
        .param(
            "request_timeout",
            "60s",
            "Timeout of the other probes, so a server that hangs is a failed row.",
        )
    }

    fn drive() -> Result<(), String> {
        for row in params::list::<String>("rows")? {
            if !ROWS.iter().any(|(name, _)| *name == row) {
                let known: Vec<&str> = ROWS.iter().map(|(name, _)| *name).collect();
                return Err(format!("unknown row {row:?} in `rows` (known: {})", known.join(", ")));
            }
            load::run(Phase::iterations(&row, 1, 1))?;
        }
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let Some(&(row, expectation)) = ROWS.iter().find(|(name, _)| *name == ctx.phase) else {
            return Err(format!("phase {:?} is not a readiness row", ctx.phase));
        };
        let timeout = params::duration("request_timeout")?;
        let absurd: u32 = params::parse("absurd_max_tokens")?;
        let started = clock::now_ms();
        let seen = match row {
            "timeout" => {
                Seen::llm(chat("Say hello.".into())?.timeout(params::duration("probe_timeout")?).send())
            }
            "absurd-max-tokens" => {
                Seen::llm(chat("Say hello.".into())?.max_tokens(absurd).timeout(timeout).send())
            }
            "huge-context" => {
                let tokens = params::parse("huge_prompt_tokens")?;
                let prompt = prompt::synthetic(tokens, ctx.seed(params::seed()));
                Seen::llm(chat(prompt)?.timeout(timeout).send())
            }
            "malformed-body" => Seen::http(
                http::post("/v1/chat/completions", "{not json")
                    .header("content-type", "application/json")
                    .timeout(timeout)
                    .send(),
            ),
            _ => Seen::http(http::get(params::get_or("unreachable_url", "")).timeout(timeout).send()),
        };
        let elapsed_ms = clock::now_ms() - started;
        let passed = match row {
            "timeout" => seen.class == Some("timeout"),
            // Capping shows as a normal answer shorter than asked for.
            "absurd-max-tokens" => seen.is_4xx() || seen.output_tokens.is_some_and(|n| n < absurd),
            "huge-context" | "malformed-body" => seen.is_4xx(),
            _ => matches!(seen.class, Some("connect" | "denied")),
        };
        metrics::check(&format!("{row}: {expectation}"), passed);
        metrics::count(if passed { "probe_passed" } else { "probe_failed" }, 1);
        let line =
            format!("{} {row}: {expectation} — got {} in {elapsed_ms:.0} ms", mark(passed), seen.describe());
        if passed {
            log::info(&line)
        } else {
            log::warn(&line)
        }
        Ok(())
    }
}

/// An ordinary chat request of 16 tokens, so only the probed field is unusual.
fn chat(content: String) -> Result<llm::Request, String> {
    Ok(llm::chat(content).max_tokens(16).llm_params()?)
}

fn mark(passed: bool) -> &'static str {
    if passed { "✅" } else { "❌" }
}

/// What the server (or the network) did with a probe.
struct Seen {
    status: Option<u16>,
    class: Option<&'static str>,
    output_tokens: Option<u32>,
}

impl Seen {
    fn llm(result: Result<llm::Completion, llm::LlmError>) -> Self {
        match result {
            Ok(c) => Seen { status: Some(c.status), class: None, output_tokens: Some(c.output_tokens) },
            Err(e) => Seen { status: e.status, class: Some(llm::class_name(e.class)), output_tokens: None },
        }
    }

    fn http(result: Result<http::Response, http::HttpError>) -> Self {
        match result {
            Ok(r) => Seen { status: Some(r.status), class: None, output_tokens: None },
            Err(e) => Seen { status: None, class: Some(http::class_name(e.class)), output_tokens: None },
        }
    }

    fn is_4xx(&self) -> bool {
        self.status.is_some_and(|s| (400..500).contains(&s))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("HTTP {s}"));
        }
        if let Some(c) = self.class {
            parts.push(format!("error class {c}"));
        }
        if let Some(n) = self.output_tokens {
            parts.push(format!("{n} output tokens"));
        }
        if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
    }
}

runner_sdk::export_scenario!(Readiness);
