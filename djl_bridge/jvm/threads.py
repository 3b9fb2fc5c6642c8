"""MXNet's OpenMP threads: the count a run gets (``--threads``, else ``OMP_NUM_THREADS``, else one
per usable CPU), the rule once libmxnet has read it, and how busy the CPUs are with other work.
Setting the count for this process is :func:`djl_bridge.jvm.set_threads` (it depends on whether
the JVM runs).
"""
from __future__ import annotations

import os
import time
from typing import Mapping, Optional

from ..errors import ConfigError

#: The OpenMP thread count of MXNet's operators (oneDNN's matrix products and RNN kernels).
#: Read once, when libmxnet loads: after that it cannot change in this process.
OMP_THREADS_ENV = "OMP_NUM_THREADS"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; ``os.cpu_count()`` elsewhere)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_threads(threads: object, source: str = "--threads") -> int:
    """``threads`` as a whole number >= 1, or :class:`ConfigError` naming ``source``."""
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 4096:
        raise ConfigError(f"{source} must be a whole number in 1..4096, got {threads!r}")
    return threads


def openmp_env(threads: Optional[int] = None,
               environ: Optional[Mapping[str, str]] = None,
               source: str = "--threads") -> dict[str, str]:
    """The OpenMP variables a run should have, given ``environ`` (default ``os.environ``):
    ``OMP_NUM_THREADS`` = ``threads`` when given, else the one already set, else one per usable
    CPU. Raises :class:`ConfigError` for a bad count. The bench gives every launcher (plain java,
    PyTorch) these same variables. (libgomp's spin-wait is left alone: ``GOMP_SPINCOUNT=10000``
    cost 15-25% on an idle machine and did not reliably prevent the collapse under load.)"""
    env = os.environ if environ is None else environ
    if threads is not None:
        count = check_threads(threads, source)
    else:
        current = env.get(OMP_THREADS_ENV, "").strip()
        if current and (not current.isdigit() or int(current) < 1):
            raise ConfigError(f"{OMP_THREADS_ENV}={current!r} is not a thread count: set it to a "
                              "whole number >= 1, or unset it to use one thread per CPU")
        count = int(current) if current else usable_cpus()
    return {OMP_THREADS_ENV: str(count)}


def threads_in_use(threads: Optional[int] = None, source: str = "--threads") -> int:
    """Once libmxnet has loaded: the count it runs with (``$OMP_NUM_THREADS``, else one per usable
    CPU). A ``threads`` other than that is a :class:`ConfigError` naming ``source``: OpenMP reads
    it only once."""
    current = os.environ.get(OMP_THREADS_ENV, "").strip()
    if threads is not None:
        check_threads(threads, source)
        if current != str(threads):
            raise ConfigError(
                f"{source} {threads}: MXNet in this process already runs with "
                f"{OMP_THREADS_ENV}={current or '(unset)'}, and OpenMP reads it only once: "
                "set the threads before the first training in the process, or use a fresh "
                "process")
    return int(current) if current.isdigit() and int(current) > 0 else usable_cpus()


def busy_cpus(seconds: float = 0.2) -> Optional[float]:
    """How many of the CPUs this process may run on (:func:`usable_cpus`) other work keeps busy
    right now: their non-idle time over ``seconds``, from the per-CPU lines of ``/proc/stat``;
    None where there is no /proc."""
    try:
        mine = {f"cpu{n}" for n in os.sched_getaffinity(0)}
    except (AttributeError, OSError):
        mine = None

    def sample() -> tuple[int, int]:
        total = idle = 0
        with open("/proc/stat", encoding="ascii") as f:
            for line in f:
                name, *rest = line.split()
                if not name.startswith("cpu") or name == "cpu" or (mine and name not in mine):
                    continue
                fields = [int(x) for x in rest[:8]]
                total += sum(fields)
                idle += fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return total, idle
    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    ticks = total1 - total0
    if ticks <= 0:
        return None
    return (ticks - (idle1 - idle0)) / ticks * usable_cpus()


def busy_machine_note(threads: int, busy: Optional[float]) -> Optional[str]:
    """A note when ``threads`` OpenMP threads would share their CPUs with other work: OpenMP's
    threads wait for each other at the end of every operator, so when one is off its CPU the
    others idle (measured here with 2 threads on 2 vCPUs and a load of 3-4: 60,000 -> 300-4,000
    tokens/s, one run in two). None when the CPUs are free enough or with one thread."""
    if threads <= 1 or busy is None:
        return None
    free = usable_cpus() - busy
    if free >= threads - 0.5:
        return None
    return (f"other processes keep about {busy:.1f} of {usable_cpus()} CPUs busy; MXNet's "
            f"{threads} OpenMP threads can then run many times slower than one: pass --threads 1 "
            f"(or set {OMP_THREADS_ENV}) on a shared machine")
