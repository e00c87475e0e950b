/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/load@0.4.0' {
  /**
   * Runs a phase to its end. Only `drive` may call it.
   */
  export function run(phase: Phase): PhaseSummary;
  /**
   * Starts a phase and returns at once with a handle for `wait`; phases may overlap.
   */
  export function start(phase: Phase): number;
  /**
   * Waits for a started phase to end.
   */
  export function wait(handle: number): PhaseSummary;
  /**
   * The live results of a running (or finished) phase, by name.
   */
  export function snapshot(name: string): PhaseSummary | undefined;
  export type Tags = import('runner:scenario/types@0.4.0').Tags;
  /**
   * How an open-loop phase spaces its arrivals. Whatever the spacing, the mean rate is the
   * phase's.
   */
  export type Arrival = ArrivalUniform | ArrivalPoisson | ArrivalGamma;
  /**
   * Evenly spaced.
   */
  export interface ArrivalUniform {
    tag: 'uniform',
  }
  /**
   * Exponential gaps (a Poisson process), seeded from the run's seed.
   */
  export interface ArrivalPoisson {
    tag: 'poisson',
  }
  /**
   * Gamma-distributed gaps with this shape, the burstiness factor of vLLM's benchmark
   * (`--burstiness`): 1 is Poisson, below 1 burstier, above 1 more even. Seeded like
   * `poisson`.
   */
  export interface ArrivalGamma {
    tag: 'gamma',
    val: number,
  }
  /**
   * Closed loop: `vus` VUs each run iterations back to back until the duration is over or
   * each has run `iterations-per-vu` (at least one of the two must be given).
   */
  export interface ConstantVus {
    vus: number,
    durationMs?: bigint,
    iterationsPerVu?: bigint,
  }
  /**
   * Move linearly to `target` VUs over `duration-ms`.
   */
  export interface VuStage {
    durationMs: bigint,
    target: number,
  }
  /**
   * Closed loop with a VU count that follows the stages.
   */
  export interface RampingVus {
    startVus: number,
    stages: Array<VuStage>,
  }
  /**
   * Open loop: `rate` iterations per second for `duration-ms`, on at most `max-vus` VUs.
   * An arrival that finds no free VU is dropped and counted.
   */
  export interface ConstantArrivalRate {
    rate: number,
    durationMs: bigint,
    maxVus: number,
    arrival: Arrival,
  }
  /**
   * Move linearly to `target` iterations per second over `duration-ms`.
   */
  export interface RateStage {
    durationMs: bigint,
    target: number,
  }
  /**
   * Open loop with a rate that follows the stages.
   */
  export interface RampingArrivalRate {
    startRate: number,
    stages: Array<RateStage>,
    maxVus: number,
    arrival: Arrival,
  }
  /**
   * Open loop on a recorded schedule (a production trace): iteration `i` starts
   * `offsets-ms[i]` after the phase starts, whatever the server does, and its context's
   * `iteration` is `i` (so it can read row `i` of the trace). Offsets must not decrease. A
   * start that finds no free VU is dropped and counted; lateness is measured from the
   * recorded instant. The phase lasts until the last offset.
   */
  export interface Scheduled {
    offsetsMs: Float64Array,
    maxVus: number,
  }
  /**
   * `count` iterations started at the same instant, one per VU.
   */
  export interface Burst {
    count: number,
  }
  /**
   * `vus` VUs share `iterations` iterations in total, each taking the next as soon as it is free.
   */
  export interface SharedIterations {
    vus: number,
    iterations: bigint,
    maxDurationMs?: bigint,
  }
  export type Executor = ExecutorConstantVus | ExecutorRampingVus | ExecutorConstantArrivalRate | ExecutorRampingArrivalRate | ExecutorBurst | ExecutorSharedIterations | ExecutorScheduled | ExecutorPause;
  export interface ExecutorConstantVus {
    tag: 'constant-vus',
    val: ConstantVus,
  }
  export interface ExecutorRampingVus {
    tag: 'ramping-vus',
    val: RampingVus,
  }
  export interface ExecutorConstantArrivalRate {
    tag: 'constant-arrival-rate',
    val: ConstantArrivalRate,
  }
  export interface ExecutorRampingArrivalRate {
    tag: 'ramping-arrival-rate',
    val: RampingArrivalRate,
  }
  export interface ExecutorBurst {
    tag: 'burst',
    val: Burst,
  }
  export interface ExecutorSharedIterations {
    tag: 'shared-iterations',
    val: SharedIterations,
  }
  export interface ExecutorScheduled {
    tag: 'scheduled',
    val: Scheduled,
  }
  /**
   * An idle gap of this many milliseconds: no traffic.
   */
  export interface ExecutorPause {
    tag: 'pause',
    val: bigint,
  }
  export interface Phase {
    /**
     * Unique within the run; reports have one row per phase.
     */
    name: string,
    executor: Executor,
    /**
     * Given to every iteration of the phase and attached to its metrics.
     */
    tags: Tags,
    /**
     * How long in-flight iterations may run on after the phase's time is up
     * (default 30 s); iterations still running then are interrupted and counted.
     */
    gracefulStopMs?: bigint,
  }
  /**
   * Percentiles of one latency metric, in milliseconds.
   */
  export interface Latency {
    count: bigint,
    meanMs: number,
    p50Ms: number,
    p95Ms: number,
    p99Ms: number,
    maxMs: number,
  }
  /**
   * A phase's results so far (from `snapshot`) or in full (from `run` / `wait`).
   */
  export interface PhaseSummary {
    name: string,
    elapsedMs: number,
    iterations: bigint,
    failedIterations: bigint,
    /**
     * Open loop: arrivals that found no free VU.
     */
    droppedIterations: bigint,
    inFlight: number,
    requests: bigint,
    errors: bigint,
    requestsPerSecond: number,
    outputTokensPerSecond: number,
    ttft: Latency,
    itl: Latency,
    e2e: Latency,
  }
}
