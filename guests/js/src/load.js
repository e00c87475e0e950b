// Load phases: builders for the WIT `phase` record and the calls that hand them to the host's
// executors (`run`, `start`/`wait`, `snapshot`, and `sweep` over levels). Mirrors the Rust SDK's
// `load` module: `phase.constantVus("c20", 20, "30s").tag("concurrency", 20)`.

import * as raw from "runner-sdk:raw";
import { ScenarioError, payloadOf, toMs } from "./util.js";

/** The VU cap of open-loop phases unless `.maxVus(n)` says otherwise. */
export const DEFAULT_MAX_VUS = 100;

/** A phase to run: a name, an executor, tags and a graceful-stop time. */
export class Phase {
  /** Prefer the builders of `phase` (`phase.constantVus`, `phase.rate`, …). */
  constructor(name, executor) {
    this.name = String(name);
    this.executor = executor;
    this.tags = [];
    this.gracefulStopMs = undefined;
  }

  /** Adds a tag given to every iteration and attached to every metric of the phase. */
  tag(key, value) {
    this.tags.push([String(key), String(value)]);
    return this;
  }

  /** How long in-flight iterations may run on after the phase's time is up (host default 30 s). */
  gracefulStop(duration) {
    this.gracefulStopMs = toMs(duration);
    return this;
  }

  /** Caps the VUs of an open-loop phase; no effect on other executors. */
  maxVus(n) {
    if (this.#openLoop()) this.executor.val.maxVus = n;
    return this;
  }

  #openLoop() {
    return this.executor.tag.endsWith("arrival-rate") || this.executor.tag === "scheduled";
  }

  /** Spaces an open-loop phase's arrivals as a Poisson process (seeded from the run's seed). */
  poisson() {
    return this.arrival("poisson");
  }

  /**
   * Gamma-distributed gaps of this burstiness (vLLM's `--burstiness`): 1 is Poisson, below 1
   * burstier, above 1 more even; the mean rate stays the phase's.
   */
  burstiness(factor) {
    return this.arrival({ tag: "gamma", val: Number(factor) });
  }

  /**
   * How an open-loop phase spaces its arrivals: "uniform", "poisson" or `{tag: "gamma", val: b}`;
   * no effect on other executors.
   */
  arrival(arrival) {
    const a = typeof arrival === "string" ? { tag: arrival } : arrival;
    if (this.executor.tag.endsWith("arrival-rate")) this.executor.val.arrival = a;
    return this;
  }

  /** Bounds an iteration-count phase (`iterations`, `shared`) in time as well. */
  maxDuration(duration) {
    if (this.executor.tag === "constant-vus") this.executor.val.durationMs = toMs(duration);
    if (this.executor.tag === "shared-iterations") this.executor.val.maxDurationMs = toMs(duration);
    return this;
  }

  /** The WIT record, in the engine's conventions (u64, option). */
  toRaw() {
    const opt = (v) => (v === undefined ? raw.none : raw.u64(v));
    const e = this.executor;
    const v = e.val;
    let val;
    switch (e.tag) {
      case "constant-vus":
        val = { vus: v.vus, durationMs: opt(v.durationMs), iterationsPerVu: opt(v.iterationsPerVu) };
        break;
      case "ramping-vus":
        val = { startVus: v.startVus, stages: v.stages.map((s) => ({ durationMs: raw.u64(s.durationMs), target: s.target })) };
        break;
      case "constant-arrival-rate":
        val = { rate: v.rate, durationMs: raw.u64(v.durationMs), maxVus: v.maxVus, arrival: v.arrival };
        break;
      case "ramping-arrival-rate":
        val = {
          startRate: v.startRate,
          stages: v.stages.map((s) => ({ durationMs: raw.u64(s.durationMs), target: s.target })),
          maxVus: v.maxVus,
          arrival: v.arrival,
        };
        break;
      case "burst":
        val = { count: v.count };
        break;
      case "scheduled":
        val = { offsetsMs: v.offsetsMs, maxVus: v.maxVus };
        break;
      case "shared-iterations":
        val = { vus: v.vus, iterations: raw.u64(v.iterations), maxDurationMs: opt(v.maxDurationMs) };
        break;
      case "pause":
        val = raw.u64(v);
        break;
      default:
        throw new ScenarioError(`unknown executor ${e.tag}`);
    }
    return {
      name: this.name,
      executor: { tag: e.tag, val },
      tags: this.tags,
      gracefulStopMs: opt(this.gracefulStopMs),
    };
  }
}

