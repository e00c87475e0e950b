//! `agent`: an agent loop, the workload a flag-driven benchmark cannot express. Each iteration is
//! one task: a system prompt, a user request and two tools offered; then, step by step, a
//! streamed model call with the tools. An answer that calls tools (`finish_reason:
//! "tool_calls"`) is followed by the tools' run (`tool_latency`, slept on the run's clock), an
//! optional fan-out of `fanout` research sub-requests sent at once and joined (`llm::send_all`),
//! and the next step with the call and its result added to the conversation. The task ends when
//! the model answers in words, or after `max_steps` model calls.
//!
//! Measured per task (custom metrics, docs/SCENARIOS.md): `time_to_first_tool_call_ms`,
//! `steps_per_task`, `task_latency_ms`, the counter `tools_run` and the check `task answered in
//! words`; every request is tagged `step=N` and `call=agent` or `call=research`, so the report's
//! by-tags table shows TTFT and E2E per step.

mod conversation;

use std::time::Duration;

use conversation::Conversation;
use runner_sdk::llm::{self, Completion, ToolCall};
use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, clock, load, metrics, params, prompt};

/// The agent's instructions.
const SYSTEM: &str = "You are a research agent. Use the tools to gather what you need, one step \
    at a time, then answer the user in a short paragraph.";

/// A research sub-agent's instructions.
const RESEARCH: &str = "You are a research sub-agent. Say in a few sentences what you know about \
    the query you are given.";

struct Agent;

impl Scenario for Agent {
    fn describe() -> Info {
        Info::new(
            "agent",
            env!("CARGO_PKG_VERSION"),
            "An agent loop: each iteration is a task in which the model is called with tools, each \
            tool call is run (`tool_latency`) and answered, optionally with `fanout` research \
            sub-requests sent at once and joined, until the model answers in words or `max_steps` \
            model calls. Measures time to the first tool call, steps per task and task latency; \
            every request is tagged with its step.",
        )
        .typed_param(
            "model",
            ParamKind::Text,
            "",
            "Model name sent to the server; empty leaves the field out.",
        )
        .param("stream", "true", "Stream the answers (server-sent events); needed for TTFT and ITL.")
        .typed_param("extra_body", ParamKind::Text, "", "JSON object merged into every request body.")
        .param("tasks", "10", "Tasks per VU, one after another.")
        .param("vus", "1", "Concurrent VUs, each running its own tasks.")
        .param("max_steps", "8", "Model calls per task at most; a task still calling tools then stops.")
        .param("max_tokens", "64", "Tokens each agent model call may generate.")
        .param("prompt_tokens", "32", "Length of the user's request (synthetic), in tokens.")
        .param(
            "tool_latency",
            "200ms",
            "How long each tool takes to run (the calls of one answer run side by side).",
        )
        .param("tool_result_tokens", "32", "Length of each tool's result (synthetic), in tokens.")
        .param("fanout", "0", "Research sub-requests sent at once after each tool step (at most 256).")
        .param("fanout_tokens", "32", "Tokens each research sub-request may generate.")
    }

    fn drive() -> Result<(), String> {
        if params::parse::<u32>("max_steps")? == 0 {
            return Err("max_steps must be at least 1: a task needs one model call".into());
        }
        load::run(Phase::iterations("agent", params::parse("vus")?, params::parse("tasks")?))?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let settings = Settings::read()?;
        let seed = ctx.seed(params::seed());
        let began = clock::now_ms();
        let mut conversation = Conversation::new(SYSTEM, &prompt::synthetic(settings.prompt_tokens, seed));
        let mut first_tool_call = None;
        let mut steps = 0;
        let answered = loop {
            steps += 1;
            let done = settings.agent_call(&conversation, steps).send()?;
            if done.tool_calls.is_empty() {
                // Words: the task is done, unless the server said it called a tool and sent none.
                break done.finish_reason.as_deref() != Some("tool_calls");
            }
            first_tool_call.get_or_insert(clock::now_ms() - began);
            if steps == settings.max_steps {
                break false;
            }
            conversation.assistant_calls(&done.text, &done.tool_calls);
            let results = settings.run_tools(&done, steps, seed);
            for (call, result) in done.tool_calls.iter().zip(results) {
                conversation.tool_result(&call.id, &result);
            }
        };
        metrics::trend("task_latency_ms", clock::now_ms() - began);
        metrics::trend("steps_per_task", f64::from(steps));
        if let Some(ms) = first_tool_call {
            metrics::trend("time_to_first_tool_call_ms", ms);
        }
        metrics::check("task answered in words", answered);
        Ok(())
    }
}

/// The parameters a task reads.
struct Settings {
    stream: bool,
    extra: String,
    max_steps: u32,
    max_tokens: u32,
    prompt_tokens: u32,
    tool_latency: Duration,
    tool_result_tokens: u32,
    fanout: u32,
    fanout_tokens: u32,
}

impl Settings {
    fn read() -> Result<Self, String> {
        Ok(Self {
            stream: params::flag("stream")?,
            extra: params::get_or("extra_body", ""),
            max_steps: params::parse("max_steps")?,
            max_tokens: params::parse("max_tokens")?,
            prompt_tokens: params::parse("prompt_tokens")?,
            tool_latency: params::duration("tool_latency")?,
            tool_result_tokens: params::parse("tool_result_tokens")?,
            fanout: params::parse("fanout")?,
            fanout_tokens: params::parse("fanout_tokens")?,
        })
    }

    /// Step `step`'s model call: the conversation so far, with the tools.
    fn agent_call(&self, conversation: &Conversation, step: u32) -> llm::Request {
        // The `messages` of the extra body replace the builder's (the host merges it last).
        llm::chat("")
            .max_tokens(self.max_tokens)
            .stream(self.stream)
            .extra(conversation.body(&self.extra))
            .tag("step", step)
            .tag("call", "agent")
    }

    /// Runs the tools `done` asked for and returns their results, in order. The calls of one
    /// answer run side by side, so the step waits one `tool_latency`; then the research
    /// sub-requests, sent at once and joined, add their answers to the first result.
    fn run_tools(&self, done: &Completion, step: u32, seed: u64) -> Vec<String> {
        clock::sleep(self.tool_latency);
        metrics::count("tools_run", done.tool_calls.len() as u64);
        let mut results: Vec<String> = (0..done.tool_calls.len() as u64)
            .map(|i| {
                prompt::synthetic(self.tool_result_tokens, seed.wrapping_add(u64::from(step) * 1000 + i))
            })
            .collect();
        let notes = self.research(&done.tool_calls[0], step);
        if let Some(first) = results.first_mut()
            && !notes.is_empty()
        {
            first.push_str("\nResearch notes: ");
            first.push_str(&notes.join(" | "));
        }
        results
    }

    /// `fanout` research sub-requests about `call`, sent at once: the answers that came back.
    fn research(&self, call: &ToolCall, step: u32) -> Vec<String> {
        if self.fanout == 0 {
            return Vec::new();
        }
        let requests = (1..=self.fanout).map(|i| {
            let query = format!("Angle {i} of {} on {}: {}", self.fanout, call.name, call.arguments);
            llm::chat(query)
                .system(RESEARCH)
                .max_tokens(self.fanout_tokens)
                .stream(self.stream)
                .extra(self.extra.clone())
                .tag("step", step)
                .tag("call", "research")
        });
        llm::send_all(requests)
            .into_iter()
            .filter_map(|answer| {
                metrics::check("research answered", answer.is_ok());
                answer.ok().map(|c| c.text)
            })
            .collect()
    }
}

runner_sdk::export_scenario!(Agent);
