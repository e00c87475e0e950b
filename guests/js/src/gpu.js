// The run's newest telemetry (`runner play --telemetry ...`): GPU utilisation, memory,
// temperature and power, and the server's queue, as sampled by the host.

import * as raw from "runner-sdk:raw";

/** The newest sample of every device and server the run watches; empty without `--telemetry`. */
export function latest() {
  // Absent figures are `undefined` whatever the engine spells them as.
  return raw.gpu.latest().map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v ?? undefined])));
}

/** The highest memory in use on any device, in MiB, when a source reports memory. */
export function maxMemoryUsedMib() {
  const used = latest()
    .map((s) => s.memoryUsedMib)
    .filter((v) => v !== undefined);
  return used.length ? Math.max(...used) : undefined;
}
