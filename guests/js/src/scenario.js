// The scenario's self-description (`info`), the per-iteration `Context`, and `scenario()`, which
// turns three plain functions into the component's `guest` export.

import { iterationSeed } from "./prompt.js";
import { ScenarioError, messageOf } from "./util.js";

/** A scenario's self-description, built fluently: `info("probe", "0.1.0", "…").param(…)`. */
export class Info {
  constructor(name, version, description) {
    this.name = String(name);
    this.version = String(version);
    this.description = String(description);
    /** `[name, default, help]` for every parameter, in declaration order. */
    this.params = [];
  }

  /** Declares a parameter with its default value (given when `--param` does not set it). */
  param(name, fallback, help) {
    this.params.push([String(name), String(fallback), String(help)]);
    return this;
  }

  /** Declares the parameters every LLM scenario shares: `model`, `stream` and `extra_body`. */
  llmParams() {
    return this.param("model", "", "Model name sent to the server; empty leaves the field out.")
      .param("stream", "true", "Stream the answer (server-sent events); needed for TTFT and ITL.")
      .param("extra_body", "", 'JSON object merged into every request body, e.g. {"ignore_eos":true}.');
  }

  /** The WIT `info` record. */
  toRaw() {
    return {
      name: this.name,
      version: this.version,
      description: this.description,
      params: this.params.map(([name, fallback, help]) => ({ name, default: fallback, help })),
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
