//! The one place that assembles a run's [`Summary`]: the header, the phases, and the notes in a
//! fixed order — why the run ended early first (drive failed, a threshold aborted it, an
//! interrupt), then what went wrong around it, then what each phase raised — and the thresholds:
//! the command line's first, then those the scenario declared, each expression judged once.

use std::time::Duration;

use runner_reports::{PhaseReport, Summary, Threshold};

/// Collects the parts of a summary in any order and builds it in the fixed one.
#[derive(Default)]
pub struct SummaryBuilder {
    header: Summary,
    duration: Duration,
    phases: Vec<PhaseReport>,
    drive_error: Option<String>,
    /// Why the run stopped before `drive` finished: a threshold abort or an interrupt.
    stopped_early: Option<String>,
    /// Problems of the run's machinery (phases that failed to run, an incomplete time series).
    run_notes: Vec<String>,
    phase_notes: Vec<String>,
    thresholds: Vec<Threshold>,
    /// What the reader must see first (`Summary::headline`).
    headline: Option<String>,
}

impl SummaryBuilder {
    /// Starts from the run's header (`run.json`).
    pub fn new(header: Summary, duration: Duration) -> Self {
        Self { header, duration, ..Self::default() }
    }

    /// The phases' reports, in start order, and the notes they raise.
    pub fn phases(&mut self, phases: Vec<PhaseReport>, notes: Vec<String>) -> &mut Self {
        self.phases.extend(phases);
        self.phase_notes.extend(notes);
        self
    }

    /// What `drive` recorded itself, outside any phase: a row after the phases.
    pub fn drive_row(&mut self, report: PhaseReport) -> &mut Self {
        self.phases.push(report);
        self
    }

    pub fn drive_error(&mut self, error: Option<String>) -> &mut Self {
        self.drive_error = error.map(|e| format!("drive() failed: {e}"));
        self
    }

    /// Why the run stopped early, when it did.
    pub fn stopped_early(&mut self, why: Option<String>) -> &mut Self {
        self.stopped_early = why;
        self
    }

    /// The warning every rendering puts first (e.g. that nothing reached the server).
    pub fn headline(&mut self, headline: Option<String>) -> &mut Self {
        self.headline = headline;
        self
    }

    /// A problem of the run itself (not of one phase).
    pub fn run_note(&mut self, note: String) -> &mut Self {
        self.run_notes.push(note);
        self
    }

    /// The thresholds to judge: `given` first, then each of `declared` whose expression is new.
    pub fn thresholds(&mut self, given: &[Threshold], declared: Vec<Threshold>) -> &mut Self {
        let mut all = given.to_vec();
        for d in declared {
            if !all.iter().any(|t| t.expression == d.expression) {
                all.push(d);
            }
        }
        self.thresholds = all;
        self
    }

    /// The summary, its thresholds judged on it.
    pub fn build(self) -> Summary {
        let notes = self
            .drive_error
            .into_iter()
            .chain(self.stopped_early)
            .chain(self.run_notes)
            .chain(self.phase_notes)
            .collect();
        let mut summary = Summary {
            duration_s: self.duration.as_secs_f64(),
            phases: self.phases,
            notes,
            headline: self.headline,
            ..self.header
        };
        summary.thresholds = runner_reports::thresholds::evaluate(&self.thresholds, &summary);
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threshold(expression: &str) -> Threshold {
        runner_reports::thresholds::parse(expression).expect("a valid threshold")
    }

    #[test]
    fn notes_come_in_their_fixed_order_whatever_the_order_they_were_given_in() {
        let mut b = SummaryBuilder::new(Summary::default(), Duration::from_secs(1));
        b.phases(Vec::new(), vec!["phase p: iteration failed: x".into()])
            .run_note("the time series is incomplete: disk full".into())
            .stopped_early(Some("the run was interrupted".into()))
            .drive_error(Some("boom".into()));
        assert_eq!(
            b.build().notes,
            [
                "drive() failed: boom",
                "the run was interrupted",
                "the time series is incomplete: disk full",
                "phase p: iteration failed: x"
            ]
        );
    }

    #[test]
    fn the_command_lines_thresholds_come_first_and_each_expression_is_judged_once() {
        let mut b = SummaryBuilder::new(Summary::default(), Duration::ZERO);
        b.thresholds(
            &[threshold("errors:rate==0")],
            vec![threshold("ttft:p95<200ms"), threshold("errors:rate==0")],
        );
        let judged: Vec<String> = b.build().thresholds.into_iter().map(|t| t.expression).collect();
        assert_eq!(judged, ["errors:rate==0", "ttft:p95<200ms"]);
    }
}
