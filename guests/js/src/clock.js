// The run's monotonic clock, the only clock a scenario sees (`Date.now()` is frozen at 0).

import * as raw from "runner-sdk:raw";
import { toMs } from "./util.js";

/** Milliseconds since the run started. */
export function nowMs() {
  return raw.clock.nowMs();
}

/** Suspends this VU (or the controller) for a duration (ms, or text such as "250ms"). */
export function sleep(duration) {
  raw.clock.sleepMs(toMs(duration));
}
