// Run parameters (`--param name=value`), the target URL and the run's seed, with parsing
// helpers whose errors name the parameter and the value (as the Rust SDK's `params`).

import * as raw from "runner-sdk:raw";
import { ScenarioError, parseDuration, parseFlag } from "./util.js";

function missing(name) {
  return new ScenarioError(
    `parameter \`${name}\` is not set (declare it in \`describe\` or pass --param ${name}=...)`,
  );
}

function invalid(name, value, reason) {
  return new ScenarioError(`parameter \`${name}\`: invalid value ${JSON.stringify(value)}: ${reason}`);
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

/** Parses one value as a number; `integer` rejects fractions. `name` only labels the error. */
export function parseNumber(name, value, integer = false) {
  const text = String(value).trim();
  const n = text === "" ? NaN : Number(text);
  if (Number.isNaN(n)) throw invalid(name, value, "not a number");
  if (integer && !Number.isInteger(n)) throw invalid(name, value, "not a whole number");
  return n;
}

/** The value of `name` as a number. */
export function number(name) {
  return parseNumber(name, require(name));
}

/** The value of `name` as a whole number (≥ 0 unless `signed`). */
export function int(name, { signed = false } = {}) {
  const value = require(name);
  const n = parseNumber(name, value, true);
  if (!signed && n < 0) throw invalid(name, value, "must not be negative");
  return n;
}

/** Parses a comma-separated list with `item` ("20,24,32"); empty is [], an empty item an error. */
export function parseList(name, value, item = (s) => s) {
  if (String(value).trim() === "") return [];
  return String(value)
    .split(",")
    .map((part) => {
      const p = part.trim();
      if (p === "") throw invalid(name, value, "empty item in comma-separated list");
      try {
        return item(p);
      } catch (e) {
        throw invalid(name, value, `item ${JSON.stringify(p)}: ${e.message ?? e}`);
      }
    });
}

/** A comma-separated list of strings. */
export function list(name) {
  return parseList(name, require(name));
}

/** A comma-separated list of whole numbers ≥ 0 ("20,24,32,48,64"). */
export function intList(name) {
  return parseList(name, require(name), (p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) throw new ScenarioError("not a whole number ≥ 0");
    return n;
  });
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
