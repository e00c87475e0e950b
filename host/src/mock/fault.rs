//! Fault injection for the simulated server: the fault kinds, their `KIND[=ARG][@RATE]` spec syntax,
//! and the seeded draw that decides which request gets which fault.
//!
//! The draw depends only on the server's seed and the request's sequence number, never on timing, so a
//! run with the same seed and request order injects the same faults into the same requests.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use thiserror::Error;

/// Mixed into the seed so the fault draw is independent of the jitter drawn from the same seed.
const FAULT_SALT: u64 = 0x6a09_e667_f3bc_c908;

/// Tolerance when checking that rates add up to at most 1 (`0.1 + 0.2 + 0.7` is not exactly 1.0).
const RATE_EPSILON: f64 = 1e-9;

/// One kind of misbehaviour, applied to a whole generation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this HTTP status (400–599) and an OpenAI-style error body.
    Status(u16),
    /// Close the connection with a TCP reset (SO_LINGER 0) before sending any response.
    ResetBeforeHeaders,
    /// Send the headers and the first half of the tokens, then reset the connection.
    ResetMidStream,
    /// Send the first half of the tokens, then nothing for this long, then the rest.
    StallMidStream(Duration),
    /// Hold the response headers back this long, then answer normally.
    SlowHeaders(Duration),
    /// One SSE event (or the whole non-streaming body) is truncated, invalid JSON.
    BadJson,
    /// One SSE event is sent without its `data:` prefix.
    NoDataPrefix,
    /// The stream ends without `data: [DONE]`.
    NoDone,
    /// The stream sends `data: [DONE]`, then keeps the response open without its terminating chunk
    /// until the client goes away, as some gateways and servers do.
    HoldAfterDone,
    /// Seeded random bytes in the middle of the stream (or body), outside any event.
    Garbage,
    /// One SSE event (or the non-streaming body) holds bytes that are not UTF-8.
    InvalidUtf8,
    /// A body of this many bytes (one endless SSE event when streaming), produced in chunks, never
    /// allocated whole.
    HugeBody(u64),
    /// Half-way through a stream, an `{"error": …}` event and `[DONE]`, as vLLM ends a stream whose
    /// engine failed after the 200 was sent; a whole body is that error object, with status 200.
    ErrorEvent,
}

impl Fault {
    /// The kind's name in the spec syntax.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Status(_) => "status",
            Fault::ResetBeforeHeaders => "reset-before-headers",
            Fault::ResetMidStream => "reset-mid-stream",
            Fault::StallMidStream(_) => "stall-mid-stream",
            Fault::SlowHeaders(_) => "slow-headers",
            Fault::BadJson => "bad-json",
            Fault::NoDataPrefix => "no-data-prefix",
            Fault::NoDone => "no-done",
            Fault::HoldAfterDone => "hold-after-done",
            Fault::Garbage => "garbage",
            Fault::InvalidUtf8 => "invalid-utf8",
            Fault::HugeBody(_) => "huge-body",
            Fault::ErrorEvent => "error-event",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status(code) => write!(f, "status={code}"),
            Fault::StallMidStream(d) | Fault::SlowHeaders(d) => {
                write!(f, "{}={}", self.kind(), humantime::format_duration(*d))
            }
            Fault::HugeBody(n) => write!(f, "huge-body={n}"),
            other => f.write_str(other.kind()),
        }
    }
}

/// A fault and the fraction of generation requests it applies to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    fault: Fault,
    rate: f64,
}

// `rate` is checked to be a finite number in [0, 1] on construction (the fields are private), so the
// float comparison is reflexive and `Eq` holds; it lets `MockConfig` stay `Eq`.
impl Eq for FaultSpec {}

impl FaultSpec {
    /// `fault` applied to a fraction `rate` (in `[0, 1]`) of generation requests.
    pub fn new(fault: Fault, rate: f64) -> Result<Self, FaultSpecError> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(FaultSpecError::Rate(rate.to_string()));
        }
        Ok(FaultSpec { fault, rate })
    }

    /// The fault.
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// The fraction of generation requests it applies to.
    pub fn rate(&self) -> f64 {
        self.rate
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.fault, self.rate)
    }
}

