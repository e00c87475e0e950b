//! The `agent` scenario (Rust) and its JS twin against the simulated server, whose answers are the
//! ground truth: with `tool-steps=N` every task makes N tool calls and N + 1 model calls, each a
//! call of `ttft + (max_tokens − 1)·itl`; the scenario sleeps `tool_latency` per tool step and
//! sends `fanout` research sub-requests at once through `llm.call-many`. Task latency then has a
//! floor the runner cannot beat and a ceiling that sequential sub-requests would break.

mod common;

use std::collections::BTreeMap;

use common::{Played, play, scenario};
use runner_reports::{Distribution, PhaseReport, metric};

/// The custom trend `name` of the phase.
fn trend<'a>(p: &'a PhaseReport, name: &str) -> &'a Distribution {
    p.metrics.get(&metric::custom(name)).unwrap_or_else(|| panic!("no trend {name}: {:?}", p.metrics.keys()))
}

/// Requests per tag set of the phase, as `call/step` → requests, errors.
fn by_step(p: &PhaseReport) -> BTreeMap<String, (u64, u64)> {
    p.by_tags
        .iter()
        .map(|t| {
            let tag = |k: &str| t.tags.get(k).cloned().unwrap_or_default();
            (format!("{}/{}", tag("call"), tag("step")), (t.requests, t.errors))
        })
        .collect()
}

/// The TTFT p50 of the requests tagged `call`, `step`.
fn ttft_at(p: &PhaseReport, call: &str, step: u32) -> f64 {
    let t = p
        .by_tags
        .iter()
        .find(|t| {
            t.tags.get("call").map(String::as_str) == Some(call)
                && t.tags.get("step") == Some(&step.to_string())
        })
        .unwrap_or_else(|| panic!("no {call}/{step} row: {:?}", by_step(p)));
    t.metrics[metric::TTFT].p50
}

/// What both languages must count alike.
fn counts(run: &Played) -> (u64, u64, u64, u64, BTreeMap<String, (u64, u64)>) {
    let p = run.phase("agent");
    let answered = p.checks.get("task answered in words").map_or(0, |c| c.passes);
    (p.requests, p.errors, p.tool_calls, answered, by_step(p))
}

