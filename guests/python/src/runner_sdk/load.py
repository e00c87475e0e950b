"""Load phases: builders for the WIT `phase` record and calls that hand them to the host's
executors (`run`, `start`/`Handle.wait`, `snapshot`, and a `sweep` over levels).

Durations are seconds (floats), as everywhere in Python; the host receives whole milliseconds.
"""

from wit_world.imports import load as _raw

from ._wit import call

PhaseSummary = _raw.PhaseSummary


class Arrival:
    """How an open-loop phase spaces its arrivals (the WIT `arrival` variant)."""

    UNIFORM = _raw.Arrival_Uniform()
    """Evenly spaced."""
    POISSON = _raw.Arrival_Poisson()
    """Exponential gaps (a Poisson process), seeded from the run's seed."""

    @staticmethod
    def gamma(burstiness: float):
        """Gamma gaps of this burstiness (vLLM's `--burstiness`): 1 is Poisson, below 1 burstier."""
        return _raw.Arrival_Gamma(float(burstiness))

DEFAULT_MAX_VUS = 100
"""The VU cap of open-loop phases unless `Phase.max_vus` says otherwise."""


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000.0))


class Phase:
    """A phase to run: a name, an executor, tags and a graceful-stop time. Build it with one of
    the class methods, then chain modifiers: `Phase.rate("r", 200, 5).max_vus(7).poisson()`."""

    def __init__(self, name: str, executor):
        self._raw = _raw.Phase(name=name, executor=executor, tags=[], graceful_stop_ms=None)

    @classmethod
    def constant_vus(cls, name: str, vus: int, duration: float) -> "Phase":
        """Closed loop: `vus` VUs run iterations back to back for `duration` seconds."""
        return cls(name, _raw.Executor_ConstantVus(_raw.ConstantVus(vus, _ms(duration), None)))

    @classmethod
    def iterations(cls, name: str, vus: int, per_vu: int) -> "Phase":
        """Closed loop: `vus` VUs each run `per_vu` iterations back to back."""
        return cls(name, _raw.Executor_ConstantVus(_raw.ConstantVus(vus, None, per_vu)))

    @classmethod
    def shared(cls, name: str, vus: int, total: int) -> "Phase":
        """`vus` VUs share `total` iterations, each taking the next as soon as it is free."""
        return cls(name, _raw.Executor_SharedIterations(_raw.SharedIterations(vus, total, None)))

    @classmethod
    def ramp(cls, name: str, start_vus: int, stages) -> "Phase":
        """Closed loop whose VU count moves linearly through `(seconds, target)` stages."""
        stages = [_raw.VuStage(_ms(d), target) for d, target in stages]
        return cls(name, _raw.Executor_RampingVus(_raw.RampingVus(start_vus, stages)))

    @classmethod
    def rate(cls, name: str, per_sec: float, duration: float) -> "Phase":
        """Open loop: `per_sec` evenly spaced arrivals per second for `duration` seconds."""
        exe = _raw.ConstantArrivalRate(float(per_sec), _ms(duration), DEFAULT_MAX_VUS, Arrival.UNIFORM)
        return cls(name, _raw.Executor_ConstantArrivalRate(exe))

    @classmethod
    def ramp_rate(cls, name: str, start_per_sec: float, stages) -> "Phase":
        """Open loop whose rate moves linearly through `(seconds, target per second)` stages."""
        stages = [_raw.RateStage(_ms(d), float(target)) for d, target in stages]
        exe = _raw.RampingArrivalRate(float(start_per_sec), stages, DEFAULT_MAX_VUS, Arrival.UNIFORM)
        return cls(name, _raw.Executor_RampingArrivalRate(exe))

    @classmethod
    def burst(cls, name: str, n: int) -> "Phase":
        """`n` iterations started at the same instant, one per VU."""
        return cls(name, _raw.Executor_Burst(_raw.Burst(n)))

    @classmethod
    def scheduled(cls, name: str, offsets_ms, speedup: float = 1.0) -> "Phase":
        """Open loop on a recorded schedule (a trace): iteration `i` starts `offsets_ms[i] /
        speedup` milliseconds after the phase starts, and its context's `iteration` is `i`.
        Offsets must not decrease; `data.arrival_offsets(name)` gives a trace dataset's."""
        offsets = [float(ms) / speedup for ms in offsets_ms]
        return cls(name, _raw.Executor_Scheduled(_raw.Scheduled(offsets, DEFAULT_MAX_VUS)))

    @classmethod
    def pause(cls, name: str, duration: float) -> "Phase":
        """An idle gap: no traffic for `duration` seconds."""
        return cls(name, _raw.Executor_Pause(_ms(duration)))

    def _open_loop(self):
        exe = self._raw.executor
        if isinstance(exe, (_raw.Executor_ConstantArrivalRate, _raw.Executor_RampingArrivalRate)):
            return exe.value
        return None

    def _open_loop_or_scheduled(self):
        exe = self._raw.executor
        if isinstance(exe, _raw.Executor_Scheduled):
            return exe.value
        return self._open_loop()

    def max_vus(self, n: int) -> "Phase":
        """Caps the VUs of an open-loop phase (arrivals finding none free are dropped and
        counted). No effect on other executors."""
        exe = self._open_loop_or_scheduled()
        if exe is not None:
            exe.max_vus = n
        return self

    def poisson(self) -> "Phase":
        """Spaces an open-loop phase's arrivals as a Poisson process (seeded from the run's seed)."""
        return self.arrival(Arrival.POISSON)

    def burstiness(self, factor: float) -> "Phase":
        """Gamma-distributed gaps of this burstiness (vLLM's `--burstiness`): 1 is Poisson, below
        1 burstier, above 1 more even; the mean rate stays the phase's."""
        return self.arrival(Arrival.gamma(factor))

    def arrival(self, arrival) -> "Phase":
        """Sets how an open-loop phase spaces its arrivals. No effect on other executors."""
        exe = self._open_loop()
        if exe is not None:
            exe.arrival = arrival
        return self

    def max_duration(self, duration: float) -> "Phase":
        """Bounds an iteration-count phase (`iterations`, `shared`) in time as well."""
        exe = self._raw.executor
        if isinstance(exe, _raw.Executor_ConstantVus):
            exe.value.duration_ms = _ms(duration)
        elif isinstance(exe, _raw.Executor_SharedIterations):
            exe.value.max_duration_ms = _ms(duration)
        return self

    def tag(self, key: str, value) -> "Phase":
        """Adds a tag given to every iteration and attached to every metric of the phase."""
        self._raw.tags.append((str(key), str(value)))
        return self

    def graceful_stop(self, duration: float) -> "Phase":
        """How long in-flight iterations may run on after the phase's time is up (default 30 s)."""
        self._raw.graceful_stop_ms = _ms(duration)
        return self

    @property
    def name(self) -> str:
        """The phase's name."""
        return self._raw.name

    def as_raw(self):
        """The WIT record, as the host receives it."""
        return self._raw


class Handle:
    """A phase started with `start`, running beside the controller."""

    def __init__(self, handle_id: int, name: str):
        self._id = handle_id
        self.name = name

    def wait(self) -> "PhaseSummary":
        """Waits for the phase to end and returns its summary."""
        return call(_raw.wait, self._id)

    def snapshot(self):
        """The live results of the phase so far (a PhaseSummary), or None."""
        return snapshot(self.name)


def run(phase: Phase) -> "PhaseSummary":
    """Runs a phase to its end (only from `drive`) and returns its summary."""
    return call(_raw.run, phase.as_raw())


def start(phase: Phase) -> Handle:
    """Starts a phase and returns at once; phases may overlap."""
    return Handle(call(_raw.start, phase.as_raw()), phase.name)


def snapshot(name: str):
    """The live results of a running (or finished) phase, by name, or None."""
    return _raw.snapshot(name)


def sweep(levels, phase_for) -> list:
    """Runs one phase per level, in turn, and returns their summaries in the same order:
    `sweep([20, 32], lambda c: Phase.constant_vus(f"c{c}", c, 30).tag("concurrency", c))`."""
    return [run(phase_for(level)) for level in levels]
