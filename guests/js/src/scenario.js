// The scenario's self-description (`info`), the per-iteration `Context`, and `scenario()`, which
// turns three plain functions into the component's `guest` export.

import { iterationSeed } from "./seed.js";
import { ScenarioError, messageOf, parseDuration } from "./util.js";

/**
 * The kind a default value suggests (the Rust SDK's `ParamKind::of_default`): `true`/`false` →
 * "boolean", `64` → "integer", `0.5` → "number", `1,2,4` → "integer-list", `10s` → "duration",
 * anything else (and "") → "text".
 */
export function kindOfDefault(fallback) {
  const d = String(fallback).trim();
  // Whole numbers that fit an i64, as Rust's `parse::<i64>` takes them.
  const isInt = (t) => /^[+-]?[0-9]+$/.test(t.trim()) && BigInt.asIntN(64, BigInt(t)) === BigInt(t);
  if (d === "") return "text";
  if (d.toLowerCase() === "true" || d.toLowerCase() === "false") return "boolean";
  if (isInt(d)) return "integer";
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(d) || /^[+-]?(inf|infinity|nan)$/i.test(d)) {
    return "number";
  }
  if (d.includes(",") && d.split(",").every(isInt)) return "integer-list";
  if (/^[0-9]/.test(d)) {
    try {
      parseDuration(d);
      return "duration";
    } catch {
      return "text";
    }
  }
  return "text";
}

const KINDS = ["text", "integer", "number", "boolean", "duration", "integer-list"];

/** A scenario's self-description, built fluently: `info("probe", "0.1.0", "…").param(…)`. */
export class Info {
  constructor(name, version, description) {
    this.name = String(name);
    this.version = String(version);
    this._author = "";
    this.description = String(description);
    /** `{name, kind, default, help}` for every parameter, in declaration order. */
    this.params = [];
    /** Pass/fail criteria in `--threshold` syntax, judged at the end of every run. */
    this.thresholds = [];
  }

  /** Says who wrote the scenario, e.g. "Inference team <infra@example.com>". */
  author(author) {
    this._author = String(author);
    return this;
  }

  /**
   * Declares a parameter whose kind follows from its default (see `kindOfDefault`); use
   * `typedParam` when the default would mislead (a text parameter whose default is "42").
   */
  param(name, fallback, help) {
    return this.typedParam(name, kindOfDefault(fallback), fallback, help);
  }

  /** Declares a parameter of an explicit kind ("text", "integer", "number", "boolean", "duration", "integer-list"). */
  typedParam(name, kind, fallback, help) {
    if (!KINDS.includes(kind)) throw new ScenarioError(`parameter \`${name}\`: unknown kind ${JSON.stringify(kind)} (${KINDS.join(", ")})`);
    this.params.push({ name: String(name), kind, default: String(fallback), help: String(help) });
    return this;
  }

  /**
   * Declares a pass/fail criterion in `--threshold` syntax (e.g. "errors:rate<0.01"), shown by
   * `runner inspect` and judged at the end of every run. Criteria that depend on parameters are
   * declared from `drive` with `metrics.threshold`.
   */
  threshold(expression) {
    this.thresholds.push(String(expression));
    return this;
  }

  /** Declares the parameters every LLM scenario shares: `model`, `stream`, `ignore_eos` and `extra_body`. */
  llmParams() {
    return this.typedParam("model", "text", "", "Model name sent to the server; empty leaves the field out.")
      .param("stream", "true", "Stream the answer (server-sent events); needed for TTFT and ITL.")
      .param(
        "ignore_eos",
        "true",
        'Ask for exactly max_tokens tokens ("ignore_eos": true; vLLM, SGLang, llama.cpp); false for servers that refuse unknown fields (OpenAI\'s).',
      )
      .typedParam("extra_body", "text", "", 'JSON object merged into every request body, e.g. {"ignore_eos":true}.');
  }

  /** The WIT `info` record. */
  toRaw() {
    return {
      name: this.name,
      version: this.version,
      author: this._author,
      description: this.description,
      params: this.params.map((p) => ({ ...p })),
      thresholds: [...this.thresholds],
    };
  }
}

/** Starts a description with no parameters. */
export function info(name, version, description) {
  return new Info(name, version, description);
}

/** Where an iteration runs: its phase, the phase's tags, the VU and the iteration number. */
export class Context {
  constructor(raw) {
    this.phase = raw.phase;
    /** The phase's tags as `[key, value]` pairs. */
    this.tags = raw.tags;
    this.vu = Number(raw.vu);
    this.iteration = Number(raw.iteration);
  }

  /** The value of the phase tag `key`, or `undefined`. */
  tag(key) {
    const found = this.tags.find(([k]) => k === key);
    return found ? found[1] : undefined;
  }

  /** The phase tag `key` as a number; the error names the tag and the value. */
  tagNumber(key) {
    const value = this.tag(key);
    if (value === undefined) throw new ScenarioError(`phase \`${this.phase}\` has no tag \`${key}\``);
    const n = value.trim() === "" ? NaN : Number(value);
    if (Number.isNaN(n)) {
      throw new ScenarioError(`tag \`${key}\` of phase \`${this.phase}\`: invalid value ${JSON.stringify(value)}`);
    }
    return n;
  }

  /**
   * A seed unique to this iteration, derived from the run's seed (a BigInt), so random choices
   * differ between iterations but replay identically with the same `--seed`.
   */
  seed(runSeed) {
    return iterationSeed(runSeed, this.vu, this.iteration);
  }
}

// A WIT `result<_, string>` export fails by throwing a string: whatever the scenario threw
// (an Error, a string, an LlmError) becomes its message.
function guarded(f) {
  return (...args) => {
    try {
      f(...args);
    } catch (e) {
      throw messageOf(e);
    }
  };
}

/**
 * The component's `guest` export from a scenario's three functions:
 *
 *     export const guest = scenario({ describe() {…}, drive() {…}, iteration(ctx) {…} });
 *
 * `describe` returns an `Info` (or the raw record); `drive` and `iteration` fail by throwing.
 */
export function scenario({ describe, drive, iteration }) {
  for (const [name, f] of Object.entries({ describe, drive, iteration })) {
    if (typeof f !== "function") throw new ScenarioError(`scenario(): \`${name}\` must be a function`);
  }
  return {
    describe() {
      const d = describe();
      return d instanceof Info ? d.toRaw() : d;
    },
    drive: guarded(drive),
    iteration: guarded((ctx) => iteration(new Context(ctx))),
  };
}
