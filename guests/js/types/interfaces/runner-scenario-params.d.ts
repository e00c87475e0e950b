declare module 'runner:scenario/params@0.4.0' {
  /**
   * The value of parameter `name`: the one given on the command line, else the default the
   * scenario declared in `describe`, else none.
   */
  export function get(name: string): string | undefined;
  /**
   * The base URL of the server under test (`--target`, or the built-in simulated server).
   */
  export function target(): string;
  /**
   * The run's random seed (`--seed`, recorded in the summary) so random choices can be replayed.
   */
  export function seed(): bigint;
}
