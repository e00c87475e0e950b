/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/llm@0.2.0' {
  export function call(req: Request): Completion;
  export type Tags = import('runner:scenario/types@0.2.0').Tags;
  export type Message = import('runner:scenario/types@0.2.0').Message;
  /**
   * # Variants
   * 
   * ## `"chat"`
   * 
   * `/v1/chat/completions` with `messages`.
   * ## `"completions"`
   * 
   * `/v1/completions` with `prompt`.
   */
  export type Api = 'chat' | 'completions';
  /**
   * Row `index` (modulo the dataset's length) of dataset `name`.
   */
  export interface DatasetRow {
    name: string,
    index: bigint,
  }
  /**
   * A prompt of `tokens` tokens, the same text for the same `seed`.
   */
  export interface SyntheticPrompt {
    tokens: number,
    seed: bigint,
  }
  /**
   * Where the prompt of a request comes from. Dataset rows and synthetic prompts are filled in
   * by the host, so long prompts never cross into the guest and back.
   */
  export type PromptSource = PromptSourceInline | PromptSourceDataset | PromptSourceSynthetic;
  /**
   * `messages` (api = chat) or `prompt` (api = completions), as given in the request.
   */
  export interface PromptSourceInline {
    tag: 'inline',
  }
  /**
   * A row of a dataset handed to the run with `--data` (see the `data` interface).
   */
  export interface PromptSourceDataset {
    tag: 'dataset',
    val: DatasetRow,
  }
  /**
   * A synthetic prompt (see `data.synthetic-prompt`).
   */
  export interface PromptSourceSynthetic {
    tag: 'synthetic',
    val: SyntheticPrompt,
  }
  export interface Request {
    api: Api,
    /**
     * The model name; none means the `model` parameter, else the field is left out.
     */
    model?: string,
    /**
     * The conversation (api = chat).
     */
    messages: Array<Message>,
    /**
     * The prompt (api = completions).
     */
    prompt: string,
    /**
     * Where the prompt comes from; anything but `inline` replaces `prompt`, or the non-system
     * `messages`.
     */
    promptSource: PromptSource,
    /**
     * None means the dataset row's answer length when the prompt comes from a dataset row
     * that has one, else the field is left out.
     */
    maxTokens?: number,
    /**
     * Stream the answer as server-sent events (needed for TTFT and ITL).
     */
    stream: boolean,
    /**
     * A JSON object whose fields are merged into the request body
     * (e.g. `{"temperature":0,"ignore_eos":true}`).
     */
    extraBody?: string,
    /**
     * Per-request timeout; none means the run's default (`--timeout`).
     */
    timeoutMs?: bigint,
    /**
     * Tags for this request's metrics, added to the phase's tags.
     */
    tags: Tags,
  }
  /**
   * Where `output-tokens` came from.
   * # Variants
   * 
   * ## `"usage"`
   * 
   * The server's `usage` object.
   * ## `"counted"`
   * 
   * Counted by the host: one token per content chunk.
   */
  export type TokenSource = 'usage' | 'counted';
  /**
   * A finished call, timed by the host (milliseconds from the moment the request was sent).
   */
  export interface Completion {
    status: number,
    text: string,
    finishReason?: string,
    /**
     * Time to the first content chunk (streaming only).
     */
    ttftMs?: number,
    /**
     * Time to the second content chunk (streaming only).
     */
    ttstMs?: number,
    /**
     * Time to the last byte.
     */
    e2eMs: number,
    /**
     * (e2e − ttft) / (output-tokens − 1), streaming with at least two tokens only.
     */
    tpotMs?: number,
    /**
     * The gaps between consecutive content chunks.
     */
    chunkGapsMs: Float64Array,
    /**
     * Content chunks received.
     */
    chunks: number,
    inputTokens?: number,
    outputTokens: number,
    outputTokensSource: TokenSource,
    /**
     * The server's count, when it sent `usage`.
     */
    usageOutputTokens?: number,
    /**
     * The host's count (content chunks, or 0 when not streaming).
     */
    countedOutputTokens: number,
  }
  /**
   * # Variants
   * 
   * ## `"connect"`
   * 
   * The connection could not be opened.
   * ## `"timeout"`
   * 
   * No complete answer within the timeout (including a stall mid-stream).
   * ## `"http-status"`
   * 
   * The server answered with a non-2xx status.
   * ## `"reset"`
   * 
   * The connection was closed or reset before the answer was complete.
   * ## `"malformed-stream"`
   * 
   * The body was not valid JSON or server-sent events as the API defines them.
   * ## `"invalid-request"`
   * 
   * The request could not be built (bad extra-body, bad URL).
   * ## `"denied"`
   * 
   * The destination is not allowed for this run.
   * ## `"other"`
   */
  export type ErrorClass = 'connect' | 'timeout' | 'http-status' | 'reset' | 'malformed-stream' | 'invalid-request' | 'denied' | 'other';
  export interface Error {
    'class': ErrorClass,
    /**
     * The HTTP status, when one was received.
     */
    status?: number,
    message: string,
  }
}
