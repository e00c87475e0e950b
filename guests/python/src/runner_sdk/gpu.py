"""The run's newest telemetry: GPU utilisation, memory, temperature and power, and the server's
queue, as sampled by the host (`runner play --telemetry ...`)."""

from wit_world.imports import gpu as _raw

GpuSample = _raw.GpuSample


def latest() -> list:
    """The newest sample of every device and server the run watches; empty without --telemetry."""
    return _raw.latest()


def max_memory_used_mib():
    """The highest memory in use on any device, in MiB, or None when no source reports memory."""
    used = [s.memory_used_mib for s in latest() if s.memory_used_mib is not None]
    return max(used) if used else None
