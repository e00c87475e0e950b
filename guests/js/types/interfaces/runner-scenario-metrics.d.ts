/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/metrics@0.4.0' {
  /**
   * Adds a sample to the trend (histogram) `name`. Values must be ≥ 0; three decimals are kept.
   */
  export function trend(name: string, value: number, tags: Tags): void;
  /**
   * Adds `delta` to the counter `name`.
   */
  export function count(name: string, delta: bigint, tags: Tags): void;
  /**
   * Records a pass or a fail of the check `name`; returns `ok` so it can be used inline.
   */
  export function check(name: string, ok: boolean, tags: Tags): boolean;
  /**
   * Declares a pass/fail criterion on the run's results, in the syntax of `--threshold`
   * (e.g. `ttft:p95<200ms`, `errors:rate==0`); judged at the end with the command line's.
   * Call it from `drive`. Since 0.1.1.
   */
  export function threshold(expression: string): void;
  export type Tags = import('runner:scenario/types@0.4.0').Tags;
}
