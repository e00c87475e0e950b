declare module 'runner:scenario/types@0.4.0' {
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
    /**
     * Images sent with `content` (vision models): each an `https://` or `data:` URL. With
     * any, the message's content goes out as content parts (`text`, then one `image_url`
     * per image); with none, as a plain string.
     */
    images: Array<string>,
  }
  /**
   * HTTP header names and values, in order.
   */
  export type Headers = Array<[string, string]>;
}
