// Custom metrics, attributed by the host to the calling VU's phase and tags.

import * as raw from "runner-sdk:raw";
import { ScenarioError, payloadOf, toTags } from "./util.js";

/** Adds a sample (≥ 0) to the trend (histogram) `name`; `tags` as `{k: v}` or pairs. */
export function trend(name, value, tags) {
  raw.metrics.trend(name, value, toTags(tags));
}

/** Adds `delta` (default 1) to the counter `name`. */
export function count(name, delta = 1, tags) {
  raw.metrics.count(name, raw.u64(delta), toTags(tags));
}

/** Records a pass or fail of the check `name` and returns `ok`, so it can be used inline. */
export function check(name, ok, tags) {
  return raw.metrics.check(name, Boolean(ok), toTags(tags));
}

/**
 * Declares a pass/fail criterion in `--threshold` syntax ("ttft:p95<200ms", "errors:rate==0"),
 * judged at the end of the run. Call it from `drive`; a malformed expression throws.
 */
export function threshold(expression) {
  try {
    raw.metrics.threshold(expression);
  } catch (e) {
    throw new ScenarioError(String(payloadOf(e)));
  }
}
