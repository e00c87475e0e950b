"""The `Scenario` base class a scenario subclasses, its self-description (`Info`), the
per-iteration `Context`, and `export`, which turns a Scenario class into the component's
`guest` export."""

import re

from componentize_py_types import Err
from wit_world.exports import guest as _raw

from . import params as _params
from . import prompt

ParamKind = _raw.ParamKind


# The integers and numbers Rust's `parse::<i64>` and `parse::<f64>` take (ASCII digits only, no
# underscores), for kind_of_default.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)", re.I)


def _is_integer(text: str) -> bool:
    text = text.strip()
    return _INTEGER.fullmatch(text) is not None and -(2**63) <= int(text) < 2**63


def kind_of_default(default: str) -> "ParamKind":
    """The kind a default value suggests, as the Rust SDK decides it: `true`/`false` -> boolean,
    `64` -> integer, `0.5` -> number, `10s` -> duration, `1,2,4` -> integer list, else text."""
    d = default.strip()

    def parses(kind, text):
        try:
            kind(text)
            return True
        except ValueError:
            return False

    if not d:
        return ParamKind.TEXT
    if d.lower() in ("true", "false"):
        return ParamKind.BOOLEAN
    if _is_integer(d):
        return ParamKind.INTEGER
    if _NUMBER.fullmatch(d):
        return ParamKind.NUMBER
    if "," in d and all(_is_integer(item) for item in d.split(",")):
        return ParamKind.INTEGER_LIST
    if d[0] in "0123456789" and parses(_params.parse_duration, d):
        return ParamKind.DURATION
    return ParamKind.TEXT


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
        self._author = ""
        self.params = []
        self.thresholds = []

    def author(self, author: str) -> "Info":
        """Says who wrote the scenario, e.g. `Inference team <infra@example.com>`."""
        self._author = author
        return self

    def param(self, name: str, default, help: str, kind=None) -> "Info":
        """Declares a parameter with its default value (given when `--param` does not set it).
        Its kind (a ParamKind) follows from the default unless given: `runner play` refuses
        values of another kind before sending anything."""
        default = str(default)
        self.params.append((name, kind if kind is not None else kind_of_default(default), default, help))
        return self

    def threshold(self, expression: str) -> "Info":
        """Declares a pass/fail criterion in `--threshold` syntax (`errors:rate<0.01`), shown by
        `runner inspect` and judged at the end of every run."""
        self.thresholds.append(expression)
        return self

    def llm_params(self) -> "Info":
        """Declares the parameters every LLM scenario shares: `model`, `stream`, `ignore_eos` and
        `extra_body`."""
        return (
            self.param("model", "", "Model name sent to the server; empty leaves the field out.", ParamKind.TEXT)
            .param("stream", "true", "Stream the answer (server-sent events); needed for TTFT and ITL.")
            .param(
                "ignore_eos",
                "true",
                'Ask for exactly max_tokens tokens ("ignore_eos": true; vLLM, SGLang, llama.cpp); '
                "false for servers that refuse unknown fields (OpenAI's).",
            )
            .param(
                "extra_body",
                "",
                'JSON object merged into every request body, e.g. {"ignore_eos":true}.',
                ParamKind.TEXT,
            )
        )

    def as_raw(self):
        """The WIT record the host receives."""
        params = [_raw.Param(name=n, kind=k, default=d, help=h) for n, k, d, h in self.params]
        return _raw.Info(
            name=self.name,
            version=self.version,
            author=self._author,
            description=self.description,
            params=params,
            thresholds=list(self.thresholds),
        )


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