/// Why a fault spec was refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FaultSpecError {
    /// The kind is not one of the known faults.
    #[error(
        "unknown fault {0:?} (known: status=CODE, reset-before-headers, reset-mid-stream, \
         stall-mid-stream=DURATION, slow-headers=DURATION, bad-json, no-data-prefix, no-done, \
         hold-after-done, garbage, invalid-utf8, huge-body=SIZE, error-event)"
    )]
    Unknown(String),
    /// The kind needs an argument (`status=500`) and none was given.
    #[error("fault {0} needs an argument, e.g. {1}")]
    MissingArg(&'static str, &'static str),
    /// The kind takes no argument and one was given.
    #[error("fault {0} takes no argument")]
    UnexpectedArg(&'static str),
    /// The status is not an error status.
    #[error("status={0}: expected an HTTP error status from 400 to 599")]
    Status(String),
    /// The duration does not parse.
    #[error("{0}={1}: not a duration like 500ms or 5s")]
    Duration(&'static str, String),
    /// The size does not parse.
    #[error("huge-body={0}: not a size like 300MB, 64MiB or 1000000")]
    Size(String),
    /// The rate is not a number in `[0, 1]`.
    #[error("rate {0:?}: expected a number from 0 to 1, e.g. @0.1")]
    Rate(String),
    /// The rates of all faults add up to more than 1 (each request gets at most one fault).
    #[error("fault rates add up to {0}, more than 1 (each request gets at most one fault)")]
    RatesOverOne(f64),
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    /// Parses `KIND[=ARG][@RATE]`; the rate defaults to 1.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let spec = spec.trim();
        let (body, rate) = match spec.rsplit_once('@') {
            Some((body, rate)) => {
                let r = rate.trim().parse::<f64>().map_err(|_| FaultSpecError::Rate(rate.to_string()))?;
                (body, r)
            }
            None => (spec, 1.0),
        };
        let (kind, arg) = match body.split_once('=') {
            Some((k, a)) => (k.trim(), Some(a.trim())),
            None => (body.trim(), None),
        };
        FaultSpec::new(parse_fault(kind, arg)?, rate)
    }
}

fn parse_fault(kind: &str, arg: Option<&str>) -> Result<Fault, FaultSpecError> {
    let bare = |fault: Fault| match arg {
        None => Ok(fault),
        Some(_) => Err(FaultSpecError::UnexpectedArg(fault.kind())),
    };
    let duration = |name: &'static str, example: &'static str| -> Result<Duration, FaultSpecError> {
        let a = arg.ok_or(FaultSpecError::MissingArg(name, example))?;
        humantime::parse_duration(a).map_err(|_| FaultSpecError::Duration(name, a.to_string()))
    };
    match kind {
        "status" => {
            let a = arg.ok_or(FaultSpecError::MissingArg("status", "status=503"))?;
            match a.parse::<u16>() {
                Ok(code) if (400..=599).contains(&code) => Ok(Fault::Status(code)),
                _ => Err(FaultSpecError::Status(a.to_string())),
            }
        }
        "reset-before-headers" => bare(Fault::ResetBeforeHeaders),
        "reset-mid-stream" => bare(Fault::ResetMidStream),
        "stall-mid-stream" => Ok(Fault::StallMidStream(duration("stall-mid-stream", "stall-mid-stream=5s")?)),
        "slow-headers" => Ok(Fault::SlowHeaders(duration("slow-headers", "slow-headers=2s")?)),
        "bad-json" => bare(Fault::BadJson),
        "no-data-prefix" => bare(Fault::NoDataPrefix),
        "no-done" => bare(Fault::NoDone),
        "hold-after-done" => bare(Fault::HoldAfterDone),
        "garbage" => bare(Fault::Garbage),
        "invalid-utf8" => bare(Fault::InvalidUtf8),
        "error-event" => bare(Fault::ErrorEvent),
        "huge-body" => {
            let a = arg.ok_or(FaultSpecError::MissingArg("huge-body", "huge-body=300MB"))?;
            parse_size(a).map(Fault::HugeBody).ok_or_else(|| FaultSpecError::Size(a.to_string()))
        }
        other => Err(FaultSpecError::Unknown(other.to_string())),
    }
}

/// A byte count: a whole number with an optional unit, decimal (`kB`, `MB`, `GB`) or binary (`KiB`,
/// `MiB`, `GiB`); `B` or no unit means bytes. Units are case-insensitive.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// Refuses fault lists whose rates add up to more than 1: the draw gives each request at most one fault.
pub fn check_rates(faults: &[FaultSpec]) -> Result<(), FaultSpecError> {
    let total: f64 = faults.iter().map(|f| f.rate).sum();
    if total > 1.0 + RATE_EPSILON {
        return Err(FaultSpecError::RatesOverOne(total));
    }
    Ok(())
}

/// The fault, if any, for the `seq`-th generation request.
///
/// One uniform number is drawn per request and the faults' rates are laid end to end on `[0, 1)`, so
/// faults are mutually exclusive and each hits its own fraction of requests.
pub fn pick(faults: &[FaultSpec], seed: u64, seq: u64) -> Option<Fault> {
    if faults.is_empty() {
        return None;
    }
    let u: f64 = request_rng(seed, seq).random();
    let mut edge = 0.0;
    for spec in faults {
        edge += spec.rate;
        if u < edge {
            return Some(spec.fault);
        }
    }
    None
}

