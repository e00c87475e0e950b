//! `contract/cases.json`, the cases every SDK is checked against, for this crate's tests; and
//! its error classes and messages against [`crate::llm`] and [`crate::http`].

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

#[test]
fn error_classes_and_messages() {
    use crate::{http, llm};
    // Every class, in the WIT's order.
    let llm_classes = {
        use llm::ErrorClass::*;
        [Connect, Timeout, HttpStatus, Reset, MalformedStream, InvalidRequest, Denied, ServerError, Other]
    };
    let http_classes = {
        use http::ErrorClass::*;
        [Connect, Timeout, Reset, InvalidRequest, Denied, Other]
    };
    let cases = cases();
    assert_eq!(llm_classes.map(llm::class_name).to_vec(), list(&cases["error_classes"], "llm"));
    assert_eq!(http_classes.map(http::class_name).to_vec(), list(&cases["error_classes"], "http"));
    for case in list(&cases["error_messages"], "cases") {
        let (class, message) = (text(case, "class"), text(case, "message").to_owned());
        let printed = if text(case, "interface") == "llm" {
            let class = llm_classes.into_iter().find(|c| llm::class_name(*c) == class).expect("a class");
            let status = case["status"].as_u64().map(|s| u16::try_from(s).expect("a u16"));
            String::from(llm::LlmError { class, status, message })
        } else {
            let class = http_classes.into_iter().find(|c| http::class_name(*c) == class).expect("a class");
            String::from(http::HttpError { class, message })
        };
        assert_eq!(printed, text(case, "text"), "{case}");
    }
}
