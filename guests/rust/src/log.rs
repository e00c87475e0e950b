//! Messages to the run's log; the host prefixes them with the phase and VU.

use crate::bindings::runner::scenario::log as raw;

pub use raw::Level;

/// Logs `message` at `level`.
pub fn log(level: Level, message: &str) {
    raw::log(level, message);
}

/// Logs a debug message.
pub fn debug(message: &str) {
    log(Level::Debug, message);
}

/// Logs an informational message.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Logs a warning.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// Logs an error.
pub fn error(message: &str) {
    log(Level::Error, message);
}
