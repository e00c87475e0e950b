"""The run's monotonic clock, the only clock a scenario sees."""

from wit_world.imports import clock as _raw


def now_ms() -> float:
    """Milliseconds since the run started."""
    return _raw.now_ms()


def sleep(seconds: float) -> None:
    """Suspends this VU (or the controller) for `seconds`; other VUs go on."""
    _raw.sleep_ms(seconds * 1000.0)


def sleep_ms(ms: float) -> None:
    """Suspends this VU (or the controller) for `ms` milliseconds."""
    _raw.sleep_ms(float(ms))
