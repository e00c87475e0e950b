//! The [`Scenario`] trait a scenario implements, its self-description ([`Info`]) and the
//! per-iteration [`Context`] handed to it.

use std::str::FromStr;

use crate::Tags;
use crate::bindings::exports::runner::scenario::guest as raw;

/// A scenario: what it is, how it drives the load, and one VU's unit of work.
///
/// Export it with [`crate::export_scenario!`].
pub trait Scenario {
    /// Describes the scenario and every parameter it reads. Must call no import but `log`.
    fn describe() -> Info;

    /// Runs once in the controller instance and scripts the load with [`crate::load`].
    fn drive() -> Result<(), String>;

    /// One VU's unit of work. An error marks the iteration as failed; the VU goes on.
    fn iteration(ctx: &Context) -> Result<(), String>;
}

/// A scenario's self-description, built fluently:
/// `Info::new("ttft-probe", "0.1.0", "…").param("requests", "20", "…")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The scenario's name, as `runner inspect` shows it.
    pub name: String,
    /// The scenario's own version (not the WIT contract's).
    pub version: String,
    /// Who wrote it and how to reach them; empty when unsaid.
    pub author: String,
    /// One or two sentences on what the scenario measures.
    pub description: String,
    /// Every parameter, in declaration order.
    pub params: Vec<Param>,
    /// Pass/fail criteria in the syntax of `--threshold`, whatever the parameters.
    pub thresholds: Vec<String>,
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name given to `--param`.
    pub name: String,
    /// What values it takes; `runner play` refuses others before sending anything.
    pub kind: ParamKind,
    /// The value used when `--param` does not set it.
    pub default: String,
    /// One line for `runner inspect` and `runner play x.wasm --help`.
    pub help: String,
}

pub use raw::ParamKind;

impl ParamKind {
    /// The kind a default value suggests: `true`/`false` → boolean, `64` → integer, `0.5` →
    /// number, `10s` → duration, `1,2,4` → integer list, anything else (and `""`) → text.
    pub fn of_default(default: &str) -> Self {
        runner_contract::params::Kind::of_default(default).into()
    }
}

impl From<runner_contract::params::Kind> for ParamKind {
    fn from(kind: runner_contract::params::Kind) -> Self {
        use runner_contract::params::Kind;
        match kind {
            Kind::Text => ParamKind::Text,
            Kind::Integer => ParamKind::Integer,
            Kind::Number => ParamKind::Number,
            Kind::Boolean => ParamKind::Boolean,
            Kind::Duration => ParamKind::Duration,
            Kind::IntegerList => ParamKind::IntegerList,
        }
    }
}

impl Info {
    /// Starts a description with no parameters.
    pub fn new(name: &str, version: &str, description: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            author: String::new(),
            description: description.to_owned(),
            params: Vec::new(),
            thresholds: Vec::new(),
        }
    }

    /// Says who wrote the scenario, e.g. `Inference team <infra@example.com>`.
    pub fn author(mut self, author: &str) -> Self {
        self.author = author.to_owned();
        self
    }

    /// Declares a parameter whose kind follows from its default (see [`ParamKind::of_default`]);
    /// use [`Info::typed_param`] when the default would mislead (a text parameter whose default
    /// happens to be `42`).
    pub fn param(self, name: &str, default: &str, help: &str) -> Self {
        self.typed_param(name, ParamKind::of_default(default), default, help)
    }

    /// Declares a parameter of an explicit kind.
    pub fn typed_param(mut self, name: &str, kind: ParamKind, default: &str, help: &str) -> Self {
        self.params.push(Param {
            name: name.to_owned(),
            kind,
            default: default.to_owned(),
            help: help.to_owned(),
        });
        self
    }

    /// Declares a pass/fail criterion in the syntax of `--threshold` (e.g. `errors:rate<0.01`),
    /// shown by `runner inspect` and judged at the end of every run. Criteria that depend on
    /// parameters are declared from `drive` with [`crate::metrics::threshold`].
    pub fn threshold(mut self, expression: &str) -> Self {
        self.thresholds.push(expression.to_owned());
        self
    }

    /// Declares the parameters every LLM scenario shares: `model`, `stream`, `ignore_eos` and
    /// `extra_body`.
    pub fn llm_params(self) -> Self {
        self.typed_param(
            "model",
            ParamKind::Text,
            "",
            "Model name sent to the server; empty leaves the field out.",
        )
        .param("stream", "true", "Stream the answer (server-sent events); needed for TTFT and ITL.")
        .param(
            "ignore_eos",
            "true",
            "Ask for exactly max_tokens tokens (\"ignore_eos\": true; vLLM, SGLang, llama.cpp); \
            false for servers that refuse unknown fields (OpenAI's).",
        )
        .typed_param(
            "extra_body",
            ParamKind::Text,
            "",
            "JSON object merged into every request body, e.g. {\"ignore_eos\":true}.",
        )
    }
}

