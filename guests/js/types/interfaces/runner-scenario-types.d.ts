declare module 'runner:scenario/types@0.2.0' {
  /**
   * Key/value labels attached to phases, requests and metrics. Reports group results by them.
   */
  export type Tags = Array<[string, string]>;
  /**
   * One turn of a conversation, as OpenAI's chat API has it.
   */
  export interface Message {
    /**
     * `system`, `user` or `assistant`.
     */
    role: string,
    content: string,
  }
}
