// `stress-sweep-js`: scenarios/stress-sweep in JavaScript: for each output length, closed-loop
// constant-VU phases at each concurrency level, one report row per phase, named
// `len<max_tokens>-c<concurrency>` and tagged `concurrency` and `max_tokens` like the Rust original.

import { info, load, llm, log, params, phase, prompt, scenario } from "runner-sdk";

export const guest = scenario({
  describe: () =>
    info(
      "stress-sweep-js",
      "0.1.0",
      "Concurrency sweeps (closed loop): one phase per level, repeated for each output length; " +
        "phases named len<tokens>-c<level>.",
    )
      .llmParams()
      .param("levels", "20,24,32,48,64", "Concurrency levels (VUs), comma-separated, run in order.")
      .param("lengths", "64,256", "Output lengths (max_tokens), one sweep each, comma-separated.")
      .param("duration", "30s", "How long each level runs (e.g. 30s, 2m).")
      .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words)."),

  drive() {
    const levels = params.intList("levels");
    const duration = params.duration("duration");
    for (const len of params.intList("lengths")) {
      const rows = load.sweep(levels, (c) =>
        phase.constantVus(`len${len}-c${c}`, c, duration).tag("concurrency", c).tag("max_tokens", len),
      );
      for (const row of rows) {
        log.info(
          `${row.name}: ${row.requestsPerSecond.toFixed(2)} req/s, e2e p95 ` +
            `${row.e2e.p95Ms.toFixed(0)} ms, ${row.errors} errors`,
        );
      }
    }
  },

  iteration(ctx) {
    const maxTokens = ctx.tagNumber("max_tokens");
    const text = prompt.synthetic(params.int("prompt_tokens"), ctx.seed(params.seed()));
    const done = llm.chat(text).maxTokens(maxTokens).llmParams().send();
    llm.checkLength(done, maxTokens);
  },
});
