declare module 'runner:scenario/types@0.1.1' {
  /**
   * Key/value labels attached to phases, requests and metrics. Reports group results by them.
   */
  export type Tags = Array<[string, string]>;
}
