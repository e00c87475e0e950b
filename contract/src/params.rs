//! Parameter values, as `runner play --param name=value` gives them: the parsers the guest reads
//! them with (errors name the parameter and the value), the kinds a parameter is declared with
//! ([`Kind`], the WIT `param-kind`), the kind a default suggests ([`Kind::of_default`]) and the
//! host's check of a value against its declared kind ([`check_kind`]).

use std::str::FromStr;

use crate::duration;

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

impl ParamError {
    fn invalid(name: &str, value: &str, reason: String) -> Self {
        ParamError::Invalid { name: name.to_owned(), value: value.to_owned(), reason }
    }

    /// Why the value was rejected, without the parameter's name; the whole message when the
    /// parameter is missing.
    pub fn reason(self) -> String {
        match self {
            ParamError::Invalid { reason, .. } => reason,
            missing @ ParamError::Missing { .. } => missing.to_string(),
        }
    }
}

impl From<ParamError> for String {
    fn from(e: ParamError) -> Self {
        e.to_string()
    }
}

/// Parses one parameter value, blanks around it ignored; `name` only labels the error.
pub fn parse_value<T: FromStr>(name: &str, value: &str) -> Result<T, ParamError>
where
    T::Err: std::fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ParamError::invalid(name, value, e.to_string()))
}

/// Parses a comma-separated list, blanks around items ignored; an empty value is an empty list,
/// an empty item an error.
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
                return Err(ParamError::invalid(name, value, "empty item in comma-separated list".into()));
            }
            item.parse().map_err(|e: T::Err| ParamError::invalid(name, value, format!("item {item:?}: {e}")))
        })
        .collect()
}

/// Parses a yes/no switch, case-insensitively: `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// What values a parameter takes: the WIT `param-kind`, for code that does not have the
/// generated bindings' enum at hand (or has its own side's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Any text.
    Text,
    /// A whole number that fits an `i64`, e.g. `64` or `-1`.
    Integer,
    /// A number that parses as an `f64`, e.g. `0.5` or `12`.
    Number,
    /// A yes/no switch (see [`parse_flag`]).
    Boolean,
    /// A duration (see [`duration::parse`]).
    Duration,
    /// A comma-separated list of whole numbers, e.g. `1,2,4,8`.
    IntegerList,
}

impl Kind {
    /// Every kind, in the WIT's order.
    pub const ALL: [Kind; 6] =
        [Kind::Text, Kind::Integer, Kind::Number, Kind::Boolean, Kind::Duration, Kind::IntegerList];

    /// The kind's WIT name (`integer-list`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Duration => "duration",
            Kind::IntegerList => "integer-list",
        }
    }

    /// The kind whose WIT name is `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind a default value suggests: `true`/`false` → boolean, `64` → integer, `0.5` →
    /// number, `1,2,4` → integer list, `10s` → duration, anything else (and `""`) → text.
    ///
    /// The kind suggested always accepts the default (see [`Kind::check`]).
    pub fn of_default(default: &str) -> Kind {
        let d = default.trim();
        if d.is_empty() {
            Kind::Text
        } else if d.eq_ignore_ascii_case("true") || d.eq_ignore_ascii_case("false") {
            Kind::Boolean
        } else if d.parse::<i64>().is_ok() {
            Kind::Integer
        } else if d.parse::<f64>().is_ok() {
            Kind::Number
        } else if d.contains(',') && d.split(',').all(|i| i.trim().parse::<i64>().is_ok()) {
            Kind::IntegerList
        } else if d.starts_with(|c: char| c.is_ascii_digit()) && duration::parse(d).is_ok() {
            Kind::Duration
        } else {
            Kind::Text
        }
    }

    /// Whether `value` is of this kind, parsed as the guest will parse it; the error says why not.
    pub fn check(self, value: &str) -> Result<(), String> {
        match self {
            Kind::Text => Ok(()),
            Kind::Integer => parse_value::<i64>("", value).map(drop).map_err(ParamError::reason),
            Kind::Number => parse_value::<f64>("", value).map(drop).map_err(ParamError::reason),
            Kind::Boolean => parse_flag(value).map(drop).ok_or_else(|| "not true or false".to_owned()),
            Kind::Duration => duration::parse(value).map(drop).map_err(String::from),
            Kind::IntegerList => parse_list::<i64>("", value).map(drop).map_err(ParamError::reason),
        }
    }
}

/// Whether `value` is of the kind whose WIT name is `kind` (`integer-list`): what `runner play`
/// checks every `--param` and every declared default against before sending anything.
pub fn check_kind(kind: &str, value: &str) -> Result<(), String> {
    Kind::from_name(kind).ok_or_else(|| format!("unknown parameter kind {kind:?}"))?.check(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_param_and_value() {
        let err: String = parse_value::<u32>("vus", "-1").unwrap_err().into();
        assert!(err.starts_with("parameter `vus`: invalid value \"-1\""), "{err}");
        let missing = ParamError::Missing { name: "rate".into() };
        assert!(missing.clone().reason().contains("--param rate=..."), "{missing}");
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(Kind::from_name("Integer"), None);
        assert!(check_kind("float", "1").unwrap_err().contains("unknown parameter kind"));
    }
}
