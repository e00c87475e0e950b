"""Token lengths from a distribution, for prompts and answers: `256`, `128..512`,
`normal(256,64)`, `normal(256,64,128..512)` or `dataset:NAME` (the Rust SDK's `lengths`, drawing
the same length for the same seed; rules in runner-contract's `lengths`)."""

import math

from . import data, params, prompt

_MASK = (1 << 64) - 1
_SECOND = 0x6A09E667F3BCC909
_HELP = "(write 256, 128..512, normal(256,64), normal(256,64,128..512) or dataset:NAME)"


class Lengths:
    """A parsed length spec: `kind` is "fixed", "uniform", "normal" or "dataset"."""

    def __init__(self, kind, **fields):
        self.kind = kind
        self.__dict__.update(fields)

    def __eq__(self, other):
        return isinstance(other, Lengths) and self.__dict__ == other.__dict__

    def __repr__(self):
        return f"Lengths({self.__dict__})"

    @staticmethod
    def parse(text: str) -> "Lengths":
        """Parses a spec; raises ValueError naming what is wrong."""
        t = str(text).strip()
        if t.startswith("dataset:"):
            name = t[len("dataset:"):].strip()
            if not name:
                raise ValueError(f"dataset: needs a dataset name {_HELP}")
            return Lengths("dataset", name=name)
        if t.startswith("normal(") and t.endswith(")"):
            parts = t[len("normal("):-1].split(",", 2)
            if len(parts) < 2:
                raise ValueError(f"{t!r} needs a mean and a standard deviation {_HELP}")
            mean, sd = _number(parts[0]), _number(parts[1])
            if len(parts) == 3:
                lo, hi = _range(parts[2])
            else:
                lo, hi = 1, min(math.ceil(mean + 6.0 * sd), 2**32 - 1)
            return Lengths("normal", mean=mean, sd=sd, lo=max(lo, 1), hi=max(hi, 1))
        if ".." in t:
            lo, hi = _range(t)
            return Lengths("uniform", lo=lo, hi=hi)
        return Lengths("fixed", n=_count(t))

    def draw(self, seed: int):
        """The length for `seed`; None for a dataset spec (see `draw`)."""
        seed &= _MASK
        if self.kind == "fixed":
            return self.n
        if self.kind == "uniform":
            return self.lo + prompt.mix(seed) % (self.hi - self.lo + 1)
        if self.kind == "normal":
            u1 = ((prompt.mix(seed) >> 11) + 1) / float(1 << 53)
            u2 = (prompt.mix(seed ^ _SECOND) >> 11) / float(1 << 53)
            z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
            v = _round_half_away(self.mean + self.sd * z)
            return int(min(max(v, self.lo), self.hi))
        return None

    @staticmethod
    def row(seed: int, rows: int) -> int:
        """The row of a dataset of `rows` rows that `seed` draws."""
        return 0 if rows == 0 else prompt.mix(seed & _MASK) % rows


def _round_half_away(v: float) -> float:
    # Rust's f64::round: halves away from zero (Python's round() goes to even).
    return math.floor(v + 0.5) if v >= 0 else math.ceil(v - 0.5)


def _count(text: str) -> int:
    t = text.strip()
    if not t.isdigit() or int(t) > 2**32 - 1:
        raise ValueError(f"{t!r} is not a token count {_HELP}")
    return int(t)


def _number(text: str) -> float:
    try:
        v = float(text.strip())
    except ValueError:
        v = -1.0
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{text.strip()!r} is not a non-negative number {_HELP}")
    return v


def _range(text: str):
    if ".." not in text:
        raise ValueError(f"{text!r} is not a range LO..HI {_HELP}")
    lo, hi = text.split("..", 1)
    lo, hi = _count(lo), _count(hi)
    if lo > hi:
        raise ValueError(f"the range {lo}..{hi} is empty {_HELP}")
    return lo, hi


def param(name: str) -> Lengths:
    """Parameter `name` as a length distribution; raises ValueError naming it."""
    value = params.get(name)
    if value is None:
        raise ValueError(f"parameter `{name}` is not set")
    try:
        return Lengths.parse(value)
    except ValueError as e:
        raise ValueError(f"parameter `{name}`: invalid value {value!r}: {e}") from None


def draw(lengths: Lengths, seed: int) -> int:
    """The length `lengths` gives for `seed`; `dataset:NAME` draws a row and takes its answer
    length, or its prompt's token count when it holds none."""
    if lengths.kind == "dataset":
        row = data.get(lengths.name, Lengths.row(seed, data.len(lengths.name)))
        return row.output_tokens if row.output_tokens is not None else prompt.count_tokens(row.prompt)
    return lengths.draw(seed)
