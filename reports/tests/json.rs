//! summary.json: round trip, and the schema-version rule.

mod fixture;

use runner_reports::{ReportError, SCHEMA_VERSION, Summary};

#[test]
fn json_round_trips_exactly() {
    let s = fixture::summary();
    let text = s.to_json();
    let back = Summary::from_json(&text).expect("own output must parse");
    assert_eq!(back, s);
    // Pretty-printed, with the field names the schema document promises.
    assert!(text.contains("\n  \"schema_version\": 1,"), "{text}");
    assert!(text.contains("\"lag_p99_ms\": 120.0"));
    assert!(text.contains("\"custom:queue_depth\""));
}

#[test]
fn a_newer_schema_version_is_refused_with_both_versions_named() {
    let mut value: serde_json::Value = serde_json::from_str(&fixture::summary().to_json()).unwrap();
    value["schema_version"] = serde_json::json!(SCHEMA_VERSION + 1);
    let err = Summary::from_json(&value.to_string()).unwrap_err();
    match &err {
        ReportError::UnsupportedVersion { found, supported, .. } => {
            assert_eq!(*found, u64::from(SCHEMA_VERSION + 1));
            assert_eq!(*supported, SCHEMA_VERSION);
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("schema_version 2"), "{msg}");
    assert!(msg.contains("reads version 1"), "{msg}");
    assert!(msg.contains("newer runner"), "{msg}");
}

#[test]
fn version_zero_and_a_missing_version_are_refused() {
    let mut value: serde_json::Value = serde_json::from_str(&fixture::summary().to_json()).unwrap();
    value["schema_version"] = serde_json::json!(0);
    assert!(matches!(
        Summary::from_json(&value.to_string()),
        Err(ReportError::UnsupportedVersion { found: 0, .. })
    ));
    value.as_object_mut().unwrap().remove("schema_version");
    assert!(matches!(Summary::from_json(&value.to_string()), Err(ReportError::MissingVersion)));
    assert!(matches!(Summary::from_json("not json"), Err(ReportError::Json(_))));
}

#[test]
fn additive_fields_are_tolerated_and_optional_collections_default() {
    // A same-version file from a newer runner may carry fields this build does not know.
    let mut value: serde_json::Value = serde_json::from_str(&fixture::summary().to_json()).unwrap();
    value["gpu"] = serde_json::json!({"util": 55.9});
    value["phases"][0]["future_field"] = serde_json::json!(true);
    value.as_object_mut().unwrap().remove("notes");
    let back = Summary::from_json(&value.to_string()).expect("additive changes keep the version");
    assert!(back.notes.is_empty());
    assert_eq!(back.phases[0].name, "short-c20");
}

#[test]
fn a_wrong_shape_is_a_json_error_naming_the_field() {
    let mut value: serde_json::Value = serde_json::from_str(&fixture::summary().to_json()).unwrap();
    value["phases"][0]["requests"] = serde_json::json!("many");
    let err = Summary::from_json(&value.to_string()).unwrap_err();
    assert!(matches!(err, ReportError::Json(_)));
    assert!(err.to_string().contains("invalid type"), "{err}");
}

#[test]
fn the_model_is_recorded_with_its_source_and_absent_when_there_is_none() {
    use runner_reports::{ModelSource, RunModel};
    let plain = fixture::summary().to_json();
    assert!(!plain.contains("\"model\": {"), "no model, no field: {plain}");
    let mut s = fixture::summary();
    s.model = Some(RunModel { name: "qwen".into(), source: ModelSource::Discovered });
    let text = s.to_json();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["model"], serde_json::json!({"name": "qwen", "source": "discovered"}));
    assert_eq!(Summary::from_json(&text).expect("parses").model, s.model);
    // A file written before the field existed loads with none.
    assert_eq!(Summary::from_json(&plain).expect("parses").model, None);
}
