"""runner_sdk: the Python SDK for `runner` scenarios.

A thin layer over the bindings componentize-py generates from the repository's wit/ (the
`wit_world` package, which exists only inside a component build). It mirrors the Rust SDK
(guests/rust): a scenario is a class with `describe`, `drive` and `iteration`, exported with
one line::

    from runner_sdk import Info, Phase, Scenario, export, llm, load

    class Probe(Scenario):
        def describe(self):
            return Info("probe", "0.1.0", "One streaming chat request per iteration.").llm_params()

        def drive(self):
            load.run(Phase.iterations("probe", 1, 10))

        def iteration(self, ctx):
            llm.chat("Hello!").max_tokens(16).send()

    Guest = export(Probe)

Errors are exceptions: anything raised from `drive` or `iteration` becomes the WIT `result`'s
error string (a failed iteration, or a failed run), never a trap.
"""

from . import clock, data, gpu, http, lengths, llm, load, log, metrics, params, prompt
from .load import Handle, Phase, sweep
from .scenario import Context, Info, ParamKind, Scenario, export

__all__ = [
    "Context",
    "Handle",
    "Info",
    "ParamKind",
    "Phase",
    "Scenario",
    "clock",
    "data",
    "export",
    "gpu",
    "http",
    "llm",
    "load",
    "log",
    "metrics",
    "params",
    "prompt",
    "sweep",
]
