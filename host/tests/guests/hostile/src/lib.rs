//! Test fixture `hostile`: a scenario that hands the host the values a hostile or careless
//! scenario would — absurd durations, rates, counts, sizes and names — one case at a time,
//! picked with `-p case=NAME`. `drive` cases build the phase themselves through the raw bindings
//! (the SDK's builders would refuse or saturate some of these values first); iteration cases run
//! `iterations` iterations on one VU of the phase `hostile`, which carries the case as its tag.
//!
//! Every case is what a scenario can do through the WIT contract; none needs anything else.

use runner_sdk::bindings::runner::scenario::{data, load as raw, log as rawlog, metrics as rawmetrics};
use runner_sdk::{Context, Info, Phase, Scenario, llm, load, metrics, params};

struct Hostile;

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn phase(name: &str, executor: raw::Executor) -> raw::Phase {
    raw::Phase { name: name.to_string(), executor, tags: Vec::new(), graceful_stop_ms: None }
}

/// A phase of `drive` built from raw values, for the cases that attack `load.run` itself.
fn drive_phase(case: &str) -> Option<raw::Phase> {
    let rate = params::get_or("rate", "20000000").parse::<f64>().unwrap_or(f64::NAN);
    let executor = match case {
        "rate" => raw::Executor::ConstantArrivalRate(raw::ConstantArrivalRate {
            rate,
            duration_ms: 1000,
            max_vus: 1,
            arrival: raw::Arrival::Uniform,
        }),
        "duration" => raw::Executor::ConstantVus(raw::ConstantVus {
            vus: 1,
            duration_ms: Some(u64::MAX),
            iterations_per_vu: None,
        }),
        "stages" => raw::Executor::RampingVus(raw::RampingVus {
            start_vus: 1,
            stages: vec![
                raw::VuStage { duration_ms: u64::MAX / 2 + 1, target: 1 },
                raw::VuStage { duration_ms: u64::MAX / 2 + 1, target: 1 },
            ],
        }),
        "rate-stages" => raw::Executor::RampingArrivalRate(raw::RampingArrivalRate {
            start_rate: 1.0,
            stages: vec![raw::RateStage { duration_ms: u64::MAX, target: 1.0 }; 3],
            max_vus: 1,
            arrival: raw::Arrival::Uniform,
        }),
        // A day of instant iterations: for probing how a long phase stops on a signal.
        "long" => raw::Executor::ConstantVus(raw::ConstantVus {
            vus: 1,
            duration_ms: Some(86_400_000),
            iterations_per_vu: None,
        }),
        "vus" => raw::Executor::ConstantVus(raw::ConstantVus {
            vus: u32::MAX,
            duration_ms: Some(1000),
            iterations_per_vu: None,
        }),
        "graceful" => {
            let mut p = phase(
                "hostile",
                raw::Executor::ConstantVus(raw::ConstantVus {
                    vus: 1,
                    duration_ms: Some(100),
                    iterations_per_vu: None,
                }),
            );
            p.graceful_stop_ms = Some(u64::MAX);
            return Some(p);
        }
        "phase-name" => {
            return Some(phase("red\u{1b}[31m\nphase", raw::Executor::Pause(1)));
        }
        "phase-tags" => {
            let mut p = phase("hostile", raw::Executor::Pause(1));
            p.tags = tags(&[("model", &"x".repeat(100_000))]);
            return Some(p);
        }
        _ => return None,
    };
    Some(phase("hostile", executor))
}

