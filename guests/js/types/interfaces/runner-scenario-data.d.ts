/// <reference path="./runner-scenario-types.d.ts" />
declare module 'runner:scenario/data@0.3.0' {
  /**
   * How many rows dataset `name` has; an error when the run has no such dataset.
   */
  export function len(name: string): bigint;
  /**
   * Row `index` (modulo the dataset's length) of dataset `name`.
   */
  export function get(name: string, index: bigint): Row;
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
  export type Message = import('runner:scenario/types@0.3.0').Message;
  /**
   * One row of a dataset.
   */
  export interface Row {
    /**
     * The first user turn (ShareGPT) or the row's prompt (JSONL).
     */
    prompt: string,
    /**
     * The conversation up to and including the first user turn, for chat requests.
     */
    messages: Array<Message>,
    /**
     * The answer length the row asks for (JSONL `max_tokens` / `output_tokens`) or holds
     * (ShareGPT's first answer, in tokens), when known.
     */
    outputTokens?: number,
  }
}
