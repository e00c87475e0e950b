//! The "## Thresholds" section of `report.md`: the verdict on each `--threshold`, near the top
//! because it is what a CI reader looks for first. Left out when no thresholds were set.

use std::fmt::Write as _;

use super::{Align, table};
use crate::model::Summary;
use crate::thresholds::observed_text;

pub(super) fn thresholds(out: &mut String, s: &Summary) {
    if s.thresholds.is_empty() {
        return;
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    out.push_str("## Thresholds\n\n");
    let total = s.thresholds.len();
    if failed == 0 {
        let _ = writeln!(out, "All {total} passed.\n");
    } else {
        let _ = writeln!(out, "**{failed} of {total} failed.**\n");
    }
    let rows: Vec<Vec<String>> = s
        .thresholds
        .iter()
        .map(|t| {
            let mark = if t.passed { "✅" } else { "❌" };
            let result = match &t.note {
                Some(note) => format!("{mark} {note}"),
                None => mark.to_string(),
            };
            vec![format!("`{}`", t.expression), t.scope.clone(), observed_text(t), result]
        })
        .collect();
    table(
        out,
        &[
            ("Threshold", Align::Left),
            ("Scope", Align::Left),
            ("Observed", Align::Right),
            ("Result", Align::Left),
        ],
        &rows,
    );
}