impl Scenario for Hostile {
    fn describe() -> Info {
        Info::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            "Test fixture: hands the host absurd durations, rates, counts, sizes and names, one case at a time.",
        )
        .llm_params()
        .param("case", "ok", "What to attack (see the crate's source).")
        .param("iterations", "1", "Iterations of an iteration case.")
        .param("rate", "20000000", "The arrival rate of the `rate` case.")
        .param("count", "300", "How many phases or thresholds the flood cases make.")
    }

    fn drive() -> Result<(), String> {
        let case = params::get_or("case", "ok");
        if let Some(p) = drive_phase(&case) {
            let summary = raw::run(&p)?;
            metrics::trend("drive_iterations", summary.iterations as f64);
            return Ok(());
        }
        match case.as_str() {
            "phases" => {
                // Phases are started and never waited for: each one is kept for the report.
                for i in 0..params::parse::<u32>("count")? {
                    let _ = load::start(Phase::pause(&format!("p{i}"), std::time::Duration::from_millis(1)))?;
                }
                Ok(())
            }
            "thresholds" => {
                let mut refused = 0;
                for i in 0..params::parse::<u32>("count")? {
                    if metrics::threshold(&format!("e2e:p95<{}ms", i + 1)).is_err() {
                        refused += 1;
                    }
                }
                if refused == 0 {
                    return Err("hostile: every threshold was accepted".into());
                }
                // The report judges the declared thresholds on a phase's results.
                load::run(Phase::iterations("hostile", 1, 1))?;
                Ok(())
            }
            _ => {
                let n = params::parse("iterations")?;
                load::run(Phase::iterations("hostile", 1, n).tag("case", case))?;
                Ok(())
            }
        }
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        match ctx.tag("case").unwrap_or("ok") {
            "ok" => Ok(()),
            "huge-prompt" => {
                // A billion tokens: ~6 GB of text if the host built it.
                let text = data::synthetic_prompt(1_000_000_000, ctx.iteration);
                metrics::trend("prompt_bytes", text.len() as f64);
                Ok(())
            }
            "huge-prompt-llm" => {
                let e = match llm::chat_synthetic(u32::MAX, 1).max_tokens(4).send() {
                    Ok(_) => return Err("hostile: a 4-billion-token prompt was sent".into()),
                    Err(e) => e,
                };
                metrics::count(&format!("class_{}", llm::class_name(e.class)), 1);
                Err(e.message)
            }
            "huge-sleep" => {
                runner_sdk::bindings::runner::scenario::clock::sleep_ms(1e300);
                Ok(())
            }
            "llm-timeout" => {
                let mut req = llm::chat("hi").max_tokens(2).into_raw();
                req.timeout_ms = Some(u64::MAX);
                match runner_sdk::bindings::runner::scenario::llm::call(&req) {
                    Ok(_) => Err("hostile: a timeout of u64::MAX ms was accepted".into()),
                    Err(e) => {
                        metrics::count(&format!("class_{}", llm::class_name(e.class)), 1);
                        Err(e.message)
                    }
                }
            }
            "request-tags" => match llm::chat("hi").max_tokens(2).tag("bad\nkey", "v").send() {
                Ok(_) => Err("hostile: a tag key with a newline was accepted".into()),
                Err(e) => {
                    metrics::count(&format!("class_{}", llm::class_name(e.class)), 1);
                    Err(e.message)
                }
            },
            "metric-names" => {
                let long = "m".repeat(1 << 20);
                rawmetrics::count("", 1, &[]);
                rawmetrics::count("bad\u{1b}[2Jname", 1, &[]);
                rawmetrics::count(&long, 1, &[]);
                rawmetrics::trend("fine", 1.0, &tags(&[(&long, "v")]));
                rawmetrics::check("fine_check", true, &tags(&[("k", "line\nbreak")]));
                metrics::count("good_counter", 1);
                // Values a report cannot hold: a trend of NaN, a counter pushed past u64::MAX.
                rawmetrics::trend("nan_trend", f64::NAN, &[]);
                rawmetrics::count("big_counter", u64::MAX, &[]);
                rawmetrics::count("big_counter", u64::MAX, &[]);
                Ok(())
            }
            "log-bytes" => {
                // One 8 MiB line, and one with a terminal escape sequence.
                rawlog::log(rawlog::Level::Warn, &format!("hostile-long-line {}", "x".repeat(8 << 20)));
                rawlog::log(rawlog::Level::Warn, "hostile-escape \u{1b}[2J\u{1b}[31mred");
                Ok(())
            }
            other => Err(format!("hostile: unknown case {other:?}")),
        }
    }
}

runner_sdk::export_scenario!(Hostile);
