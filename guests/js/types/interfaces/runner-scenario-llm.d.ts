/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/llm@0.4.0' {
  export function call(req: Request): Completion;
  /**
   * Sends every request at once and answers when all are done, the results in the requests'
   * order: an agent's parallel sub-requests, joined. Each is built, timed and recorded exactly
   * as by `call` (a failed one is its own `error`, the others go on). At most 256 requests,
   * whose synthetic prompts add up to at most 2^20 tokens; a list past either bound is refused
   * whole, each request answered `invalid-request`. Since 0.4.0.
   */
  export function callMany(reqs: Array<Request>): Array<Result<Completion, Error>>;
  export function embed(req: EmbeddingRequest): Embedding;
  export type Tags = import('runner:scenario/types@0.4.0').Tags;
  export type Message = import('runner:scenario/types@0.4.0').Message;
  export type Headers = import('runner:scenario/types@0.4.0').Headers;
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
  /**
   * How the answer-length limit is named in the body.
   * # Variants
   * 
   * ## `"max-tokens"`
   * 
   * `max_tokens`: every OpenAI-compatible server.
   * ## `"max-completion-tokens"`
   * 
   * `max_completion_tokens`: OpenAI's newer chat name (vLLM and OpenAI accept it).
   */
  export type MaxTokensField = 'max-tokens' | 'max-completion-tokens';
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
     * The body field that carries `max-tokens`.
     */
    maxTokensField: MaxTokensField,
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
     * Headers for this request only (e.g. `x-session-id` for session affinity), sent after
     * the run's (`--header`, the API key); one of the same name replaces the run's.
     */
    headers: Headers,
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
   * One tool call the model asked for, its streamed pieces joined.
   */
  export interface ToolCall {
    id: string,
    /**
     * The function's name.
     */
    name: string,
    /**
     * The arguments as the model wrote them (JSON text, not checked).
     */
    arguments: string,
  }
  /**
   * A finished call, timed by the host (milliseconds from the moment the request was sent).
   */
  export interface Completion {
    status: number,
    /**
     * The answer's content (reasoning not included).
     */
    text: string,
    finishReason?: string,
    /**
     * Time to the first chunk that carries any generated token: content, reasoning or a
     * tool call (streaming only).
     */
    ttftMs?: number,
    /**
     * Time to the first output token: content or a tool call, reasoning excluded
     * (streaming only). Equal to TTFT for a model that does not reason.
     */
    ttfoMs?: number,
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
    /**
     * Chunks that carried reasoning (`reasoning_content` / `reasoning`) and no content.
     */
    reasoningChunks: number,
    /**
     * The server's `usage.completion_tokens_details.reasoning_tokens`, when sent.
     */
    reasoningTokens?: number,
    /**
     * The server's `usage.prompt_tokens_details.cached_tokens` (prefix-cache hits), when sent.
     */
    cachedTokens?: number,
    /**
     * The tool calls of the first choice (`delta.tool_calls` / `message.tool_calls`).
     */
    toolCalls: Array<ToolCall>,
  }
  /**
   * One embeddings call (`/v1/embeddings`): the texts go out as one batch (`input` a list).
   */
  export interface EmbeddingRequest {
    /**
     * The model name; none means the run's model (as for `request`).
     */
    model?: string,
    /**
     * The texts, when `prompt-source` is `inline`.
     */
    inputs: Array<string>,
    /**
     * `inline` sends `inputs`; a dataset row or a synthetic prompt sends `batch` texts made
     * by the host: rows `index`, `index + 1`, … or seeds `seed`, `seed + 1`, ….
     */
    promptSource: PromptSource,
    /**
     * How many texts a non-inline `prompt-source` makes (at least 1).
     */
    batch: number,
    /**
     * A JSON object whose fields are merged into the request body.
     */
    extraBody?: string,
    headers: Headers,
    timeoutMs?: bigint,
    tags: Tags,
  }
  /**
   * A finished embeddings call.
   */
  export interface Embedding {
    status: number,
    /**
     * Time to the last byte.
     */
    e2eMs: number,
    /**
     * The server's `usage.prompt_tokens`, when sent.
     */
    inputTokens?: number,
    /**
     * Vectors returned (one per text).
     */
    vectors: number,
    /**
     * The length of the first vector (0 when none, or when sent as base64).
     */
    dimensions: number,
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
   * ## `"server-error"`
   * 
   * The server answered 2xx but reported an error in the body or mid-stream
   * (`{"error": …}`).
   * ## `"other"`
   */
  export type ErrorClass = 'connect' | 'timeout' | 'http-status' | 'reset' | 'malformed-stream' | 'invalid-request' | 'denied' | 'server-error' | 'other';
  export interface Error {
    'class': ErrorClass,
    /**
     * The HTTP status, when one was received.
     */
    status?: number,
    message: string,
  }
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
