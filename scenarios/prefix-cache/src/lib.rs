//! `prefix-cache`: prompts built from `groups` shared prefixes of `prefix_tokens` tokens, each
//! followed by a suffix of `suffix_tokens` tokens unique to the request (vLLM bench's
//! `prefix_repetition` dataset), so a server's prefix cache is exercised on purpose.
//!
//! Two phases, `gap` apart. `cold`: one request per group, one at a time, each the first to
//! carry its group's prefix (on a server that has not seen them: every prefix is computed).
//! `warm`: `vus` VUs send `requests` requests (or run for `duration`), request n in group
//! n mod `groups`, so each prefix can be served from the cache. Every request is tagged `prefix_group=<g>`; the
//! report shows TTFT and cached input tokens per phase and per group, and with
//! `--telemetry prom=URL/metrics` the server's own hit rate beside them.

use runner_sdk::{Context, Info, ParamKind, Phase, Scenario, clock, llm, load, params, prompt};

struct PrefixCache;

/// The prompts' shape, from the parameters.
struct Shape {
    groups: u32,
    prefix_tokens: u32,
    suffix_tokens: u32,
}

impl Shape {
    fn from_params() -> Result<Shape, String> {
        let groups: u32 = params::parse("groups")?;
        if groups == 0 {
            return Err("parameter `groups` must be at least 1".into());
        }
        let (mut prefix_tokens, mut suffix_tokens): (u32, u32) =
            (params::parse("prefix_tokens")?, params::parse("suffix_tokens")?);
        let ratio = params::get_or("prefix_ratio", "");
        if !ratio.trim().is_empty() {
            let ratio: f64 = params::parse("prefix_ratio")?;
            if !(0.0..=1.0).contains(&ratio) {
                return Err(format!("parameter `prefix_ratio` must be from 0 to 1, got {ratio}"));
            }
            // The ratio splits the same prompt length differently.
            let total = prefix_tokens.saturating_add(suffix_tokens);
            prefix_tokens = (f64::from(total) * ratio).round() as u32;
            suffix_tokens = total - prefix_tokens;
        }
        Ok(Shape { groups, prefix_tokens, suffix_tokens })
    }
}

impl Scenario for PrefixCache {
    fn describe() -> Info {
        Info::new(
            "prefix-cache",
            env!("CARGO_PKG_VERSION"),
            "Shared-prefix prompts for a server's prefix cache: `groups` prefixes of `prefix_tokens` \
            tokens, each request's own suffix of `suffix_tokens` after it. Phase cold sends each \
            group's first request, phase warm the rest; requests are tagged prefix_group. Add \
            --telemetry prom=<target>/metrics for the server's hit rate.",
        )
        .llm_params()
        .param("groups", "4", "Shared prefixes (G); request n uses prefix n mod G.")
        .param("prefix_tokens", "256", "Tokens of each group's shared prefix (P).")
        .param("suffix_tokens", "64", "Tokens of each request's own suffix, after the prefix.")
        .typed_param(
            "prefix_ratio",
            ParamKind::Text,
            "",
            "The prefix's share of the prompt, 0 to 1; when set, it splits prefix_tokens + \
            suffix_tokens anew.",
        )
        .param("vus", "4", "Concurrent VUs of the warm phase.")
        .param("requests", "64", "Requests of the warm phase, all VUs together.")
        .typed_param(
            "duration",
            ParamKind::Text,
            "",
            "Run the warm phase for this long (e.g. 60s) instead of for `requests` requests.",
        )
        .param("max_tokens", "64", "Tokens to generate per request.")
        .param(
            "gap",
            "2s",
            "Pause between the phases; longer than --sample-interval, so the server's counters \
            (telemetry) tell the phases apart.",
        )
    }

    fn drive() -> Result<(), String> {
        let shape = Shape::from_params()?;
        load::run(Phase::iterations("cold", 1, u64::from(shape.groups)))?;
        clock::sleep(params::duration("gap")?);
        let vus: u32 = params::parse("vus")?;
        let warm = if params::get_or("duration", "").trim().is_empty() {
            Phase::shared("warm", vus, params::parse("requests")?)
        } else {
            Phase::constant_vus("warm", vus, params::duration("duration")?)
        };
        load::run(warm)?;
        Ok(())
    }

    fn iteration(ctx: &Context) -> Result<(), String> {
        let shape = Shape::from_params()?;
        let max_tokens: u32 = params::parse("max_tokens")?;
        let group = prompt::prefix_group(ctx.iteration, shape.groups);
        // The phases number their iterations from 0 alike: each phase's suffixes get their own
        // seeds, so no warm request repeats a cold one whole.
        let phase_seed = prompt::mix(params::seed() ^ u64::from(ctx.phase == "warm"));
        let text = prompt::shared_prefix(
            group,
            shape.prefix_tokens,
            shape.suffix_tokens,
            params::seed(),
            ctx.seed(phase_seed),
        );
        let done = llm::chat(text).max_tokens(max_tokens).llm_params()?.tag("prefix_group", group).send()?;
        llm::check_length(&done, max_tokens);
        Ok(())
    }
}

runner_sdk::export_scenario!(PrefixCache);