/// 3 tasks of 2 tool steps with 3 research sub-requests each. A model call or a sub-request takes
/// 40 + 7 × 5 = 75 ms, so a task is 3 × 75 (model) + 2 × 100 (tools) + 2 × 75 (fan-out, joined)
/// = 575 ms; sent one after another the sub-requests would make it 875 ms.
#[test]
fn agent_tasks_follow_the_mock_s_steps_and_fan_out_in_parallel() {
    let args = [
        "--mock",
        "ttft=40ms,itl=5ms,tool-steps=2",
        "-p",
        "tasks=3",
        "-p",
        "max_tokens=8",
        "-p",
        "tool_latency=100ms",
        "-p",
        "fanout=3",
        "-p",
        "fanout_tokens=8",
    ];
    let rust = play(&scenario("agent"), &args);
    let js = play(&scenario("agent-js"), &args);
    for run in [&rust, &js] {
        run.assert_success();
        let p = run.phase("agent");
        assert_eq!((p.iterations.completed, p.requests, p.errors), (3, 3 * 9, 0), "{}", run.stderr);
        assert_eq!((p.tool_calls, p.counters["tools_run"]), (6, 6), "two tool calls per task, each run");
        let steps = trend(p, "steps_per_task");
        // Histograms keep three significant digits: 3 reads back as 3.001 at most.
        assert_eq!(
            (steps.count, steps.min.round(), steps.max.round()),
            (3, 3.0, 3.0),
            "N tool steps + the answer"
        );
        assert_eq!(p.checks["task answered in words"].passes, 3);
        assert_eq!((p.checks["research answered"].passes, p.checks["research answered"].fails), (18, 0));
        let first = trend(p, "time_to_first_tool_call_ms");
        assert_eq!(first.count, 3);
        assert!(first.min >= 75.0 && first.max < 75.0 + 40.0, "first tool call at 75 ms: {first:?}");
        let task = trend(p, "task_latency_ms");
        assert!(task.min >= 575.0, "a task cannot beat the server and the tools: {task:?}");
        assert!(task.max < 575.0 + 150.0, "sub-requests one after another would take 875 ms: {task:?}");
        // Each step's calls carry their step, the research ones only after a tool step.
        let want: BTreeMap<String, (u64, u64)> = [
            ("agent/1", (3, 0)),
            ("agent/2", (3, 0)),
            ("agent/3", (3, 0)),
            ("research/1", (9, 0)),
            ("research/2", (9, 0)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(by_step(p), want);
        // Sent at once, each sub-request is still timed as a call of its own.
        for (call, step) in [("agent", 1), ("agent", 3), ("research", 1), ("research", 2)] {
            let ttft = ttft_at(p, call, step);
            assert!((ttft - 40.0).abs() <= 5.0, "{call} step {step}: TTFT p50 {ttft} ms, expected 40 ± 5");
        }
    }
    assert_eq!(counts(&js), counts(&rust), "the JS twin counts what the Rust original counts");
}

/// A model that keeps calling tools is stopped at `max_steps` model calls: its last tool call
/// arrives but is not run, and the task is not answered.
#[test]
fn a_task_stops_at_max_steps() {
    let run = play(
        &scenario("agent"),
        &[
            "--mock",
            "ttft=5ms,itl=1ms,tool-steps=5",
            "-p",
            "tasks=2",
            "-p",
            "max_steps=3",
            "-p",
            "max_tokens=4",
            "-p",
            "tool_latency=10ms",
        ],
    );
    run.assert_success();
    let p = run.phase("agent");
    assert_eq!((p.requests, p.errors, p.tool_calls), (6, 0, 6), "three calls a task, each a tool call");
    assert_eq!(p.counters["tools_run"], 4, "the third call of each task is not run");
    let steps = trend(p, "steps_per_task");
    assert_eq!((steps.min.round(), steps.max.round()), (3.0, 3.0));
    let answered = &p.checks["task answered in words"];
    assert_eq!((answered.passes, answered.fails), (0, 2));
}

/// Sixteen sub-requests of 75 ms at once take about one request's time: the task is one model
/// call, the fan-out and the answer, 3 × 75 = 225 ms, not 75 + 16 × 75 + 75 = 1350 ms.
#[test]
fn sixteen_sub_requests_take_one_request_s_time() {
    let run = play(
        &scenario("agent"),
        &[
            "--mock",
            "ttft=40ms,itl=5ms",
            "-p",
            "tasks=2",
            "-p",
            "max_tokens=8",
            "-p",
            "tool_latency=0ms",
            "-p",
            "fanout=16",
            "-p",
            "fanout_tokens=8",
        ],
    );
    run.assert_success();
    let p = run.phase("agent");
    assert_eq!((p.requests, p.errors), (2 * 18, 0));
    let task = trend(p, "task_latency_ms");
    assert!(task.min >= 225.0 && task.max < 225.0 + 150.0, "{task:?}");
    let research = p.by_tags.iter().find(|t| t.tags.get("call").map(String::as_str) == Some("research"));
    let e2e = research.expect("a research row").metrics[metric::E2E];
    assert_eq!(e2e.count, 32);
    assert!(e2e.max < 75.0 + 25.0, "no sub-request waited for another: {e2e:?}");
}

/// Over the host's bound (256 at once) the whole list is refused, each request an
/// `invalid-request` error the report counts; nothing is sent, and the task goes on.
#[test]
fn a_fan_out_over_the_bound_is_refused_whole() {
    let run = play(
        &scenario("agent"),
        &[
            "--mock",
            "ttft=2ms,itl=1ms",
            "-p",
            "tasks=1",
            "-p",
            "max_tokens=2",
            "-p",
            "tool_latency=0ms",
            "-p",
            "fanout=257",
        ],
    );
    run.assert_success();
    let p = run.phase("agent");
    assert_eq!((p.requests, p.errors), (2 + 257, 257));
    assert_eq!(p.errors_by_class.get("invalid-request"), Some(&257), "{:?}", p.errors_by_class);
    assert_eq!(p.checks["research answered"].fails, 257);
    assert_eq!(p.checks["task answered in words"].passes, 1, "the agent answers without its research");
    assert_eq!(p.iterations.completed, 1);
}
