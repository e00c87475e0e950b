"""The `Scenario` base class a scenario subclasses, its self-description (`Info`), the
per-iteration `Context`, and `export`, which turns a Scenario class into the component's
`guest` export."""

from componentize_py_types import Err
from wit_world.exports import guest as _raw

from . import prompt


class Scenario:
    """A scenario: what it is, how it drives the load, and one VU's unit of work.

    Subclass it, override the three methods, and export it with `Guest = export(MyScenario)`.
    """

    def describe(self) -> "Info":
        """Describes the scenario and every parameter it reads. Must call no import but `log`."""
        raise NotImplementedError("a scenario must define describe()")

    def drive(self) -> None:
        """Runs once in the controller instance and scripts the load with `runner_sdk.load`."""
        raise NotImplementedError("a scenario must define drive()")

    def iteration(self, ctx: "Context") -> None:
        """One VU's unit of work. An exception marks the iteration as failed; the VU goes on."""
        raise NotImplementedError("a scenario must define iteration()")


class Info:
    """A scenario's self-description, built fluently:
    `Info("ttft-probe", "0.1.0", "...").param("requests", "20", "...")`."""

    def __init__(self, name: str, version: str, description: str):
        self.name, self.version, self.description = name, version, description
        self.params = []

    def param(self, name: str, default, help: str) -> "Info":
        """Declares a parameter with its default value (given when `--param` does not set it)."""
        self.params.append((name, str(default), help))
        return self

    def llm_params(self) -> "Info":
        """Declares the parameters every LLM scenario shares: `model`, `stream` and `extra_body`."""
        return (
            self.param("model", "", "Model name sent to the server; empty leaves the field out.")
            .param("stream", "true", "Stream the answer (server-sent events); needed for TTFT and ITL.")
            .param("extra_body", "", 'JSON object merged into every request body, e.g. {"ignore_eos":true}.')
        )

    def as_raw(self):
        """The WIT record the host receives."""
        params = [_raw.Param(name=n, default=d, help=h) for n, d, h in self.params]
        return _raw.Info(name=self.name, version=self.version, description=self.description, params=params)


class Context:
    """Where an iteration runs: its `phase`, the phase's `tags` (a dict), the `vu` and the
    `iteration` number."""

    __slots__ = ("phase", "tags", "vu", "iteration")

    def __init__(self, phase: str, tags: dict, vu: int, iteration: int):
        self.phase, self.tags, self.vu, self.iteration = phase, tags, vu, iteration

    def tag(self, key: str):
        """The value of the phase tag `key`, or None."""
        return self.tags.get(key)

    def tag_parse(self, key: str, kind=int):
        """The phase tag `key` parsed as `kind`; the error names the tag and the value."""
        value = self.tags.get(key)
        if value is None:
            raise ValueError(f"phase `{self.phase}` has no tag `{key}`")
        try:
            return kind(value)
        except (TypeError, ValueError) as e:
            raise ValueError(f"tag `{key}` of phase `{self.phase}`: invalid value {value!r}: {e}") from None

    def seed(self, run_seed: int) -> int:
        """A seed unique to this iteration, derived from the run's seed exactly as the Rust SDK
        derives it, so random choices differ between iterations but replay with the same seed."""
        mask = (1 << 64) - 1
        return prompt.mix((run_seed ^ ((self.vu << 40) & mask) ^ self.iteration) & mask)


def _message(e: BaseException) -> str:
    text = str(e)
    return text if text else type(e).__name__


def export(scenario_class):
    """Wraps a Scenario subclass as the class componentize-py exports as `guest`.

    Assign the result to a module-level `Guest`: `Guest = export(MyScenario)`. Exceptions from
    `drive` and `iteration` become their WIT error strings instead of trapping the instance.
    """
    scenario = scenario_class()

    class Guest:
        def describe(self):
            return scenario.describe().as_raw()

        def drive(self):
            try:
                scenario.drive()
            except Err:
                raise
            except Exception as e:
                raise Err(_message(e)) from None

        def iteration(self, ctx):
            context = Context(ctx.phase, dict(ctx.tags), ctx.vu, ctx.iteration)
            try:
                scenario.iteration(context)
            except Err:
                raise
            except Exception as e:
                raise Err(_message(e)) from None

    Guest.__name__ = Guest.__qualname__ = "Guest"
    return Guest
