//! The run's model and the target's address: `--model` reaches the server and overrides the
//! `model` parameter, a server listing one model has it discovered, the source of the model is
//! recorded, and a target behind a path prefix works.
//!
//! The simulated server given `model=NAME` options serves only those models: a request naming
//! another is a 404 and one naming none a 400, so a run without errors proves which model the
//! requests named.

mod common;

use common::{MockProcess, Played, play, runner, scenario, test_guest};
use runner_reports::{ModelSource, RunModel};

/// Three short requests of ttft-probe against the simulated server given `mock`, plus `args`.
fn probe(mock: &str, args: &[&str]) -> Played {
    let mock = format!("ttft=2ms,itl=1ms,{mock}");
    let mut all = vec!["--quiet", "--seed", "1", "--mock", &mock, "-p", "requests=3", "-p", "max_tokens=4"];
    all.extend_from_slice(args);
    play(&scenario("ttft-probe"), &all)
}

/// (requests, errors) of ttft-probe's one phase, after a successful run.
fn requests_and_errors(run: &Played) -> (u64, u64) {
    run.assert_success();
    let p = run.phase("ttft-probe");
    (p.requests, p.errors)
}

fn model(name: &str, source: ModelSource) -> Option<RunModel> {
    Some(RunModel { name: name.into(), source })
}

#[test]
fn the_model_flag_reaches_the_server_and_overrides_the_parameter() {
    let run = probe("model=a,model=b", &["--model", "b"]);
    assert_eq!(requests_and_errors(&run), (3, 0), "{}", run.stderr);
    let summary = run.summary();
    assert_eq!(summary.model, model("b", ModelSource::Flag));
    assert_eq!(summary.params["model"], "b", "the scenario's own parameter follows the flag");
    assert!(run.stdout.contains("\nmodel b (from --model)\n"), "{}", run.stdout);
    let md = run.report_md.as_deref().expect("report.md");
    assert!(md.contains("| Model | `b` (from --model) |"), "{md}");

    // A model the server does not serve is refused by it: the name did reach it.
    let wrong = probe("model=a,model=b", &["--model", "c"]);
    wrong.assert_success();
    let p = wrong.phase("ttft-probe");
    assert_eq!((p.errors, p.errors_by_class.get("http-status")), (3, Some(&3)));
}

#[test]
fn a_model_parameter_is_used_and_recorded_as_such() {
    let run = probe("model=a,model=b", &["-p", "model=a"]);
    assert_eq!(requests_and_errors(&run), (3, 0), "{}", run.stderr);
    assert_eq!(run.summary().model, model("a", ModelSource::Param));
}

#[test]
fn the_flag_and_the_parameter_together_are_a_usage_error_in_one_line() {
    let out = runner()
        .args(["play"])
        .arg(scenario("ttft-probe"))
        .args(["--model", "a", "-p", "model=b", "--quiet"])
        .output()
        .expect("running the runner binary");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--model") && stderr.contains("-p model="), "{stderr}");
}

#[test]
fn the_servers_only_model_is_discovered_and_sent() {
    let run = probe("model=only", &[]);
    assert_eq!(requests_and_errors(&run), (3, 0), "{}", run.stderr);
    let summary = run.summary();
    assert_eq!(summary.model, model("only", ModelSource::Discovered));
    assert_eq!(summary.params["model"], "only");
    assert!(run.stderr.contains("using only, the one model"), "{}", run.stderr);
    // run.json, written before any traffic, has it too.
    let header = std::fs::read_to_string(run.out.join("run.json")).expect("run.json");
    assert!(header.contains("\"source\": \"discovered\""), "{header}");
}

#[test]
fn with_several_models_none_is_chosen_and_the_run_goes_on() {
    let run = probe("model=a,model=b", &[]);
    run.assert_success();
    assert_eq!(run.summary().model, None);
    // The requests name no model, which this server refuses: the run reports it and goes on.
    let p = run.phase("ttft-probe");
    assert_eq!((p.requests, p.errors_by_class.get("http-status")), (3, Some(&3)));
}

#[test]
fn the_flag_sets_the_model_of_a_scenario_without_a_model_parameter() {
    let guest = test_guest("gpu-bound");
    let args = |extra: &[&'static str]| {
        let mut all = vec![
            "--quiet",
            "--mock",
            "ttft=1ms,itl=1ms,model=a,model=b",
            "-p",
            "levels=1",
            "-p",
            "step=200ms",
        ];
        all.extend_from_slice(extra);
        all
    };
    let with = play(&guest, &args(&["--model", "b"]));
    with.assert_success();
    let p = with.phase("step-c1");
    assert!(p.requests > 0 && p.errors == 0, "requests {} errors {:?}", p.requests, p.errors_by_class);
    assert_eq!(with.summary().model, model("b", ModelSource::Flag));
    assert!(!with.summary().params.contains_key("model"), "no parameter is added");

    let without = play(&guest, &args(&[]));
    without.assert_success();
    let p = without.phase("step-c1");
    assert!(p.requests > 0 && p.errors == p.requests, "a request without a model is refused");
}

#[test]
fn a_target_behind_a_path_prefix_works_with_or_without_v1() {
    let mock = MockProcess::start(&[
        "--prefix",
        "/openai",
        "--served-model",
        "m",
        "--ttft-ms",
        "2",
        "--itl-ms",
        "1",
    ]);
    for base in [format!("{}/openai", mock.url), format!("{}/openai/v1/", mock.url)] {
        let run = play(
            &scenario("ttft-probe"),
            &["--quiet", "--target", &base, "-p", "requests=2", "-p", "max_tokens=4"],
        );
        run.assert_success();
        let p = run.phase("ttft-probe");
        assert_eq!((p.requests, p.errors), (2, 0), "{base}: {}", run.stderr);
        assert_eq!(run.summary().model, model("m", ModelSource::Discovered), "{base}");
    }
    // Without the prefix nothing is found: no model is discovered and every call is a 404.
    let run = play(
        &scenario("ttft-probe"),
        &["--quiet", "--target", &mock.url, "-p", "requests=2", "-p", "max_tokens=4"],
    );
    run.assert_success();
    assert_eq!(run.summary().model, None);
    assert_eq!(run.phase("ttft-probe").errors_by_class.get("http-status"), Some(&2));
}

#[test]
fn the_built_in_server_with_a_prefix_is_played_through_it() {
    let run = probe("prefix=/openai", &[]);
    assert_eq!(requests_and_errors(&run), (3, 0), "{}", run.stderr);
    let summary = run.summary();
    assert!(summary.target.ends_with("/openai"), "{}", summary.target);
    assert_eq!(summary.model, model("mock", ModelSource::Discovered));
}
