"""MXNet's OpenMP threads: the count a run starts with (``--threads``, else ``OMP_NUM_THREADS``,
else one per usable CPU), whether it is the user's (pinned) or ours (it follows the load while
the run trains: ``djlbridge.threads.ThreadPolicy``), and the rule once libmxnet has read it.
Setting the count for this process is :func:`djl_bridge.jvm.set_threads` (it depends on whether
the JVM runs).
"""
from __future__ import annotations

import os
from typing import Mapping, Optional

from ..errors import ConfigError

#: The OpenMP thread count of MXNet's operators (oneDNN's matrix products and RNN kernels).
#: Read once, when libmxnet loads: the most threads the process's runs use.
OMP_THREADS_ENV = "OMP_NUM_THREADS"

#: Set beside ``OMP_NUM_THREADS`` to the same value when djl_bridge chose that count (one per
#: CPU): while the two are equal the count is ours, and the Java side lowers it while other
#: processes keep CPUs busy. A count of the user's (``--threads``, their own ``OMP_NUM_THREADS``)
#: is pinned. Java's ``ThreadPolicy.DEFAULT_THREADS_ENV`` (a test holds the two names equal).
#: Children inherit both, so a djl-bridge run started by another adapts too.
DEFAULT_THREADS_ENV = "DJL_BRIDGE_DEFAULT_THREADS"


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; ``os.cpu_count()`` elsewhere)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


#: The most OpenMP threads a run may ask for (``--threads``, ``threads``, ``OMP_NUM_THREADS``):
#: far above any CPU count, far below what aborts libgomp or dmlc (5,000,000 threads abort
#: libgomp, 2^31 aborts dmlc's parser).
MAX_THREADS = 4096


def parse_count(text: str) -> Optional[int]:
    """``text`` (an environment variable's value) as a whole number when it is one in plain
    ASCII digits (no sign, no ``²`` or other digits ``int()`` refuses), else None. At most 18
    digits, so ``int()`` never meets a number too long for it."""
    text = text.strip()
    if not text or len(text) > 18 or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def check_threads(threads: object, source: str = "--threads") -> int:
    """``threads`` as a whole number >= 1, or :class:`ConfigError` naming ``source``."""
    if isinstance(threads, bool) or not isinstance(threads, int) \
            or not 1 <= threads <= MAX_THREADS:
        raise ConfigError(f"{source} must be a whole number in 1..{MAX_THREADS}, got {threads!r}")
    return threads


def openmp_env(threads: Optional[int] = None,
               environ: Optional[Mapping[str, str]] = None,
               source: str = "--threads") -> dict[str, str]:
    """The OpenMP variables a run should have, given ``environ`` (default ``os.environ``):
    ``OMP_NUM_THREADS`` = ``threads`` when given, else the user's own ``OMP_NUM_THREADS``, else
    one per usable CPU; ``DJL_BRIDGE_DEFAULT_THREADS`` the same count when djl_bridge chose it
    (threads that follow the load), else empty (pinned). Raises :class:`ConfigError` for a bad
    count. The bench gives every launcher (plain java, PyTorch) these same variables. (libgomp's
    spin-wait is left alone: ``GOMP_SPINCOUNT=10000`` cost 15-25% on an idle machine and did not
    reliably prevent the collapse under load.)"""
    env = os.environ if environ is None else environ
    if threads is not None:
        return {OMP_THREADS_ENV: str(check_threads(threads, source)), DEFAULT_THREADS_ENV: ""}
    current = env.get(OMP_THREADS_ENV, "").strip()
    if current and current != env.get(DEFAULT_THREADS_ENV, "").strip():  # the user's own
        count = parse_count(current)
        if count is None or not 1 <= count <= MAX_THREADS:
            raise ConfigError(f"{OMP_THREADS_ENV}={current!r} is not a thread count: set it to a "
                              f"whole number in 1..{MAX_THREADS}, or unset it to "
                              "use one thread per CPU")
        return {OMP_THREADS_ENV: str(count), DEFAULT_THREADS_ENV: ""}
    count = str(usable_cpus())
    return {OMP_THREADS_ENV: count, DEFAULT_THREADS_ENV: count}


def is_adaptive(environ: Optional[Mapping[str, str]] = None) -> bool:
    """Whether the count of ``environ`` (default ``os.environ``) is djl_bridge's own, which
    follows the load, rather than one the user pinned."""
    env = os.environ if environ is None else environ
    current = env.get(OMP_THREADS_ENV, "").strip()
    return not current or current == env.get(DEFAULT_THREADS_ENV, "").strip()


def threads_in_use(threads: Optional[int] = None, source: str = "--threads") -> int:
    """Once libmxnet has loaded: the count it starts every run with (``$OMP_NUM_THREADS``, else
    one per usable CPU). A ``threads`` other than that, or any ``threads`` while the count follows
    the load, is a :class:`ConfigError` naming ``source``: OpenMP reads it only once."""
    current = os.environ.get(OMP_THREADS_ENV, "").strip()
    if threads is not None:
        check_threads(threads, source)
        fix = ("OpenMP reads it only once: set the threads before the first training in the "
               "process, or use a fresh process")
        if current and is_adaptive():
            raise ConfigError(
                f"{source} {threads}: MXNet in this process already runs with threads that "
                f"follow the load (at most {OMP_THREADS_ENV}={current}), and {fix}")
        if current != str(threads):
            raise ConfigError(
                f"{source} {threads}: MXNet in this process already runs with "
                f"{OMP_THREADS_ENV}={current or '(unset)'}, and {fix}")
    count = parse_count(current)
    return count if count is not None and 1 <= count <= MAX_THREADS else usable_cpus()
