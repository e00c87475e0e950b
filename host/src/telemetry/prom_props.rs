//! Property tests of the Prometheus text parser ([`super::prom::parse`]): any text never panics
//! and yields only well-formed series; a well-formed exposition, surrounded by noise, yields its
//! series exactly. Bounded so the file runs in well under a second.

use proptest::prelude::*;

use super::prom::{Series, parse};

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_:][a-zA-Z0-9_:]{0,30}"
}

fn label() -> impl Strategy<Value = (String, String)> {
    ("[a-zA-Z_][a-zA-Z0-9_]{0,10}", "[a-zA-Z0-9 ._/-]{0,12}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_parses_without_panicking(text in "\\PC{0,400}") {
        for s in parse(&text) {
            prop_assert!(!s.name.is_empty());
        }
    }

    #[test]
    fn well_formed_series_survive_noise(
        series in proptest::collection::vec((name(), proptest::collection::vec(label(), 0..3), -1e9f64..1e9), 1..8),
        noise in proptest::collection::vec("# [^\n]{0,30}", 0..4),
    ) {
        let mut text = String::new();
        for comment in &noise {
            text.push_str(comment);
            text.push('\n');
        }
        for (name, labels, value) in &series {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            if labels.is_empty() {
                text.push_str(&format!("{name} {value}\n"));
            } else {
                text.push_str(&format!("{name}{{{}}} {value}\n", labels.join(",")));
            }
        }
        let parsed: Vec<Series> = parse(&text);
        prop_assert_eq!(parsed.len(), series.len());
        for (got, (name, labels, value)) in parsed.iter().zip(&series) {
            prop_assert_eq!(&got.name, name);
            prop_assert_eq!(&got.labels, labels);
            prop_assert!((got.value - value).abs() <= value.abs() * 1e-12);
        }
    }
}
