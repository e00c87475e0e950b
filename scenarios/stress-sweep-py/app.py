"""stress-sweep-py: the Python twin of scenarios/stress-sweep: for each output length,
closed-loop constant-VU phases at each concurrency level, one report row per phase.

Phases are named `len<max_tokens>-c<concurrency>` (e.g. `len64-c20`) and tagged
`concurrency=<n>` and `max_tokens=<n>`, so reports group rows into one table per length.

Build: guests/python/build.sh scenarios/stress-sweep-py scenarios/stress-sweep-py.wasm
"""

from runner_sdk import Info, Phase, Scenario, export, llm, load, log, params, prompt


class StressSweep(Scenario):
    def describe(self):
        return (
            Info(
                "stress-sweep-py",
                "0.1.0",
                "Concurrency sweeps (closed loop): one phase per level, repeated for each output "
                "length; phases named len<tokens>-c<level>.",
            )
            .llm_params()
            .param("levels", "20,24,32,48,64", "Concurrency levels (VUs), comma-separated, run in order.")
            .param("lengths", "64,256", "Output lengths (max_tokens), one sweep each, comma-separated.")
            .param("duration", "30s", "How long each level runs (e.g. 30s, 2m).")
            .param("prompt_tokens", "32", "Length of the synthetic prompt, in tokens (≈ words).")
        )

    def drive(self):
        levels = params.list_of("levels")
        duration = params.duration("duration")
        for length in params.list_of("lengths"):
            rows = load.sweep(
                levels,
                lambda c: Phase.constant_vus(f"len{length}-c{c}", c, duration)
                .tag("concurrency", c)
                .tag("max_tokens", length),
            )
            for row in rows:
                log.info(
                    f"{row.name}: {row.requests_per_second:.2f} req/s, "
                    f"e2e p95 {row.e2e.p95_ms:.0f} ms, {row.errors} errors"
                )

    def iteration(self, ctx):
        max_tokens = ctx.tag_parse("max_tokens")
        text = prompt.synthetic(params.parse("prompt_tokens"), ctx.seed(params.seed()))
        done = llm.chat(text).max_tokens(max_tokens).llm_params().send()
        llm.check_length(done, max_tokens)


Guest = export(StressSweep)
