"""Run parameters (`--param name=value`), the target URL and the run's seed, with parsing
helpers whose errors say which parameter and which value were wrong."""

import math

from wit_world.imports import params as _raw


class ParamError(ValueError):
    """A parameter that is missing or does not parse."""


def get(name: str):
    """The value of `name`: from the command line, else the declared default, else None."""
    return _raw.get(name)


def get_or(name: str, default: str) -> str:
    """The value of `name`, or `default` when it is not set."""
    value = get(name)
    return default if value is None else value


def _require(name: str) -> str:
    value = get(name)
    if value is None:
        raise ParamError(
            f"parameter `{name}` is not set (declare it in `describe` or pass --param {name}=...)"
        )
    return value


def _invalid(name: str, value: str, reason: str) -> ParamError:
    return ParamError(f"parameter `{name}`: invalid value {_quote(value)}: {reason}")


def _quote(value: str) -> str:
    # Rust's `{:?}` of a plain string, so messages read the same in every SDK.
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_value(name: str, value: str, kind=int):
    """Parses one value as `kind` (int, float, str, bool); `name` only labels the error."""
    text = value.strip()
    if kind is bool:
        flag = parse_flag(text)
        if flag is None:
            raise _invalid(name, value, "expected true or false")
        return flag
    try:
        parsed = kind(text)
    except (TypeError, ValueError) as e:
        raise _invalid(name, value, str(e)) from None
    if kind is int and parsed < 0:
        # Counts, VUs and token lengths are unsigned in the WIT: refuse here, not in the host.
        raise _invalid(name, value, "expected a number >= 0")
    return parsed


def parse(name: str, kind=int):
    """The value of `name` parsed as `kind` (default int, which must be >= 0)."""
    return parse_value(name, _require(name), kind)


def parse_list(name: str, value: str, kind=int) -> list:
    """Parses a comma-separated list; an empty value is an empty list, an empty item an error."""
    if not value.strip():
        return []
    out = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            raise _invalid(name, value, "empty item in comma-separated list")
        try:
            out.append(parse_value(name, item, kind))
        except ParamError as e:
            raise _invalid(name, value, f"item {_quote(item)}: {str(e).rsplit(': ', 1)[-1]}") from None
    return out


def list_of(name: str, kind=int) -> list:
    """A comma-separated list (`"20,24,32"`) parsed element by element."""
    return parse_list(name, _require(name), kind)


_UNITS_MS = {"ms": 1.0, "s": 1_000.0, "m": 60_000.0, "h": 3_600_000.0}
# ASCII digits and the dot only, as the Rust SDK reads numbers (`str.isdigit` takes other scripts').
_NUMBER_CHARS = frozenset("0123456789.")


def parse_duration(value: str) -> float:
    """Parses `"500ms"`, `"10s"`, `"1.5s"`, `"2m"`, `"1h"`, `"1m30s"` or `"0"` into seconds.

    A bare number other than 0 is rejected: seconds or milliseconds would be a guess.
    Raises ValueError with the reason.
    """
    s = value.strip()
    if s == "0":
        return 0.0
    if not s:
        raise ValueError("empty duration")
    total_ms = 0.0
    rest = s
    while rest:
        n = 0
        while n < len(rest) and rest[n] in _NUMBER_CHARS:
            n += 1
        if n == 0:
            raise ValueError(f"expected a number at {_quote(rest)}")
        try:
            number = float(rest[:n])
        except ValueError:
            raise ValueError(f"bad number {_quote(rest[:n])}") from None
        rest = rest[n:]
        u = 0
        while u < len(rest) and rest[u] not in _NUMBER_CHARS:
            u += 1
        unit = rest[:u]
        if unit == "":
            raise ValueError("missing unit (use ms, s, m or h)")
        if unit not in _UNITS_MS:
            raise ValueError(f"unknown unit {_quote(unit)} (use ms, s, m or h)")
        rest = rest[u:]
        total_ms += number * _UNITS_MS[unit]
    if not math.isfinite(total_ms) or total_ms > 2.0**64:
        raise ValueError("duration too large")
    # Whole microseconds, as the Rust SDK keeps them: halves round up (`round` would round them
    # to even).
    micros = total_ms * 1000.0
    whole = math.floor(micros)
    return (whole + (micros - whole >= 0.5)) / 1_000_000.0


def duration(name: str) -> float:
    """A duration parameter such as `"500ms"`, `"10s"`, `"1m30s"`, in seconds."""
    value = _require(name)
    try:
        return parse_duration(value)
    except ValueError as e:
        raise _invalid(name, value, str(e)) from None


def parse_flag(value: str):
    """`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case) to a bool; anything else None."""
    v = value.strip().lower()
    if v in ("true", "1", "yes", "on"):
        return True
    if v in ("false", "0", "no", "off"):
        return False
    return None


def flag(name: str) -> bool:
    """A yes/no switch parameter."""
    return parse(name, bool)


def target() -> str:
    """The base URL of the server under test."""
    return _raw.target()


def seed() -> int:
    """The run's random seed, recorded in the summary so random choices can be replayed."""
    return _raw.seed()
