/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/guest@0.1.1' {
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
  export type Tags = import('runner:scenario/types@0.1.1').Tags;
  /**
   * A parameter the scenario accepts through `runner play --param name=value`.
   */
  export interface Param {
    name: string,
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
    version: string,
    description: string,
    params: Array<Param>,
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