/** Builders for each executor; durations are milliseconds or text ("30s"). */
export const phase = {
  /** Closed loop: `vus` VUs run iterations back to back for `duration`. */
  constantVus: (name, vus, duration) =>
    new Phase(name, { tag: "constant-vus", val: { vus, durationMs: toMs(duration), iterationsPerVu: undefined } }),
  /** Closed loop: `vus` VUs each run `perVu` iterations back to back. */
  iterations: (name, vus, perVu) =>
    new Phase(name, { tag: "constant-vus", val: { vus, durationMs: undefined, iterationsPerVu: perVu } }),
  /** `vus` VUs share `total` iterations, each taking the next as soon as it is free. */
  shared: (name, vus, total) =>
    new Phase(name, { tag: "shared-iterations", val: { vus, iterations: total, maxDurationMs: undefined } }),
  /** Closed loop whose VU count moves linearly through `[duration, target]` stages. */
  ramp: (name, startVus, stages) =>
    new Phase(name, {
      tag: "ramping-vus",
      val: { startVus, stages: stages.map(([d, target]) => ({ durationMs: toMs(d), target })) },
    }),
  /** Open loop: `perSec` evenly spaced arrivals per second for `duration`. */
  rate: (name, perSec, duration) =>
    new Phase(name, {
      tag: "constant-arrival-rate",
      val: { rate: perSec, durationMs: toMs(duration), maxVus: DEFAULT_MAX_VUS, arrival: { tag: "uniform" } },
    }),
  /** Open loop whose rate moves linearly through `[duration, target per second]` stages. */
  rampRate: (name, startPerSec, stages) =>
    new Phase(name, {
      tag: "ramping-arrival-rate",
      val: {
        startRate: startPerSec,
        stages: stages.map(([d, target]) => ({ durationMs: toMs(d), target })),
        maxVus: DEFAULT_MAX_VUS,
        arrival: { tag: "uniform" },
      },
    }),
  /**
   * Open loop on a recorded schedule (a trace): iteration `i` starts `offsetsMs[i] / speedup`
   * milliseconds after the phase starts and its context's `iteration` is `i`. Offsets must not
   * decrease; `data.arrivalOffsets(name)` gives a trace dataset's.
   */
  scheduled: (name, offsetsMs, speedup = 1) =>
    new Phase(name, {
      tag: "scheduled",
      val: { offsetsMs: Array.from(offsetsMs, (ms) => Number(ms) / speedup), maxVus: DEFAULT_MAX_VUS },
    }),
  /** `n` iterations started at the same instant, one per VU. */
  burst: (name, n) => new Phase(name, { tag: "burst", val: { count: n } }),
  /** An idle gap: no traffic for `duration`. */
  pause: (name, duration) => new Phase(name, { tag: "pause", val: toMs(duration) }),
};

/** Converts a phase summary's u64 fields to numbers whatever the engine gave. */
function summary(s) {
  const out = { ...s };
  for (const k of ["iterations", "failedIterations", "droppedIterations", "requests", "errors"]) {
    out[k] = Number(s[k]);
  }
  for (const k of ["ttft", "itl", "e2e"]) out[k] = { ...s[k], count: Number(s[k].count) };
  return out;
}

function call(f) {
  try {
    return f();
  } catch (e) {
    throw new ScenarioError(String(payloadOf(e)));
  }
}

/** Runs a phase to its end (only from `drive`) and returns its summary. */
export function run(p) {
  return summary(call(() => raw.load.run(p.toRaw())));
}

/** A phase started with `start`, running beside the controller. */
export class Handle {
  constructor(id, name) {
    this.id = id;
    this.name = name;
  }

  /** Waits for the phase to end and returns its summary. */
  wait() {
    return summary(call(() => raw.load.wait(this.id)));
  }

  /** The live results of the phase so far. */
  snapshot() {
    return snapshot(this.name);
  }
}

/** Starts a phase and returns at once with a `Handle`; phases may overlap. */
export function start(p) {
  return new Handle(call(() => raw.load.start(p.toRaw())), p.name);
}

/** The live results of a running (or finished) phase, by name; `undefined` if there is none. */
export function snapshot(name) {
  const s = raw.load.snapshot(name);
  return s == null ? undefined : summary(s);
}

/** Runs one phase per level, in turn, and returns their summaries in the same order. */
export function sweep(levels, phaseFor) {
  return Array.from(levels, (level) => run(phaseFor(level)));
}
