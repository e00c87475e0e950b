//! Live outputs of a run: where results go while it runs.

pub mod dashboard;
