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
