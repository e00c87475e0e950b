/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/data@0.4.0' {
  /**
   * How many rows dataset `name` has; an error when the run has no such dataset.
   */
  export function len(name: string): bigint;
  /**
   * Row `index` (modulo the dataset's length) of dataset `name`.
   */
  export function get(name: string, index: bigint): Row;
  /**
   * The whole conversation of row `index` (modulo the dataset's length) of dataset `name`.
   */
  export function getConversation(name: string, index: bigint): Conversation;
  /**
   * When each row of a timestamped dataset (a trace: Mooncake, Azure, BurstGPT) was sent,
   * in milliseconds after its first row, in row order; an error for a dataset without times.
   */
  export function arrivalOffsets(name: string): Float64Array;
  /**
   * A prompt of `tokens` tokens, the same text for the same `seed`: exact when the run has a
   * tokenizer (`--tokenizer tokenizer.json`), else common English words, about one token each.
   */
  export function syntheticPrompt(tokens: number, seed: bigint): string;
  /**
   * The number of tokens in `text`: exact with `--tokenizer`, else an estimate (words and
   * punctuation).
   */
  export function countTokens(text: string): number;
  export type Message = import('runner:scenario/types@0.4.0').Message;
  /**
   * One row of a dataset.
   */
  export interface Row {
    /**
     * The first user turn (ShareGPT) or the row's prompt (JSONL).
     */
    prompt: string,
    /**
     * The conversation up to and including the first user turn, for chat requests (the
     * whole of it: `get-conversation`).
     */
    messages: Array<Message>,
    /**
     * The answer length the row asks for (JSONL `max_tokens` / `output_tokens`) or holds
     * (ShareGPT's first answer, in tokens), when known.
     */
    outputTokens?: number,
  }
  /**
   * One turn of a recorded conversation: what the user said and, when the dataset holds it,
   * what the model answered.
   */
  export interface Turn {
    /**
     * The user's message (role `user`), with its images.
     */
    user: Message,
    /**
     * The recorded answer, when the dataset holds one.
     */
    answer?: string,
    /**
     * The recorded answer's length in tokens, or the length the row asks for, when known.
     */
    answerTokens?: number,
  }
  /**
   * A whole conversation of a dataset row, turn by turn (ShareGPT `conversations`, JSONL
   * `messages`; a single-prompt row is one turn).
   */
  export interface Conversation {
    /**
     * The system message that opens it, if any.
     */
    system?: string,
    turns: Array<Turn>,
  }
}
