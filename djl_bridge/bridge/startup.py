"""Starting the one JVM of this process (the bridge's part of the start-up; finding Java, the
jars, the options, the threads and the natives is :mod:`djl_bridge.jvm`'s):
the threads fixed before libmxnet loads, the options tried, the natives prepared and checked,
then ``jpype.startJVM`` and DJL's MXNet engine loaded once, its failure worded in one line.

JPype can start a JVM once per process, so :func:`start` is idempotent: a second call with the
same classpath does nothing, and a JVM started elsewhere without our jar is reported, not ignored.
"""
from __future__ import annotations

import gc
import locale
import os
from pathlib import Path
from typing import Optional, Sequence

import jpype
import jpype.config

from ..errors import JavaNotFoundError, JvmConflictError, NativeLibraryError
from ..jvm.classpath import JAR_NAME_PREFIX, find_classpath
from ..jvm.limits import check_address_space
from ..jvm import owner
from ..jvm.natives import check_engine_cache, check_mxnet_library_path, native_error_message
from ..jvm.options import (
    JVM_OPTIONS,
    JVM_OPTIONS_ENV,
    effective_jvm_options,
    OFFLINE_ENV,
    offline_environment,
    probe_options,
    resolve_jvm_options,
)
from ..jvm.runtime import JavaRuntime, find_java
from ..jvm.threads import OMP_THREADS_ENV, openmp_env, threads_in_use
from . import names as N


def _forked_child() -> None:
    """In a child forked while the JVM runs, nothing may call the JVM, whose threads stay in the
    parent: not JPype's exit handler (it shut the JVM down), not JPype's hook on Python's
    garbage collector (it ran ``System.gc()``); both waited forever, and the child never ended."""
    if jpype.isJVMStarted():
        jpype.config.onexit = False
        gc.callbacks[:] = [cb for cb in gc.callbacks if getattr(cb, "__module__", "") != "_jpype"]


if hasattr(os, "register_at_fork"):  # a child of this process must not use the JVM (owner.py)
    os.register_at_fork(before=lambda: owner.before_fork(bool(jpype.isJVMStarted())),
                        after_in_child=_forked_child)


def is_started() -> bool:
    """Whether the JVM of this process is running."""
    return bool(jpype.isJVMStarted())


def set_threads(threads: Optional[int] = None, source: str = "threads") -> int:
    """Chooses the OpenMP threads MXNet will start with, before the JVM (and libmxnet) starts:
    ``threads`` when given, else ``$OMP_NUM_THREADS`` when set, both pinned, else one per usable
    CPU, which the Java side lowers while other processes keep CPUs busy (:func:`openmp_env`,
    written into this process's environment). Returns the count.

    Why a default at all: without ``OMP_NUM_THREADS`` MXNet 1.9 sizes its OpenMP pool to *half*
    the CPUs (it assumes two hyper-threads per core), so on a 2-vCPU machine its matrix products
    and RNN kernels ran on one thread (measured: the concise GRU 58k -> 95k tokens/s with two).
    One per CPU is also what libgomp itself would pick. Once the JVM runs, a different count is a
    :class:`ConfigError` (:func:`threads_in_use`): OpenMP reads it once. Messages name the count
    as ``source`` does (``threads``, the argument of :func:`start`, or the CLI's ``--threads``)."""
    if is_started():
        return threads_in_use(threads, source)
    chosen = openmp_env(threads, source=source)
    os.environ.update(chosen)
    return int(chosen[OMP_THREADS_ENV])


def start(classpath: Optional[Sequence[Path]] = None,
          jvm_options: Optional[Sequence[str]] = None, threads: Optional[int] = None) -> None:
    """Starts the JVM once for this process with DJL's classpath; a no-op when already started by
    us. ``jvm_options`` replace the tuned memory/GC defaults (``-Xmx1g``, ParallelGC, ``-Xmn48m``;
    also settable as ``DJL_BRIDGE_JVM_OPTIONS``); ``-Dai.djl.offline=true`` always stays.
    ``threads``: MXNet's OpenMP threads (:func:`set_threads`; default ``$OMP_NUM_THREADS``, else
    one per CPU). Raises a :class:`~djl_bridge.errors.BridgeError` subclass with the fix when it
    cannot."""
    owner.check_process()
    entries = list(classpath) if classpath is not None else find_classpath()
    set_threads(threads)
    if jpype.isJVMStarted():
        owner.mark_started()
        running = str(jpype.JClass(N.JAVA_SYSTEM).getProperty("java.class.path") or "")
        ours = [str(p) for p in entries if p.name.startswith(JAR_NAME_PREFIX)]
        if not all(jar in running for jar in ours):
            raise JvmConflictError(
                "the JVM of this process was already started with another classpath "
                f"({running[:200]}...) and JPype cannot restart it: call djl_bridge.start() "
                "before anything else starts the JVM, or run djl_bridge in a fresh process"
            )
        return
    chosen = resolve_jvm_options(jvm_options)  # a bad option fails before Java is looked for
    java = find_java()
    options = effective_jvm_options(jvm_options, java)
    from .. import gpu  # the cuda11 extra's libmxnet.so and CUDA libraries, when a GPU runs them
    natives = gpu.prepare_natives()
    check_mxnet_library_path()
    source = "jvm_options" if jvm_options is not None else JVM_OPTIONS_ENV
    check_engine_cache((*options, *natives.jvm_options))
    check_address_space((*options, *natives.jvm_options), source)
    if chosen != JVM_OPTIONS:  # not our tested defaults: try them in a child JVM first
        probe_options(java, options, source)
    # The JVM sets the C locale of the whole process from the environment as it starts (LC_ALL
    # ""): Python's, numpy's and every C library's number and date formats would follow. The
    # locale is the user's: put it back once the JVM and the engine are up.
    users_locale = locale.setlocale(locale.LC_ALL)
    try:
        with offline_environment():
            _start_jvm(java, [*options, *natives.jvm_options], entries)
            owner.mark_started()
            system = jpype.JClass(N.JAVA_SYSTEM)
            system.getenv(OFFLINE_ENV)  # Java reads its environment once: now, with DJL offline
            # _JAVA_OPTIONS comes after every option: the property is set once more, last.
            system.setProperty("ai.djl.offline", "true")
        check_engine()
    finally:
        locale.setlocale(locale.LC_ALL, users_locale)


def _start_jvm(java: JavaRuntime, options: Sequence[str], entries: Sequence[Path]) -> None:
    try:
        jpype.startJVM(
            str(java.libjvm),
            *options,
            classpath=[str(p) for p in entries],
            convertStrings=False,
            # Ctrl-C goes to Python (which asks the trainer to stop), never straight to the JVM.
            interrupt=False,
        )
    except (OSError, RuntimeError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
        raise JavaNotFoundError(f"the JVM {java.libjvm} ({java.origin}) did not start "
                                f"({reason}): {java.fix}") from None


def check_engine() -> str:
    """Loads DJL's MXNet engine (natives included); returns "MXNet <version>"."""
    try:
        engine = jpype.JClass(N.ENGINE).getInstance()
        return f"{engine.getEngineName()} {engine.getVersion()}"
    except jpype.JException as exc:
        raise NativeLibraryError(native_error_message(_root_message(exc))) from None


def _root_message(exc: BaseException) -> str:
    cause = exc
    message = str(exc)
    while getattr(cause, "getCause", None) is not None and cause.getCause() is not None:
        cause = cause.getCause()
        message = str(cause.getMessage()) if cause.getMessage() is not None else str(cause)
    return message