impl From<Info> for raw::Info {
    fn from(info: Info) -> Self {
        raw::Info {
            name: info.name,
            version: info.version,
            author: info.author,
            description: info.description,
            params: info
                .params
                .into_iter()
                .map(|p| raw::Param { name: p.name, kind: p.kind, default: p.default, help: p.help })
                .collect(),
            thresholds: info.thresholds,
        }
    }
}

/// Where an iteration runs: its phase, the phase's tags, the VU and the iteration number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The name of the phase this iteration belongs to.
    pub phase: String,
    /// The phase's tags, as given by `drive`.
    pub tags: Tags,
    /// The VU's number inside its phase, from 0.
    pub vu: u32,
    /// The iteration's number inside its phase, from 0.
    pub iteration: u64,
}

impl Context {
    /// The value of the phase tag `key`, if the phase has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The phase tag `key` parsed as `T`; the error names the tag and the value.
    pub fn tag_parse<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.tag(key).ok_or_else(|| format!("phase `{}` has no tag `{key}`", self.phase))?;
        value
            .parse()
            .map_err(|e| format!("tag `{key}` of phase `{}`: invalid value {value:?}: {e}", self.phase))
    }

    /// A seed unique to this iteration, derived from the run's seed, so random choices
    /// differ between iterations but replay identically with the same `--seed`.
    pub fn seed(&self, run_seed: u64) -> u64 {
        runner_contract::seed::iteration_seed(run_seed, self.vu, self.iteration)
    }
}

impl From<raw::IterationContext> for Context {
    fn from(ctx: raw::IterationContext) -> Self {
        Self { phase: ctx.phase, tags: ctx.tags, vu: ctx.vu, iteration: ctx.iteration }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{cases, list, text};

    fn ctx(tags: &[(&str, &str)]) -> Context {
        Context { phase: "p".into(), tags: crate::owned_tags(tags), vu: 3, iteration: 7 }
    }

    #[test]
    fn tags_are_found_and_parsed() {
        let c = ctx(&[("max_tokens", "256"), ("kind", "long")]);
        assert_eq!(c.tag("kind"), Some("long"));
        assert_eq!(c.tag("absent"), None);
        assert_eq!(c.tag_parse::<u32>("max_tokens"), Ok(256));
    }

    #[test]
    fn tag_errors_name_the_tag_and_value() {
        let c = ctx(&[("max_tokens", "lots")]);
        let err = c.tag_parse::<u32>("max_tokens").unwrap_err();
        assert!(err.contains("max_tokens") && err.contains("\"lots\""), "{err}");
        let err = c.tag_parse::<u32>("nope").unwrap_err();
        assert!(err.contains("no tag `nope`"), "{err}");
    }

    #[test]
    fn info_converts_with_params_in_order() {
        let info: raw::Info = Info::new("n", "1.0.0", "d").param("a", "1", "h").llm_params().into();
        let names: Vec<_> = info.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "model", "stream", "ignore_eos", "extra_body"]);
        assert_eq!(info.params[2].default, "true");
        assert_eq!(info.params[2].kind, ParamKind::Boolean);
        assert_eq!(info.params[0].kind, ParamKind::Integer);
    }

    #[test]
    fn kinds_follow_defaults() {
        for case in list(&cases()["kind_of_default"], "cases") {
            let default = text(case, "default");
            let kind = runner_contract::params::Kind::from_name(text(case, "kind")).expect("a WIT kind");
            assert_eq!(ParamKind::of_default(default), kind.into(), "{default:?}");
        }
    }

    #[test]
    fn iteration_seeds_follow_the_contract() {
        for case in list(&cases()["seeds"], "iteration") {
            let seed = |key| text(case, key).parse::<u64>().expect("a u64");
            let vu = case["vu"].as_u64().and_then(|v| u32::try_from(v).ok()).expect("vu");
            let c = Context { vu, iteration: case["iteration"].as_u64().expect("iteration"), ..ctx(&[]) };
            assert_eq!(c.seed(seed("run_seed")), seed("seed"), "{case}");
        }
    }

    #[test]
    fn iteration_seeds_differ_per_vu_and_iteration() {
        let a = ctx(&[]);
        let mut b = a.clone();
        b.iteration += 1;
        let mut c = a.clone();
        c.vu += 1;
        assert_ne!(a.seed(1), b.seed(1));
        assert_ne!(a.seed(1), c.seed(1));
        assert_eq!(a.seed(1), a.clone().seed(1));
    }
}
