//! `multi-turn`: each iteration is one conversation held by its VU. Every turn sends the whole
//! history so far plus a new user message, with think time between turns and the conversation's
//! id in the `x-session-id` header; TTFT, ITL and E2E are reported per turn (the `turn` tag), so
//! a server whose prefix cache keeps the history shows turn 5 starting no slower than turn 1.
//!
//! Without `dataset`, the user messages are synthetic prompts of `prompt_tokens` tokens. With
//! `dataset` (`--data NAME=FILE`: ShareGPT or JSONL `messages`), conversation `i` of the file is
//! replayed turn by turn, each turn asking for the recorded answer's length.

use std::time::Duration;

use runner_sdk::lengths::{self, Lengths};
use runner_sdk::llm::Session;
use runner_sdk::{
    Context, Info, ParamKind, Phase, Scenario, clock, data, llm, load, log, metrics, params, prompt,
};

struct MultiTurn;

/// Where a conversation's user messages come from.
enum Script {
    Synthetic {
        turns: u32,
        prompt_tokens: Lengths,
        max_tokens: Lengths,
        seed: u64,
    },
    Recorded {
        system: Option<String>,
        turns: Vec<data::Turn>,
        max_tokens: Option<Lengths>,
        seed: u64,
        recorded_history: bool,
    },
}

impl Script {
    fn for_iteration(ctx: &Context) -> Result<Self, String> {
        let dataset = params::get_or("dataset", "");
        let max_tokens = lengths::param("max_tokens")?;
        if dataset.is_empty() {
            return Ok(Script::Synthetic {
                turns: params::parse("turns")?,
                prompt_tokens: lengths::param("prompt_tokens")?,
                max_tokens: if max_tokens == Lengths::Fixed(0) { Lengths::Fixed(64) } else { max_tokens },
                seed: ctx.seed(params::seed()),
            });
        }
        let max_tokens = match max_tokens {
            Lengths::Fixed(0) => None,
            other => Some(other),
        };
        let conv = data::conversation(&dataset, ctx.iteration)?;
        let limit = match params::parse::<u32>("turns")? {
            0 => conv.turns.len(),
            n => (n as usize).min(conv.turns.len()),
        };
        let mut turns = conv.turns;
        turns.truncate(limit);
        Ok(Script::Recorded {
            system: conv.system,
            turns,
            max_tokens,
            seed: ctx.seed(params::seed()),
            recorded_history: params::get_or("history", "server") == "recorded",
        })
    }
}

impl Scenario for MultiTurn {
    fn describe() -> Info {
        Info::new(
            "multi-turn",
            env!("CARGO_PKG_VERSION"),
            "Multi-turn conversations: each VU holds a conversation whose history grows with every \
             answer, with think time between turns and a session id header; synthetic, or replayed \
             turn by turn from a ShareGPT / JSONL messages dataset. TTFT and ITL per turn.",
        )
        .author("runner authors")
        .llm_params()
        .param("vus", "8", "Concurrent conversations (one per VU).")
        .param("duration", "30s", "How long to start new conversations; 0s runs `conversations` instead.")
        .param("conversations", "0", "Conversations in all (shared by the VUs) when duration is 0s.")
        .param(
            "turns",
            "5",
            "Turns per conversation (synthetic); with a dataset, the most replayed (0: all).",
        )
        .typed_param(
            "prompt_tokens",
            ParamKind::Text,
            "64",
            "Tokens in each synthetic user message: 64, 32..128, normal(64,16) (see docs/SCENARIOS.md).",
        )
        .typed_param(
            "max_tokens",
            ParamKind::Text,
            "0",
            "Tokens per answer, as prompt_tokens; 0 is 64 (synthetic) or the recorded answer's length.",
        )
        .param("think_time", "1s", "Pause between a turn's answer and the next turn.")
        .typed_param(
            "dataset",
            ParamKind::Text,
            "",
            "A --data dataset to replay; empty means synthetic turns.",
        )
        .typed_param(
            "history",
            ParamKind::Text,
            "server",
            "What a replayed turn's history holds: `server` (the server's answers) or `recorded` \
             (the dataset's answers, so every prompt is the same whatever the model says).",
        )
        .typed_param(
            "session_header",
            ParamKind::Text,
            "x-session-id",
            "Header carrying the session id; empty sends none.",
        )
        .threshold("errors:rate<0.01")
    }

    fn drive() -> Result<(), String> {
        let vus: u32 = params::parse("vus")?;
        let duration = params::duration("duration")?;
        let phase = if duration.is_zero() {
            let conversations = match params::parse::<u64>("conversations")? {
                0 if !params::get_or("dataset", "").is_empty() => data::len(&params::get_or("dataset", ""))?,
                0 => return Err("give `duration` or `conversations`".into()),
                n => n,
            };
            Phase::shared("conversations", vus, conversations).max_duration(Duration::from_secs(3600))
        } else {
            Phase::constant_vus("conversations", vus, duration)
        };
        let s = load::run(phase)?;
        log::info(&format!(
            "{} conversations, {} turns sent, {} errors; TTFT p50 {:.1} ms",
            s.iterations, s.requests, s.errors, s.ttft.p50_ms
        ));
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let think = params::duration("think_time")?;
        let mut session = Session::new(format!("{}-vu{}-{}", ctx.phase, ctx.vu, ctx.iteration))
            .header_name(params::get_or("session_header", "x-session-id"));
        match Script::for_iteration(ctx)? {
            Script::Synthetic { turns, prompt_tokens, max_tokens, seed } => {
                for turn in 0..turns {
                    if turn > 0 {
                        clock::sleep(think);
                    }
                    let turn_seed = prompt::mix(seed ^ u64::from(turn));
                    let text = prompt::synthetic(lengths::draw(&prompt_tokens, turn_seed)?, turn_seed);
                    let answer = lengths::draw(&max_tokens, turn_seed ^ 1)?;
                    let req = session.ask(text).max_tokens(answer).llm_params()?;
                    let done = session.send(req)?;
                    prompt_length(&session, &done);
                }
            }
            Script::Recorded { system, turns, max_tokens, seed, recorded_history } => {
                if let Some(system) = system {
                    session = session.system(system);
                }
                for (i, turn) in turns.into_iter().enumerate() {
                    if i > 0 {
                        clock::sleep(think);
                    }
                    let mut req = session.ask_message(turn.user.clone()).llm_params()?;
                    let asked = match &max_tokens {
                        Some(l) => Some(lengths::draw(l, prompt::mix(seed ^ i as u64))?),
                        None => turn.answer_tokens,
                    };
                    if let Some(n) = asked.filter(|n| *n > 0) {
                        req = req.max_tokens(n);
                    }
                    let done = match turn.answer.filter(|_| recorded_history) {
                        Some(answer) => session.send_with_answer(req, answer)?,
                        None => session.send(req)?,
                    };
                    prompt_length(&session, &done);
                }
            }
        }
        Ok(())
    }
}

/// Records the prompt length the server counted for the turn just answered (`prompt_tokens`,
/// tagged with the turn), so the report shows the history growing turn by turn.
fn prompt_length(session: &Session, done: &llm::Completion) {
    if let Some(n) = done.input_tokens {
        metrics::trend_tagged("prompt_tokens", f64::from(n), &[("turn", &session.turns().to_string())]);
    }
}

runner_sdk::export_scenario!(MultiTurn);
