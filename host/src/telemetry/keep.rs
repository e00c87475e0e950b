//! `--prom-keep REGEX`: Prometheus series the mapping does not know, kept by name and reported
//! per phase (mean and max over the samples).
//!
//! Patterns are full regular expressions (the `regex` crate's syntax) matched against the whole
//! series name, as Prometheus anchors its matchers (`vllm:.*_total`, `DCGM_FI_DEV_(MEM|SM)_CLOCK`).

use std::str::FromStr;

use regex::{Regex, RegexBuilder};

/// The most distinct kept series one run reports; a pattern as wide as `.*` on a busy exporter
/// would otherwise grow the summary without bound.
pub const MAX_KEPT_SERIES: usize = 64;

/// Size cap of one pattern's compiled program: a pathological pattern is an error, not a
/// gigabyte of memory.
const SIZE_LIMIT: usize = 4 << 20;

/// Why a `--prom-keep` pattern was refused.
#[derive(Debug, thiserror::Error)]
#[error("--prom-keep {pattern:?}: {reason}")]
pub struct KeepError {
    pattern: String,
    reason: String,
}

/// One compiled `--prom-keep` pattern.
#[derive(Clone)]
pub struct KeepPattern {
    source: String,
    regex: Regex,
}

impl std::fmt::Debug for KeepPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeepPattern({:?})", self.source)
    }
}

impl FromStr for KeepPattern {
    type Err = KeepError;

    fn from_str(pattern: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| KeepError { pattern: pattern.to_string(), reason };
        if pattern.is_empty() {
            return Err(fail("an empty pattern".to_string()));
        }
        let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| fail(e.to_string().lines().next().unwrap_or("invalid").to_string()))?;
        Ok(KeepPattern { source: pattern.to_string(), regex })
    }
}

impl KeepPattern {
    /// Whether the whole `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        self.regex.is_match(name)
    }
}

/// Whether any pattern keeps `name`.
pub fn kept(patterns: &[KeepPattern], name: &str) -> bool {
    patterns.iter().any(|p| p.matches(name))
}

/// How a kept series is named in the report: its name, then its labels as the exposition writes
/// them (`name{gpu="0"}`), so two GPUs' series stay two rows.
pub fn key(name: &str, labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        return name.to_string();
    }
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{name}{{{}}}", labels.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(p: &str) -> KeepPattern {
        p.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn patterns_match_whole_names() {
        let p = pattern("vllm:.*_total");
        assert!(p.matches("vllm:prompt_tokens_total"));
        assert!(!p.matches("vllm:prompt_tokens_total_x"), "anchored at the end");
        assert!(!p.matches("xvllm:a_total"), "anchored at the start");
        let alt = pattern("DCGM_FI_DEV_(MEM|SM)_CLOCK");
        assert!(alt.matches("DCGM_FI_DEV_MEM_CLOCK") && !alt.matches("DCGM_FI_DEV_CLOCK"));
        assert!(kept(&[pattern("a"), pattern("b+")], "bbb"));
    }

    #[test]
    fn bad_patterns_are_one_line_errors() {
        let err = "(unclosed".parse::<KeepPattern>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("--prom-keep \"(unclosed\": "), "{err}");
        assert!(!err.contains('\n'));
        assert!("".parse::<KeepPattern>().is_err());
        assert!("[a-z]{1000}{1000}".parse::<KeepPattern>().is_err(), "too large an automaton");
    }

    #[test]
    fn keys_carry_the_labels() {
        assert_eq!(key("up", &[]), "up");
        assert_eq!(
            key("x", &[("gpu".into(), "0".into()), ("m".into(), "a\"b".into())]),
            r#"x{gpu="0",m="a\"b"}"#
        );
    }
}
