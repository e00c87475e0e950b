//! Custom metrics, attributed by the host to the calling VU's phase and tags.

use crate::bindings::runner::scenario::metrics as raw;
use crate::owned_tags;

/// Adds a sample (≥ 0) to the trend (histogram) `name`.
pub fn trend(name: &str, value: f64) {
    raw::trend(name, value, &[]);
}

/// Adds a sample to the trend `name` with extra tags.
pub fn trend_tagged(name: &str, value: f64, tags: &[(&str, &str)]) {
    raw::trend(name, value, &owned_tags(tags));
}

/// Adds `delta` to the counter `name`.
pub fn count(name: &str, delta: u64) {
    raw::count(name, delta, &[]);
}

/// Adds `delta` to the counter `name` with extra tags.
pub fn count_tagged(name: &str, delta: u64, tags: &[(&str, &str)]) {
    raw::count(name, delta, &owned_tags(tags));
}

/// Records a pass or fail of the check `name` and returns `ok`, so it can be used inline.
pub fn check(name: &str, ok: bool) -> bool {
    raw::check(name, ok, &[])
}

/// Records a check with extra tags.
pub fn check_tagged(name: &str, ok: bool, tags: &[(&str, &str)]) -> bool {
    raw::check(name, ok, &owned_tags(tags))
}

/// Declares a pass/fail criterion on the run's results, in `--threshold` syntax
/// (`"ttft:p95<200ms"`, `"errors:rate==0"`): the host judges it at the end with the command
/// line's, and a failure makes `runner play` exit 99. Call it from `drive`; a malformed
/// expression is an error naming what is wrong.
pub fn threshold(expression: &str) -> Result<(), String> {
    raw::threshold(expression)
}
