//! Run parameters (`--param name=value`), the target URL and the run's seed, with parsing
//! helpers whose errors say which parameter and which value were wrong.

use std::str::FromStr;
use std::time::Duration;

pub use runner_contract::params::{ParamError, parse_flag, parse_list, parse_value};

use crate::bindings::runner::scenario::params as raw;

/// The value of `name`: from the command line, else the declared default, else none.
pub fn get(name: &str) -> Option<String> {
    raw::get(name)
}

/// The value of `name`, or `default` when it is not set.
pub fn get_or(name: &str, default: &str) -> String {
    get(name).unwrap_or_else(|| default.to_owned())
}

/// The value of `name` parsed as `T` (numbers, `bool`, strings…).
pub fn parse<T: FromStr>(name: &str) -> Result<T, ParamError>
where
    T::Err: std::fmt::Display,
{
    parse_value(name, &require(name)?)
}

/// A comma-separated list (`"20,24,32"`) parsed element by element; blanks around items are ignored.
pub fn list<T: FromStr>(name: &str) -> Result<Vec<T>, ParamError>
where
    T::Err: std::fmt::Display,
{
    parse_list(name, &require(name)?)
}

/// A duration such as `"500ms"`, `"10s"`, `"2m"`, `"1h"` or `"1m30s"`.
pub fn duration(name: &str) -> Result<Duration, ParamError> {
    let value = require(name)?;
    parse_duration(&value).map_err(|reason| invalid(name, &value, reason))
}

/// A yes/no switch: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub fn flag(name: &str) -> Result<bool, ParamError> {
    let value = require(name)?;
    parse_flag(&value).ok_or_else(|| invalid(name, &value, "expected true or false".into()))
}

/// The base URL of the server under test.
pub fn target() -> String {
    raw::target()
}

/// The run's random seed, recorded in the summary so random choices can be replayed.
pub fn seed() -> u64 {
    raw::seed()
}

fn require(name: &str) -> Result<String, ParamError> {
    get(name).ok_or_else(|| ParamError::Missing { name: name.to_owned() })
}

fn invalid(name: &str, value: &str, reason: String) -> ParamError {
    ParamError::Invalid { name: name.to_owned(), value: value.to_owned(), reason }
}

/// Parses `"500ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"1m30s"` or `"0"` (the grammar of
/// [`runner_contract::duration::parse`]); the error is the reason, as text.
///
/// A bare number other than 0 is rejected: seconds or milliseconds would be a guess.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    runner_contract::duration::parse(value).map_err(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{cases, list, text};

    #[test]
    fn durations_follow_the_contract() {
        let d = &cases()["durations"];
        for case in list(d, "valid") {
            let t = text(case, "text");
            let want = case["ms"].as_f64().expect("ms");
            let got = parse_duration(t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            assert_eq!(got.as_micros(), (want * 1_000.0).round() as u128, "{t:?}");
        }
        for case in list(d, "invalid") {
            let (t, want) = (text(case, "text"), text(case, "error"));
            let err = parse_duration(t).expect_err(t);
            assert!(err.contains(want), "{t:?}: {err:?} should contain {want:?}");
        }
    }
}
