//! The duration grammar: `500ms`, `10s`, `1.5s`, `2m`, `1h`, `1m30s` or `0`, as `--param`
//! values of kind `duration` and the SDKs' durations written as text are given.

use std::time::Duration;

/// Why a text is not a duration. The messages are the ones every SDK gives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing but blanks.
    #[error("empty duration")]
    Empty,
    /// A unit (or another character) where a number should start.
    #[error("expected a number at {rest:?}")]
    ExpectedNumber {
        /// The rest of the text, from where the number was expected.
        rest: String,
    },
    /// Digits and dots that make no number, such as `1..2`.
    #[error("bad number {number:?}")]
    BadNumber {
        /// The digits and dots as written.
        number: String,
    },
    /// A number with no unit after it (`10`): seconds or milliseconds would be a guess.
    #[error("missing unit (use ms, s, m or h)")]
    MissingUnit,
    /// A unit other than `ms`, `s`, `m` or `h`.
    #[error("unknown unit {unit:?} (use ms, s, m or h)")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
    },
    /// More milliseconds than a `u64` holds.
    #[error("duration too large")]
    TooLarge,
}

impl From<DurationError> for String {
    fn from(e: DurationError) -> Self {
        e.to_string()
    }
}

/// Parses `"500ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"1m30s"` or `"0"`; blanks around the
/// text are ignored.
///
/// A bare number other than 0 is rejected: seconds or milliseconds would be a guess. The result
/// is kept to whole microseconds, enough for `"1.5ms"` and immune to float noise in the last
/// digits.
pub fn parse(value: &str) -> Result<Duration, DurationError> {
    let s = value.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total_ms = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return Err(DurationError::ExpectedNumber { rest: rest.to_owned() });
        }
        let digits = &rest[..num_len];
        let number: f64 =
            digits.parse().map_err(|_| DurationError::BadNumber { number: digits.to_owned() })?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let unit_ms = match &rest[..unit_len] {
            "ms" => 1.0,
            "s" => 1_000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "" => return Err(DurationError::MissingUnit),
            other => return Err(DurationError::UnknownUnit { unit: other.to_owned() }),
        };
        rest = &rest[unit_len..];
        total_ms += number * unit_ms;
    }
    if !total_ms.is_finite() || total_ms > u64::MAX as f64 {
        return Err(DurationError::TooLarge);
    }
    Ok(Duration::from_micros((total_ms * 1_000.0).round() as u64))
}
