// `ttft-probe-js`: scenarios/ttft-probe in JavaScript: a few sequential chat requests, one at a
// time, so TTFT, ITL and TPOT are measured without queueing (the host records the timings).
// Same parameters, phase, tags and request count as the Rust original.

import { info, load, llm, params, phase, prompt, scenario } from "runner-sdk";

export const guest = scenario({
  describe: () =>
    info(
      "ttft-probe-js",
      "0.1.0",
      "Streaming UX probe: sequential chat requests measuring time to first token, inter-token " +
        "latency and time per output token.",
    )
      .llmParams()
      .param("requests", "20", "Requests per VU, sent one after another.")
      .param("vus", "1", "Concurrent VUs (1 = an unloaded server).")
      .param("max_tokens", "64", "Tokens to generate per request.")
      .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words)."),

  drive() {
    load.run(phase.iterations("ttft-probe", params.int("vus"), params.int("requests")));
  },

  iteration(ctx) {
    const maxTokens = params.int("max_tokens");
    const text = prompt.synthetic(params.int("prompt_tokens"), ctx.seed(params.seed()));
    const done = llm.chat(text).maxTokens(maxTokens).llmParams().send();
    llm.checkLength(done, maxTokens);
  },
});
