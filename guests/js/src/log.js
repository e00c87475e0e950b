// Messages to the run's log; the host prefixes them with the phase and VU.

import * as raw from "runner-sdk:raw";

/** Logs `message` at `level` ("debug", "info", "warn" or "error"). */
export function log(level, message) {
  raw.log.log(level, String(message));
}

/** Logs a debug message. */
export const debug = (message) => log("debug", message);
/** Logs an informational message. */
export const info = (message) => log("info", message);
/** Logs a warning. */
export const warn = (message) => log("warn", message);
/** Logs an error. */
export const error = (message) => log("error", message);
