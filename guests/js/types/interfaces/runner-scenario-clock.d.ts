declare module 'runner:scenario/clock@0.4.0' {
  /**
   * Milliseconds since the run started.
   */
  export function nowMs(): number;
  /**
   * Suspends the calling VU (or the controller) for `ms` milliseconds; other VUs go on.
   */
  export function sleepMs(ms: number): void;
}
