/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/guest@0.4.0' {
  /**
   * Describes the scenario. Must not call any import but `log`.
   */
  export function describe(): Info;
  /**
   * Runs once, in the controller instance: scripts the load by calling `load.run` / `load.start`.
   */
  export function drive(): void;
  /**
   * One VU's unit of work. An error marks the iteration as failed; the VU goes on.
   */
  export function iteration(ctx: IterationContext): void;
  export type Tags = import('runner:scenario/types@0.4.0').Tags;
  /**
   * What values a parameter takes. `runner play` checks every `--param` against its kind
   * before any traffic is sent, and `runner inspect` shows it.
   * # Variants
   * 
   * ## `"text"`
   * 
   * Any text.
   * ## `"integer"`
   * 
   * A whole number, e.g. `64` or `-1`.
   * ## `"number"`
   * 
   * A number, e.g. `0.5` or `12`.
   * ## `"boolean"`
   * 
   * `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
   * ## `"duration"`
   * 
   * A duration such as `500ms`, `10s`, `2m`, `1h` or `1m30s`.
   * ## `"integer-list"`
   * 
   * A comma-separated list of whole numbers, e.g. `1,2,4,8`.
   */
  export type ParamKind = 'text' | 'integer' | 'number' | 'boolean' | 'duration' | 'integer-list';
  /**
   * A parameter the scenario accepts through `runner play --param name=value`.
   */
  export interface Param {
    name: string,
    kind: ParamKind,
    /**
     * The value used when the parameter is not given.
     */
    'default': string,
    help: string,
  }
  /**
   * What `runner inspect` prints and what `runner play` validates `--param`s against.
   */
  export interface Info {
    name: string,
    /**
     * The scenario's own version (not the WIT package's).
     */
    version: string,
    /**
     * Who wrote it and how to reach them, e.g. `Inference team <infra@example.com>`.
     */
    author: string,
    description: string,
    params: Array<Param>,
    /**
     * Pass/fail criteria that hold whatever the parameters, in the syntax of `--threshold`
     * (e.g. `errors:rate<0.01`). Criteria that depend on parameters are declared from
     * `drive` with `metrics.threshold`.
     */
    thresholds: Array<string>,
  }
  /**
   * Where one iteration runs: which phase, with which tags, on which VU.
   */
  export interface IterationContext {
    /**
     * The name of the phase this iteration belongs to.
     */
    phase: string,
    /**
     * The phase's tags, as given by `drive`.
     */
    tags: Tags,
    /**
     * The VU's number inside its phase, from 0.
     */
    vu: number,
    /**
     * The iteration's number inside its phase, from 0.
     */
    iteration: bigint,
  }
}
