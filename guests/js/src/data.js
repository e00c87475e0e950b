// Datasets handed to the run with `runner play --data name=path`, held by the host and read by
// index. To send a row without copying it through the guest, use `llm.chatFromDataset`.

import * as raw from "runner-sdk:raw";
import { ScenarioError, payloadOf } from "./util.js";

function call(f) {
  try {
    return f();
  } catch (e) {
    throw new ScenarioError(String(payloadOf(e)));
  }
}

/** How many rows dataset `name` has; throws naming the datasets the run was given. */
export function len(name) {
  return Number(call(() => raw.data.len(name)));
}

/** Row `index` (modulo the dataset's length) of dataset `name`: `{prompt, messages, outputTokens}`. */
export function get(name, index) {
  const row = call(() => raw.data.get(name, raw.u64(index)));
  return { ...row, outputTokens: row.outputTokens ?? undefined };
}

/**
 * The whole conversation of row `index` of dataset `name`, turn by turn:
 * `{system, turns: [{user: {role, content, images}, answer, answerTokens}]}` (absent values are
 * `undefined`).
 */
export function conversation(name, index) {
  const c = call(() => raw.data.getConversation(name, raw.u64(index)));
  return {
    system: c.system ?? undefined,
    turns: c.turns.map((t) => ({ user: t.user, answer: t.answer ?? undefined, answerTokens: t.answerTokens ?? undefined })),
  };
}

/**
 * When each row of a trace dataset (Mooncake JSONL, Azure or BurstGPT CSV) was sent, in
 * milliseconds after its first row: the schedule of `phase.scheduled`.
 */
export function arrivalOffsets(name) {
  return Array.from(call(() => raw.data.arrivalOffsets(name)), Number);
}
