"""Custom metrics, attributed by the host to the calling VU's phase and tags."""

from wit_world.imports import metrics as _raw

from ._wit import call
from .tags import tag_list


def trend(name: str, value: float, tags=None) -> None:
    """Adds a sample (>= 0) to the trend (histogram) `name`, with optional extra
    `tags` (a dict)."""
    _raw.trend(name, float(value), tag_list(tags or {}))


def count(name: str, delta: int = 1, tags=None) -> None:
    """Adds `delta` to the counter `name`."""
    _raw.count(name, int(delta), tag_list(tags or {}))


def check(name: str, ok: bool, tags=None) -> bool:
    """Records a pass or fail of the check `name` and returns `ok`, so it can be used inline."""
    return _raw.check(name, bool(ok), tag_list(tags or {}))


def threshold(expression: str) -> None:
    """Declares a pass/fail criterion in `--threshold` syntax (`"ttft:p95<200ms"`); call it from
    `drive`. A malformed expression raises `RunnerError` naming what is wrong."""
    call(_raw.threshold, expression)
