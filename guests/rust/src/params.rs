//! Run parameters (`--param name=value`), the target URL and the run's seed, with parsing
//! helpers whose errors say which parameter and which value were wrong.

use std::str::FromStr;
use std::time::Duration;

use crate::bindings::runner::scenario::params as raw;

/// A parameter that is missing or does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The parameter was neither given nor declared with a default in `describe`.
    #[error("parameter `{name}` is not set (declare it in `describe` or pass --param {name}=...)")]
    Missing {
        /// The parameter's name.
        name: String,
    },
    /// The parameter's value could not be parsed.
    #[error("parameter `{name}`: invalid value {value:?}: {reason}")]
    Invalid {
        /// The parameter's name.
        name: String,
        /// The value as given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl From<ParamError> for String {
    fn from(e: ParamError) -> Self {
        e.to_string()
    }
}

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

/// Parses one parameter value; `name` only labels the error.
pub fn parse_value<T: FromStr>(name: &str, value: &str) -> Result<T, ParamError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| invalid(name, value, e.to_string()))
}

/// Parses a comma-separated list; an empty value is an empty list, an empty item an error.
pub fn parse_list<T: FromStr>(name: &str, value: &str) -> Result<Vec<T>, ParamError>
where
    T::Err: std::fmt::Display,
{
    if value.trim().is_empty() {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                return Err(invalid(name, value, "empty item in comma-separated list".into()));
            }
            item.parse().map_err(|e: T::Err| invalid(name, value, format!("item {item:?}: {e}")))
        })
        .collect()
}

/// Parses `"500ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"1m30s"` or `"0"`.
///
/// A bare number other than 0 is rejected: seconds or milliseconds would be a guess.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let s = value.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let number: f64 =
            rest[..num_len].parse().map_err(|_| format!("bad number {:?}", &rest[..num_len]))?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit_ms = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "" => return Err("missing unit (use ms, s, m or h)".into()),
            other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
        };
        rest = &rest[unit_len..];
        total += number * unit_ms;
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return Err("duration too large".into());
    }
    // Whole microseconds: enough for "1.5ms" and immune to float noise in the last digits.
    Ok(Duration::from_micros((total * 1_000.0).round() as u64))
}

/// Parses a yes/no switch, case-insensitively.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(parse_duration("10").unwrap_err().contains("missing unit"));
        assert!(parse_duration("10d").unwrap_err().contains("unknown unit \"d\""));
        assert!(parse_duration("s").unwrap_err().contains("expected a number"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1..2s").unwrap_err().contains("bad number"));
    }

    #[test]
    fn lists_parse_each_item() {
        assert_eq!(parse_list::<u32>("levels", "20, 24,32 ,48,64"), Ok(vec![20, 24, 32, 48, 64]));
        assert_eq!(parse_list::<u32>("levels", "  "), Ok(vec![]));
        assert_eq!(parse_list::<String>("l", "a,b"), Ok(vec!["a".to_owned(), "b".to_owned()]));
    }

    #[test]
    fn list_errors_name_param_value_and_item() {
        let err = parse_list::<u32>("levels", "20,x,32").unwrap_err().to_string();
        assert!(
            err.contains("`levels`") && err.contains("\"20,x,32\"") && err.contains("item \"x\""),
            "{err}"
        );
        let err = parse_list::<u32>("levels", "20,,32").unwrap_err().to_string();
        assert!(err.contains("empty item"), "{err}");
    }

    #[test]
    fn values_parse_or_name_the_param() {
        assert_eq!(parse_value::<f64>("rate", " 2.5 "), Ok(2.5));
        let err: String = parse_value::<u32>("vus", "-1").unwrap_err().into();
        assert!(err.starts_with("parameter `vus`: invalid value \"-1\""), "{err}");
    }

    #[test]
    fn flags() {
        assert_eq!(parse_flag("TRUE"), Some(true));
        assert_eq!(parse_flag("off"), Some(false));
        assert_eq!(parse_flag("maybe"), None);
    }
}
