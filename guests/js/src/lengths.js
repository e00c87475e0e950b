// Token lengths from a distribution, for prompts and answers: `256`, `128..512`,
// `normal(256,64)`, `normal(256,64,128..512)` or `dataset:NAME` (the Rust SDK's `lengths`,
// drawing the same length for the same seed; rules in runner-contract's `lengths`).

import * as data from "./data.js";
import * as params from "./params.js";
import * as prompt from "./prompt.js";
import { mix } from "./seed.js";
import { ScenarioError } from "./util.js";

const MAX_U32 = 2 ** 32 - 1;
const SECOND = 0x6a09e667f3bcc909n;
const HELP = "(write 256, 128..512, normal(256,64), normal(256,64,128..512) or dataset:NAME)";

function count(text) {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) > MAX_U32) throw new ScenarioError(`${JSON.stringify(t)} is not a token count ${HELP}`);
  return Number(t);
}

function number(text) {
  const v = Number(text.trim());
  if (text.trim() === "" || !Number.isFinite(v) || v < 0) {
    throw new ScenarioError(`${JSON.stringify(text.trim())} is not a non-negative number ${HELP}`);
  }
  return v;
}

function range(text) {
  const at = text.indexOf("..");
  if (at < 0) throw new ScenarioError(`${JSON.stringify(text)} is not a range LO..HI ${HELP}`);
  const [lo, hi] = [count(text.slice(0, at)), count(text.slice(at + 2))];
  if (lo > hi) throw new ScenarioError(`the range ${lo}..${hi} is empty ${HELP}`);
  return [lo, hi];
}

/** Rust's `f64::round`: halves away from zero. */
const roundHalfAway = (v) => (v >= 0 ? Math.floor(v + 0.5) : Math.ceil(v - 0.5));

/** A parsed length spec: `kind` is "fixed", "uniform", "normal" or "dataset". */
export class Lengths {
  constructor(kind, fields) {
    this.kind = kind;
    Object.assign(this, fields);
  }

  /** Parses a spec; throws naming what is wrong. */
  static parse(text) {
    const t = String(text).trim();
    if (t.startsWith("dataset:")) {
      const name = t.slice("dataset:".length).trim();
      if (name === "") throw new ScenarioError(`dataset: needs a dataset name ${HELP}`);
      return new Lengths("dataset", { name });
    }
    if (t.startsWith("normal(") && t.endsWith(")")) {
      const args = t.slice("normal(".length, -1);
      const parts = args.split(",");
      if (parts.length < 2) throw new ScenarioError(`${JSON.stringify(t)} needs a mean and a standard deviation ${HELP}`);
      const mean = number(parts[0]);
      const sd = number(parts[1]);
      const [lo, hi] = parts.length > 2 ? range(parts.slice(2).join(",")) : [1, Math.min(Math.ceil(mean + 6 * sd), MAX_U32)];
      return new Lengths("normal", { mean, sd, lo: Math.max(lo, 1), hi: Math.max(hi, 1) });
    }
    if (t.includes("..")) {
      const [lo, hi] = range(t);
      return new Lengths("uniform", { lo, hi });
    }
    return new Lengths("fixed", { n: count(t) });
  }

  /** The length for `seed` (a BigInt or number); `undefined` for a dataset spec. */
  draw(seed) {
    const s = BigInt(seed) & ((1n << 64n) - 1n);
    switch (this.kind) {
      case "fixed":
        return this.n;
      case "uniform":
        return this.lo + Number(mix(s) % BigInt(this.hi - this.lo + 1));
      case "normal": {
        const u1 = Number((mix(s) >> 11n) + 1n) / 2 ** 53;
        const u2 = Number(mix(s ^ SECOND) >> 11n) / 2 ** 53;
        const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        return Math.min(Math.max(roundHalfAway(this.mean + this.sd * z), this.lo), this.hi);
      }
      default:
        return undefined;
    }
  }

  /** The row of a dataset of `rows` rows that `seed` draws. */
  static row(seed, rows) {
    return rows === 0 ? 0 : Number(mix(BigInt(seed) & ((1n << 64n) - 1n)) % BigInt(rows));
  }
}

/** Parameter `name` as a length distribution; throws naming the parameter and the value. */
export function param(name) {
  const value = params.get(name);
  if (value === undefined) throw new ScenarioError(`parameter \`${name}\` is not set`);
  try {
    return Lengths.parse(value);
  } catch (e) {
    throw new ScenarioError(`parameter \`${name}\`: invalid value ${JSON.stringify(value)}: ${e.message}`);
  }
}

/**
 * The length `lengths` gives for `seed`; `dataset:NAME` draws a row and takes its answer length,
 * or its prompt's token count when it holds none.
 */
export function draw(lengths, seed) {
  if (lengths.kind === "dataset") {
    const row = data.get(lengths.name, Lengths.row(seed, data.len(lengths.name)));
    return row.outputTokens ?? prompt.countTokens(row.prompt);
  }
  return lengths.draw(seed);
}
