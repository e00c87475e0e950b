"""Messages to the run's log; the host prefixes them with the phase and VU."""

from wit_world.imports import log as _raw

Level = _raw.Level


def log(level: "Level", message: str) -> None:
    """Logs `message` at `level`."""
    _raw.log(level, message)


def debug(message: str) -> None:
    """Logs a debug message."""
    _raw.log(Level.DEBUG, message)


def info(message: str) -> None:
    """Logs an informational message."""
    _raw.log(Level.INFO, message)


def warn(message: str) -> None:
    """Logs a warning."""
    _raw.log(Level.WARN, message)


def error(message: str) -> None:
    """Logs an error."""
    _raw.log(Level.ERROR, message)
