//! The Thresholds section of the report: the verdict on each `--threshold`, near the top
//! because it is what a CI reader looks for first. Left out when no thresholds were set.

use crate::document::{Align, Document, Text};
use crate::model::Summary;
use crate::thresholds::observed_text;

pub(super) fn thresholds(doc: &mut Document, s: &Summary) {
    if s.thresholds.is_empty() {
        return;
    }
    let failed = s.thresholds.iter().filter(|t| !t.passed).count();
    doc.heading(2, "Thresholds");
    let total = s.thresholds.len();
    if failed == 0 {
        doc.paragraph(format!("All {total} passed."));
    } else {
        doc.paragraph(Text::strong(format!("{failed} of {total} failed.")));
    }
    let rows: Vec<Vec<Text>> = s
        .thresholds
        .iter()
        .map(|t| {
            let mark = if t.passed { "✅" } else { "❌" };
            let result = match &t.note {
                Some(note) => format!("{mark} {note}"),
                None => mark.to_string(),
            };
            vec![
                Text::code(t.expression.as_str()),
                t.scope.as_str().into(),
                observed_text(t).into(),
                result.into(),
            ]
        })
        .collect();
    doc.table(
        &[
            ("Threshold", Align::Left),
            ("Scope", Align::Left),
            ("Observed", Align::Right),
            ("Result", Align::Left),
        ],
        rows,
    );
}
