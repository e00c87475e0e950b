//! `contract/cases.json`, the cases every SDK is checked against, for this crate's tests.

use serde_json::Value;

pub fn cases() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contract/cases.json");
    let json = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The list under `key`.
pub fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map_or(&[], Vec::as_slice)
}

/// The text under `key`.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("cases.json: `{key}` of {v} is not text"))
}
