//! The values of `runner`'s flags, each parsed and bounded where clap reads it (or, for
//! `--target`, after: see [`check_target`]). A value past its bound is a usage error (exit 2) in one
//! line, before anything runs.

use std::time::{Duration, SystemTime};

use runner::stats::Slo;

pub fn parse_slo(spec: &str) -> Result<Slo, String> {
    let mut slo = Slo::default();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) =
            item.split_once('=').ok_or_else(|| format!("expected metric=duration, got {item:?}"))?;
        let bound = Some(parse_duration(value).map_err(|e| format!("{key}: {e}"))?);
        match key {
            "ttft" => slo.ttft = bound,
            "tpot" => slo.tpot = bound,
            "e2e" => slo.e2e = bound,
            _ => return Err(format!("unknown SLO metric {key:?} (known: ttft, tpot, e2e)")),
        }
    }
    if slo == Slo::default() { Err("give at least one of ttft=, tpot=, e2e=".into()) } else { Ok(slo) }
}

/// The longest `--label` value, in characters: a label names a run, it does not describe it.
pub const MAX_LABEL_VALUE: usize = 200;

/// `--label key=value`: the key a Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting
/// with `__`, which Prometheus reserves), so the label can follow the run into any metrics
/// system; the value any printable text on one line (it may be empty), at most
/// [`MAX_LABEL_VALUE`] characters.
pub fn parse_label(spec: &str) -> Result<(String, String), String> {
    let (key, value) = spec.split_once('=').ok_or_else(|| format!("expected key=value, got {spec:?}"))?;
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "label key {key:?} is not a Prometheus label name (a letter or _, then letters, digits or _)"
        ));
    }
    if key.starts_with("__") {
        return Err(format!("label key {key:?} starts with __, which Prometheus reserves"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("the value of label {key} holds a control character (a line break, a tab…)"));
    }
    if value.chars().count() > MAX_LABEL_VALUE {
        return Err(format!("the value of label {key} is longer than {MAX_LABEL_VALUE} characters"));
    }
    Ok((key.to_string(), value.to_string()))
}

/// The `--label`s as a map; a key given twice is refused (which one was meant?).
pub fn labels(given: &[(String, String)]) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut map = std::collections::BTreeMap::new();
    for (key, value) in given {
        if map.insert(key.clone(), value.clone()).is_some() {
            return Err(format!("--label {key} is given twice: give each key once"));
        }
    }
    Ok(map)
}

/// The most linear memory a guest can have: what a 32-bit address reaches.
pub const MAX_GUEST_MEMORY: usize = 4 << 30;

/// `64MiB`, `512KiB`, `1GiB` or a plain number of bytes.
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: usize = digits.parse().map_err(|_| format!("{s:?} is not a size like 64MiB"))?;
    let scale = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "K" | "KB" => 1 << 10,
        "MiB" | "M" | "MB" => 1 << 20,
        "GiB" | "G" | "GB" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use KiB, MiB or GiB)")),
    };
    match n.checked_mul(scale) {
        Some(0) => Err("must be greater than zero".into()),
        // A wasm32 instance addresses at most 4 GiB; more would only size the pool's reservations.
        Some(bytes) if bytes > MAX_GUEST_MEMORY => Err(format!("{s:?} is over the maximum of 4GiB")),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{s:?} is too large")),
    }
}

/// An address to listen on (`--dashboard`): `IP:PORT` (`[::1]:PORT` for IPv6), or
/// `localhost:PORT` for the IPv4 loopback. Names are not looked up: a listening address is the
/// machine's own.
pub fn parse_listen_addr(s: &str) -> Result<std::net::SocketAddr, String> {
    let t = s.trim();
    if let Some(port) = t.strip_prefix("localhost:") {
        let port: u16 = port.parse().map_err(|_| format!("{s:?}: {port:?} is not a port number"))?;
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    t.parse().map_err(|_| format!("{s:?} is not an address to listen on, like 127.0.0.1:5665"))
}

/// `--target`: an absolute `http://` or `https://` URL without credentials. A password in the URL
/// would be printed in every message and written to the run folder, and is not sent anyway
/// (credentials go in `--api-key-env` or `--header`): refused, without echoing it. Checked after
/// parsing, not as clap's value parser, whose error would quote the value.
pub fn check_target(s: &str) -> Result<(), String> {
    // The authority is looked at before parsing: a parse error would quote the password.
    let authority = s.split_once("://").map_or(s, |(_, rest)| rest).split(['/', '?', '#']).next();
    if authority.is_some_and(|a| a.contains('@')) {
        return Err("--target carries credentials (user:password@): pass them with --api-key-env or \
                    --header 'Authorization: …' instead, which are never written to the run folder"
            .into());
    }
    let uri: hyper::Uri = s.parse().map_err(|e| format!("--target {s:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.host().is_some_and(|h| !h.is_empty()) => Ok(()),
        Some("http" | "https") => Err(format!("--target {s:?} names no host")),
        _ => Err(format!("--target {s:?} is not an http:// or https:// URL")),
    }
}

pub fn parse_allowed_host(s: &str) -> Result<runner::sandbox::AllowedHost, String> {
    s.parse()
}

pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected name=value, got {s:?}")),
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("{s:?} is not a duration like 500ms, 30s or 2m: {e}"))?;
    // Every duration ends up added to an `Instant` or a timer: bounded like a scenario's.
    let max = runner::capabilities::limits::MAX_DURATION;
    if d.is_zero() {
        Err("must be greater than zero".into())
    } else if d > max {
        Err(format!("{s:?} is longer than the maximum of {}", humantime::format_duration(max)))
    } else {
        Ok(d)
    }
}