/// The random source for request `seq`'s fault (its draw, and the bytes of `garbage`).
pub(super) fn request_rng(seed: u64, seq: u64) -> StdRng {
    // Splitmix-style mixing keeps neighbouring requests' draws unrelated.
    StdRng::seed_from_u64(seed ^ FAULT_SALT ^ seq.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> FaultSpec {
        s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    #[test]
    fn every_kind_parses_with_its_argument_and_rate() {
        let cases = [
            ("status=429", Fault::Status(429), 1.0),
            ("status=503@0.5", Fault::Status(503), 0.5),
            ("reset-before-headers", Fault::ResetBeforeHeaders, 1.0),
            ("reset-mid-stream@0.25", Fault::ResetMidStream, 0.25),
            ("stall-mid-stream=5s", Fault::StallMidStream(Duration::from_secs(5)), 1.0),
            ("slow-headers=250ms@0.1", Fault::SlowHeaders(Duration::from_millis(250)), 0.1),
            ("bad-json", Fault::BadJson, 1.0),
            ("no-data-prefix", Fault::NoDataPrefix, 1.0),
            ("no-done@0", Fault::NoDone, 0.0),
            ("hold-after-done@0.5", Fault::HoldAfterDone, 0.5),
            ("garbage", Fault::Garbage, 1.0),
            ("invalid-utf8", Fault::InvalidUtf8, 1.0),
            ("huge-body=300MB", Fault::HugeBody(300_000_000), 1.0),
            (" huge-body = 64MiB @ 1 ", Fault::HugeBody(64 << 20), 1.0),
            ("error-event@0.2", Fault::ErrorEvent, 0.2),
        ];
        for (text, fault, rate) in cases {
            let s = spec(text);
            assert_eq!((s.fault(), s.rate()), (fault, rate), "{text}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "status=500@0.1",
            "stall-mid-stream=1s 500ms@1",
            "huge-body=1000@0.5",
            "garbage@1",
            "error-event@1",
        ] {
            let s = spec(text);
            assert_eq!(spec(&s.to_string()), s, "{text} → {s}");
        }
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        let err = |s: &str| s.parse::<FaultSpec>().expect_err(s);
        assert_eq!(err("teapot"), FaultSpecError::Unknown("teapot".into()));
        assert!(matches!(err("status"), FaultSpecError::MissingArg("status", _)));
        assert_eq!(err("status=200"), FaultSpecError::Status("200".into()));
        assert_eq!(err("status=abc"), FaultSpecError::Status("abc".into()));
        assert_eq!(err("bad-json=1"), FaultSpecError::UnexpectedArg("bad-json"));
        assert!(matches!(err("stall-mid-stream=soon"), FaultSpecError::Duration("stall-mid-stream", _)));
        assert!(matches!(err("slow-headers"), FaultSpecError::MissingArg("slow-headers", _)));
        assert_eq!(err("huge-body=12XB"), FaultSpecError::Size("12XB".into()));
        assert_eq!(err("garbage@1.5"), FaultSpecError::Rate("1.5".into()));
        assert_eq!(err("garbage@-0.1"), FaultSpecError::Rate("-0.1".into()));
        assert_eq!(err("garbage@NaN"), FaultSpecError::Rate("NaN".into()));
        assert_eq!(err("garbage@often"), FaultSpecError::Rate("often".into()));
    }

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("2kB"), Some(2000));
        assert_eq!(parse_size("300MB"), Some(300_000_000));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("5 mib"), Some(5 << 20));
        assert_eq!(parse_size("MB"), None);
        assert_eq!(parse_size("1.5MB"), None);
        assert_eq!(parse_size("99999999999999GB"), None, "overflow is refused, not wrapped");
    }

    #[test]
    fn rates_over_one_are_refused() {
        let ok = [spec("status=500@0.1"), spec("status=503@0.2"), spec("garbage@0.7")];
        assert_eq!(check_rates(&ok), Ok(()));
        let over = [spec("status=500@0.6"), spec("garbage@0.6")];
        assert!(matches!(check_rates(&over), Err(FaultSpecError::RatesOverOne(t)) if (t - 1.2).abs() < 1e-9));
    }

    #[test]
    fn the_draw_hits_each_rate_and_replays_from_the_seed() {
        let faults = [spec("status=500@0.2"), spec("garbage@0.3")];
        let draws = |seed| (0..10_000).map(|seq| pick(&faults, seed, seq)).collect::<Vec<_>>();
        let a = draws(7);
        assert_eq!(a, draws(7), "same seed, same faults on the same requests");
        assert_ne!(a, draws(8), "the seed matters");
        let count = |f: Fault| a.iter().filter(|d| **d == Some(f)).count();
        assert!((1800..=2200).contains(&count(Fault::Status(500))), "{}", count(Fault::Status(500)));
        assert!((2700..=3300).contains(&count(Fault::Garbage)), "{}", count(Fault::Garbage));
        assert!(a.iter().filter(|d| d.is_none()).count() > 4000);
    }

    #[test]
    fn rate_one_always_and_rate_zero_never() {
        let always = [spec("no-done")];
        let never = [spec("no-done@0")];
        assert!((0..1000).all(|seq| pick(&always, 3, seq) == Some(Fault::NoDone)));
        assert!((0..1000).all(|seq| pick(&never, 3, seq).is_none()));
        assert!((0..10).all(|seq| pick(&[], 3, seq).is_none()));
    }
}
