// Run parameters (`--param name=value`), the target URL and the run's seed, with parsing
// helpers whose errors name the parameter and the value (as the Rust SDK's `params`).

import * as raw from "runner-sdk:raw";
import {
  ScenarioError,
  invalidParam as invalid,
  parseDuration,
  parseFlag,
  parseIntList,
  parseInteger,
  parseList,
  parseNumber,
} from "./util.js";

export { parseList, parseNumber } from "./util.js";

function missing(name) {
  return new ScenarioError(
    `parameter \`${name}\` is not set (declare it in \`describe\` or pass --param ${name}=...)`,
  );
}

/** The value of `name`: from the command line, else the declared default, else `undefined`. */
export function get(name) {
  return raw.params.get(name) ?? undefined;
}

/** The value of `name`, or `fallback` when it is not set. */
export function getOr(name, fallback) {
  return get(name) ?? fallback;
}

function require(name) {
  const value = get(name);
  if (value === undefined) throw missing(name);
  return value;
}

/** The value of `name` as a number. */
export function number(name) {
  return parseNumber(name, require(name));
}

/** The value of `name` as a whole number (≥ 0 unless `signed`). */
export function int(name, { signed = false } = {}) {
  return parseInteger(name, require(name), { signed });
}

/** A comma-separated list of strings. */
export function list(name) {
  return parseList(name, require(name));
}

/** A comma-separated list of whole numbers ≥ 0 ("20,24,32,48,64"). */
export function intList(name) {
  return parseIntList(name, require(name));
}

/** A duration ("500ms", "10s", "2m", "1h", "1m30s"), in milliseconds. */
export function duration(name) {
  const value = require(name);
  try {
    return parseDuration(value);
  } catch (e) {
    throw invalid(name, value, e.message);
  }
}

/** A yes/no switch: true/false, 1/0, yes/no, on/off. */
export function flag(name) {
  const value = require(name);
  const f = parseFlag(value);
  if (f === undefined) throw invalid(name, value, "expected true or false");
  return f;
}

/** The base URL of the server under test. */
export function target() {
  return raw.params.target();
}

/**
 * The run's random seed, as a BigInt. (QuickJS carries u64 values as numbers, so seeds above
 * 2^53 arrive rounded: still the same for the same `--seed`, but not bit-equal to the Rust SDK's.)
 */
export function seed() {
  return BigInt(raw.params.seed());
}
