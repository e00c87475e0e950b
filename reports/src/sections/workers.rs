//! The "Workers" section of a merged run (`runner merge`): who ran which share, how far apart
//! they started each phase, and which worker — not the server — set the pace; and the one line
//! that says a worker's own report is one share of a distributed run.

use crate::document::{Align, Document, Text};
use crate::format::{self, NONE};
use crate::model::{SegmentInfo, Summary};

/// "0/4 on node-3, asked to start at …, started 12.0 ms late".
pub(crate) fn segment_line(s: &SegmentInfo) -> String {
    let mut line = s.label();
    if !s.host.is_empty() {
        line.push_str(&format!(" on {}", s.host));
    }
    if let Some(at) = &s.start_at {
        line.push_str(&format!(", asked to start at {at}"));
    }
    if let Some(late) = s.start_late_ms {
        line.push_str(&format!(", started {} ms late", format::ms(late)));
    }
    line
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_string(), format::ms)
}

fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| NONE.to_string(), |p| format!("{p:.0} %"))
}

pub(crate) fn workers(doc: &mut Document, s: &Summary) {
    let Some(d) = &s.distributed else { return };
    use Align::{Left as L, Right as R};
    doc.heading(2, "Workers");
    doc.paragraph(format!(
        "{} worker(s) merged by `runner merge`; each phase starts at its earliest worker's start.",
        d.workers.len()
    ));
    let rows: Vec<Vec<String>> = d
        .workers
        .iter()
        .map(|w| {
            vec![
                w.segment.clone(),
                if w.host.is_empty() { NONE.to_string() } else { w.host.clone() },
                w.started_at.clone(),
                opt_ms(w.start_late_ms),
            ]
        })
        .collect();
    doc.table(&[("Segment", L), ("Host", L), ("Started", L), ("Start late (ms)", R)], rows);
    for p in &d.phases {
        let mut head =
            Text::plain(format!("Phase {}: start skew {} ms", p.phase, format::ms(p.start_skew_ms)));
        if let Some(seg) = &p.paced_by {
            head = head
                .then(". ")
                .then(Text::strong(format!("Worker {seg}, not the server, set the pace (see the notes).")));
        }
        doc.paragraph(head);
        let rows: Vec<Vec<Text>> = p
            .workers
            .iter()
            .map(|w| {
                let seg = if p.paced_by.as_deref() == Some(w.segment.as_str()) {
                    Text::strong(format!("{} (paced)", w.segment))
                } else {
                    Text::plain(w.segment.clone())
                };
                vec![
                    seg,
                    format::ms(w.start_offset_ms).into(),
                    format::count(w.requests).into(),
                    format::errors(w.errors, w.requests).into(),
                    format::count(w.dropped).into(),
                    opt_ms(w.dispatch_lag_p99_ms).into(),
                    opt_pct(w.cpu_pct).into(),
                ]
            })
            .collect();
        doc.table(
            &[
                ("Segment", L),
                ("Start offset (ms)", R),
                ("Requests", R),
                ("Errors", R),
                ("Dropped", R),
                ("Dispatch lag p99 (ms)", R),
                ("CPU (% of a core)", R),
            ],
            rows,
        );
    }
}

/// The console's lines for a merged run: per phase, one line per worker.
pub(crate) fn console_lines(s: &Summary) -> Vec<String> {
    let Some(d) = &s.distributed else { return Vec::new() };
    let mut lines = vec![format!("workers: {} merged", d.workers.len())];
    for p in &d.phases {
        let paced = p.paced_by.as_ref().map(|seg| format!("; worker {seg}, not the server, set the pace"));
        lines.push(format!(
            "  {}: start skew {} ms{}",
            p.phase,
            format::ms(p.start_skew_ms),
            paced.unwrap_or_default()
        ));
        for w in &p.workers {
            lines.push(format!(
                "    {:<8} +{:>8} ms  {:>9} req  lag p99 {:>8} ms  cpu {:>6}",
                w.segment,
                format::ms(w.start_offset_ms),
                format::count(w.requests),
                opt_ms(w.dispatch_lag_p99_ms),
                opt_pct(w.cpu_pct)
            ));
        }
    }
    lines
}