/// `--sample-interval`: a duration of at least 10 ms. Each sample scrapes every telemetry source
/// (a server's whole `/metrics`, every GPU): shorter, the runner would load the server it measures
/// and spin on its own sampler.
pub fn parse_sample_interval(s: &str) -> Result<Duration, String> {
    const MIN: Duration = Duration::from_millis(10);
    let d = parse_duration(s)?;
    if d < MIN { Err(format!("{s:?} is shorter than the minimum of 10ms")) } else { Ok(d) }
}

/// `--max-vus`: from 1 to [`runner::capabilities::limits::MAX_VUS`] (it sizes the instance pool).
pub fn parse_max_vus(s: &str) -> Result<u32, String> {
    let max = runner::capabilities::limits::MAX_VUS;
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a VU count from 1 to {max}")),
    }
}

pub fn parse_fail_on(s: &str) -> Result<f64, String> {
    match s.trim().trim_end_matches('%').parse::<f64>() {
        Ok(pct) if pct.is_finite() && pct >= 0.0 => Ok(pct),
        _ => Err(format!("{s:?} is not a percentage like 10 or 10%")),
    }
}

/// How far ahead `--start-at` may be: a start a day away is a typo (a wrong date or zone), and a
/// worker would wait for it silently.
pub const MAX_START_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// `--start-at`: an RFC 3339 time with its offset (`2026-12-07T18:00:00Z`,
/// `2026-12-07T19:00:00.250+01:00`); the spellings of `date --rfc-3339=ns` (a space for the `T`)
/// and `date --iso-8601=ns` (a comma before the fraction) are taken too. At most [`MAX_START_AHEAD`] ahead; a time already past starts at once (and the run
/// says how late).
pub fn parse_start_at(text: &str) -> Result<SystemTime, String> {
    parse_start_at_from(text, SystemTime::now())
}

fn parse_start_at_from(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let t = text.trim();
    // `date --rfc-3339=ns` puts a space for the `T`; `date --iso-8601=ns` a comma before the
    // fraction: both are the same instant.
    let mut normalised = t.to_string();
    if normalised.is_char_boundary(11) && normalised.as_bytes().get(10) == Some(&b' ') {
        normalised.replace_range(10..11, "T");
    }
    if normalised.is_char_boundary(20) && normalised.as_bytes().get(19) == Some(&b',') {
        normalised.replace_range(19..20, ".");
    }
    let at = time::OffsetDateTime::parse(&normalised, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            format!("{text:?} is not an RFC 3339 time like 2026-12-07T18:00:00Z or 2026-12-07T19:00:00+01:00 ({e})")
        })?;
    let at = SystemTime::from(at);
    if at.duration_since(now).is_ok_and(|ahead| ahead > MAX_START_AHEAD) {
        return Err(format!("{text:?} is more than a day ahead: check its date and UTC offset"));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_at_takes_rfc3339_with_any_offset_and_date_s_space() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_115_600); // 2026-12-01T09:00:00Z
        let z = parse_start_at_from("2026-12-01T10:00:00Z", now).unwrap();
        assert_eq!(parse_start_at_from("2026-12-01T11:00:00+01:00", now).unwrap(), z);
        assert_eq!(parse_start_at_from("2026-12-01 10:00:00.000000000+00:00", now).unwrap(), z);
        assert_eq!(parse_start_at_from("2026-12-01T10:00:00,000000000+00:00", now).unwrap(), z);
        let frac = parse_start_at_from("2026-12-01T10:00:00.25Z", now).unwrap();
        assert_eq!(frac.duration_since(z).unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn start_at_refuses_garbage_and_far_futures_in_one_line() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_115_600); // 2026-12-01T09:00:00Z
        for bad in ["tomorrow", "2026-12-01", "2026-12-01T10:00:00", "2026-13-01T10:00:00Z"] {
            let e = parse_start_at_from(bad, now).unwrap_err();
            assert!(e.contains("RFC 3339") && !e.contains('\n'), "{e}");
        }
        let e = parse_start_at_from("2030-01-01T00:00:00Z", now).unwrap_err();
        assert!(e.contains("more than a day ahead"), "{e}");
    }

    #[test]
    fn labels_take_prometheus_names_and_one_line_values_once_each() {
        assert_eq!(parse_label("gpu=h100").unwrap(), ("gpu".to_string(), "h100".to_string()));
        assert_eq!(parse_label("_build_2=a=b c").unwrap().1, "a=b c");
        assert_eq!(parse_label("empty=").unwrap().1, "");
        for bad in ["gpu", "2gpu=x", "gpu-type=x", "=x", "__name=x", "g\u{e9}=x", "k=a\nb"] {
            let e = parse_label(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
        assert!(parse_label(&format!("k={}", "x".repeat(MAX_LABEL_VALUE + 1))).is_err());
        let twice = [("a".to_string(), "1".to_string()), ("a".to_string(), "2".to_string())];
        assert!(labels(&twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn listen_addresses_are_ip_and_port_or_localhost() {
        assert_eq!(parse_listen_addr("127.0.0.1:5665").unwrap().to_string(), "127.0.0.1:5665");
        assert_eq!(parse_listen_addr("localhost:0").unwrap().to_string(), "127.0.0.1:0");
        assert_eq!(parse_listen_addr("[::1]:80").unwrap().to_string(), "[::1]:80");
        for bad in ["5665", "example.com:80", "localhost:http", "127.0.0.1:70000", ""] {
            let e = parse_listen_addr(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
