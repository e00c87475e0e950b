//! runner-contract against `cases.json`, the cases the JS and Python SDKs are held to as well;
//! and `cases.json`'s error classes against the WIT.

use std::time::Duration;

use runner_contract::params::{Kind, check_kind, parse_flag, parse_list, parse_value};
use runner_contract::{duration, seed};
use serde_json::Value;

fn cases() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/cases.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().unwrap_or_else(|| panic!("cases.json: `{key}` is not a list")).as_slice()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("cases.json: `{key}` of {v} is not text"))
}

fn micros(ms: &Value) -> u128 {
    let ms = ms.as_f64().unwrap_or_else(|| panic!("cases.json: {ms} is not milliseconds"));
    (ms * 1_000.0).round() as u128
}

#[test]
fn durations() {
    let d = &cases()["durations"];
    for case in list(d, "valid") {
        let t = text(case, "text");
        let parsed = duration::parse(t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
        assert_eq!(parsed.as_micros(), micros(&case["ms"]), "{t:?}");
        assert_eq!(check_kind("duration", t), Ok(()), "{t:?}");
    }
    for case in list(d, "invalid") {
        let (t, want) = (text(case, "text"), text(case, "error"));
        let err = duration::parse(t).expect_err(t).to_string();
        assert!(err.contains(want), "{t:?}: {err:?} should contain {want:?}");
        assert_eq!(check_kind("duration", t), Err(err), "{t:?}");
    }
    assert_eq!(duration::parse("1m30s"), Ok(Duration::from_secs(90)));
}

/// The error of the reader `kind` maps to, for values the host refuses.
fn read_error(kind: Kind, name: &str, value: &str) -> Option<String> {
    match kind {
        Kind::Integer => parse_value::<i64>(name, value).err().map(String::from),
        Kind::Number => parse_value::<f64>(name, value).err().map(String::from),
        Kind::IntegerList => parse_list::<i64>(name, value).err().map(String::from),
        _ => None,
    }
}

fn parsed_as(kind: Kind, value: &str) -> Value {
    match kind {
        Kind::Integer => parse_value::<i64>("p", value).map(Value::from).expect(value),
        Kind::Number => parse_value::<f64>("p", value).map(Value::from).expect(value),
        Kind::Boolean => parse_flag(value).map(Value::from).expect(value),
        Kind::IntegerList => parse_list::<i64>("p", value).map(Value::from).expect(value),
        Kind::Text | Kind::Duration => Value::from(value),
    }
}

#[test]
fn values_by_kind() {
    let values = &cases()["values"];
    let kinds = values.as_object().expect("values");
    for (kind_name, cases) in kinds.iter().filter(|(k, _)| *k != "about") {
        let kind = Kind::from_name(kind_name).unwrap_or_else(|| panic!("no kind {kind_name:?}"));
        for case in cases.as_array().expect("a list of cases") {
            let value = text(case, "value");
            let name = case["name"].as_str().unwrap_or("p");
            let checked = check_kind(kind_name, value);
            if case["valid"] == Value::Bool(true) {
                assert_eq!(checked, Ok(()), "{kind_name} {value:?}");
                if let Some(want) = case.get("parsed") {
                    let want = if kind == Kind::Number {
                        want.as_f64().map(Value::from)
                    } else {
                        Some(want.clone())
                    };
                    assert_eq!(Some(parsed_as(kind, value)), want, "{kind_name} {value:?}");
                }
            } else {
                assert!(checked.is_err(), "{kind_name} {value:?} should be refused");
                if let Some(err) = read_error(kind, name, value) {
                    let prefix = format!("parameter `{name}`: invalid value {value:?}");
                    assert!(err.starts_with(&prefix), "{err:?} should start with {prefix:?}");
                    let want = case["error"].as_str().unwrap_or("");
                    assert!(err.contains(want), "{err:?} should contain {want:?}");
                }
            }
        }
    }
}

#[test]
fn text_lists() {
    let l = &cases()["text_lists"];
    for case in list(l, "valid") {
        let value = text(case, "value");
        let items = parse_list::<String>("l", value).expect(value);
        assert_eq!(Value::from(items), case["items"], "{value:?}");
    }
    for case in list(l, "invalid") {
        let value = text(case, "value");
        let err = parse_list::<String>("l", value).expect_err(value).to_string();
        assert!(err.contains(text(case, "error")), "{err:?}");
    }
}

#[test]
fn kinds_follow_defaults_and_accept_them() {
    for case in list(&cases()["kind_of_default"], "cases") {
        let default = text(case, "default");
        let kind = Kind::of_default(default);
        assert_eq!(kind.name(), text(case, "kind"), "{default:?}");
        assert_eq!(kind.check(default), Ok(()), "{default:?} under {}", kind.name());
    }
}

fn u64_of(v: &Value, key: &str) -> u64 {
    text(v, key).parse().unwrap_or_else(|e| panic!("cases.json: `{key}` of {v}: {e}"))
}

#[test]
fn seeds() {
    let s = &cases()["seeds"];
    for case in list(s, "mix") {
        assert_eq!(seed::mix(u64_of(case, "seed")), u64_of(case, "mixed"), "{case}");
    }
    for case in list(s, "iteration") {
        let vu = case["vu"].as_u64().and_then(|v| u32::try_from(v).ok()).expect("vu");
        let iteration = case["iteration"].as_u64().expect("iteration");
        let derived = seed::iteration_seed(u64_of(case, "run_seed"), vu, iteration);
        assert_eq!(derived, u64_of(case, "seed"), "{case}");
    }
    let u32_of = |case: &serde_json::Value, key: &str| {
        case[key].as_u64().and_then(|v| u32::try_from(v).ok()).unwrap_or_else(|| panic!("{key} of {case}"))
    };
    for case in list(s, "prefix") {
        let derived = seed::prefix_seed(u64_of(case, "run_seed"), u32_of(case, "group"));
        assert_eq!(derived, u64_of(case, "seed"), "{case}");
    }
    for case in list(s, "prefix_group") {
        let n = case["n"].as_u64().expect("n");
        assert_eq!(seed::prefix_group(n, u32_of(case, "groups")), u32_of(case, "group"), "{case}");
    }
}

/// The names of `enum error-class` in `wit/<file>`, in order.
fn wit_error_classes(file: &str) -> Vec<String> {
    let path = format!("{}/../wit/{file}", env!("CARGO_MANIFEST_DIR"));
    let wit = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let body = wit.split("enum error-class {").nth(1);
    let body = body.unwrap_or_else(|| panic!("{path} has no `enum error-class`"));
    // Line by line up to the closing brace: a doc comment may hold braces (`{"error": …}`).
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .take_while(|l| !l.starts_with('}'))
        .map(|l| l.trim_end_matches(',').to_owned())
        .collect()
}

#[test]
fn error_classes_are_the_wit_enums() {
    let classes = &cases()["error_classes"];
    for (interface, file) in [("llm", "llm.wit"), ("http", "http.wit")] {
        let listed: Vec<&str> =
            list(classes, interface).iter().map(|c| c.as_str().expect("a name")).collect();
        assert_eq!(listed, wit_error_classes(file), "cases.json error_classes.{interface} vs wit/{file}");
    }
}

#[test]
fn lengths() {
    use runner_contract::lengths::Lengths;
    let l = &cases()["lengths"];
    let seed = |v: &Value| -> u64 { v.as_str().and_then(|s| s.parse().ok()).expect("a u64 seed as text") };
    for case in list(l, "draws") {
        let spec = text(case, "spec");
        let lengths = Lengths::parse(spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        for (s, want) in list(case, "seeds").iter().zip(list(case, "lengths")) {
            assert_eq!(lengths.draw(seed(s)).map(u64::from), want.as_u64(), "{spec:?} seed {s}");
        }
    }
    for case in list(l, "rows") {
        let rows = case["rows"].as_u64().expect("rows");
        assert_eq!(Some(Lengths::row(seed(&case["seed"]), rows)), case["row"].as_u64(), "{case}");
    }
    for bad in list(l, "invalid") {
        let t = bad.as_str().expect("text");
        assert!(Lengths::parse(t).is_err(), "{t:?} parses");
    }
}
