"""ttft-probe-py: the Python twin of scenarios/ttft-probe: a few sequential chat requests, one at
a time, so TTFT, ITL and TPOT are measured without queueing (the host records the timings).

Build: guests/python/build.sh scenarios/ttft-probe-py scenarios/ttft-probe-py.wasm
"""

from runner_sdk import Info, Phase, Scenario, export, llm, load, params, prompt


class TtftProbe(Scenario):
    def describe(self):
        return (
            Info(
                "ttft-probe-py",
                "0.1.0",
                "Streaming UX probe: sequential chat requests measuring time to first token, "
                "inter-token latency and time per output token.",
            )
            .llm_params()
            .param("requests", "20", "Requests per VU, sent one after another.")
            .param("vus", "1", "Concurrent VUs (1 = an unloaded server).")
            .param("max_tokens", "64", "Tokens to generate per request.")
            .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
        )

    def drive(self):
        load.run(Phase.iterations("ttft-probe", params.parse("vus"), params.parse("requests")))

    def iteration(self, ctx):
        max_tokens = params.parse("max_tokens")
        text = prompt.synthetic(params.parse("prompt_tokens"), ctx.seed(params.seed()))
        done = llm.chat(text).max_tokens(max_tokens).llm_params().send()
        llm.check_length(done, max_tokens)


Guest = export(TtftProbe)
