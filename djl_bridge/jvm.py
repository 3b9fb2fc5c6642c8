"""Starting the one JVM of this process: finding Java and the Gradle-built classpath, setting DJL
offline, and turning Java exceptions into Python ones.

JPype can start a JVM once per process, so ``start()`` is idempotent: a second call with the same
classpath does nothing, and a JVM started elsewhere without our jar is reported, not ignored.
"""
from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Iterator, Optional, Sequence

import jpype

from .errors import (
    JavaError,
    JavaNotFoundError,
    JvmConflictError,
    NativeLibraryError,
    NotBuiltError,
    TrainingDivergedError,
    TrainingInterruptedError,
)

#: The repository root when the package runs from a checkout (editable install or PYTHONPATH).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: JVM options for every start: DJL must never try to download natives.
JVM_OPTIONS = (
    "-Dai.djl.offline=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.logFile=System.err",
    # Memory stays flat over long runs: every batch leaves many short-lived Java objects whose
    # native memory (JNA buffers) is freed only when they are collected. With G1's adaptive,
    # growing young generation the resident set doubled between epochs 10 and 200; a fixed
    # 48 MB young generation collects them steadily (measured: +100% -> about +10%, same speed).
    "-XX:+UseParallelGC",
    "-Xmn48m",
    "-Xmx1g",
)

JAR_NAME_PREFIX = "djl-bridge-"


def classpath_file() -> Path:
    """Where Gradle writes the runtime classpath (override with ``DJL_BRIDGE_CLASSPATH``)."""
    env = os.environ.get("DJL_BRIDGE_CLASSPATH")
    if env:
        return Path(env)
    return PROJECT_ROOT / "build" / "classpath.txt"


def find_classpath() -> list[Path]:
    """Returns the jar and its runtime dependencies, as built by ``gradle assemble``."""
    cp_file = classpath_file()
    how = f"run `gradle assemble` in {PROJECT_ROOT}"
    if not cp_file.is_file():
        raise NotBuiltError(f"the Java side is not built ({cp_file} is missing): {how}")
    entries = [Path(line.strip()) for line in cp_file.read_text().splitlines() if line.strip()]
    missing = [str(p) for p in entries if not p.is_file()]
    if missing:
        raise NotBuiltError(
            f"the Java build is incomplete ({len(missing)} of {len(entries)} jars missing, "
            f"e.g. {missing[0]}): {how}"
        )
    if not any(p.name.startswith(JAR_NAME_PREFIX) for p in entries):
        raise NotBuiltError(f"{cp_file} does not list the djl-bridge jar: {how}")
    return entries


def _libjvm_under(home: Path) -> Optional[Path]:
    for rel in ("lib/server/libjvm.so", "jre/lib/server/libjvm.so", "jre/lib/amd64/server/libjvm.so",
                "lib/server/libjvm.dylib", "bin/server/jvm.dll"):
        candidate = home / rel
        if candidate.is_file():
            return candidate
    return None


def find_jvm() -> Path:
    """Finds libjvm: from ``JAVA_HOME`` first, then from ``java`` on the PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        found = _libjvm_under(Path(java_home))
        if found:
            return found
        raise JavaNotFoundError(
            f"JAVA_HOME={java_home} holds no JVM (no lib/server/libjvm.so): point JAVA_HOME at a "
            "JDK 11 or newer, or unset it to use `java` from the PATH"
        )
    java = shutil.which("java")
    if java:
        home = Path(os.path.realpath(java)).parent.parent
        found = _libjvm_under(home)
        if found:
            return found
    raise JavaNotFoundError(
        "no Java found: install a JDK 11 or newer (Debian: apt-get install openjdk-17-jdk-headless) "
        "and put `java` on the PATH, or set JAVA_HOME"
    )


def is_started() -> bool:
    """Whether the JVM of this process is running."""
    return bool(jpype.isJVMStarted())


def start(classpath: Optional[Sequence[Path]] = None) -> None:
    """Starts the JVM once for this process with DJL's classpath; a no-op when already started by
    us. Raises a :class:`~djl_bridge.errors.BridgeError` subclass with the fix when it cannot."""
    entries = list(classpath) if classpath is not None else find_classpath()
    if jpype.isJVMStarted():
        running = str(jpype.JClass("java.lang.System").getProperty("java.class.path") or "")
        ours = [str(p) for p in entries if p.name.startswith(JAR_NAME_PREFIX)]
        if not all(jar in running for jar in ours):
            raise JvmConflictError(
                "the JVM of this process was already started with another classpath "
                f"({running[:200]}...) and JPype cannot restart it: call djl_bridge.start() "
                "before anything else starts the JVM, or run djl_bridge in a fresh process"
            )
        return
    jvm = find_jvm()
    from . import gpu  # the cuda11 extra's libmxnet.so and CUDA libraries, when a GPU runs them
    natives = gpu.prepare_natives()
    jpype.startJVM(
        str(jvm),
        *JVM_OPTIONS,
        *natives.jvm_options,
        classpath=[str(p) for p in entries],
        convertStrings=False,
        # Ctrl-C goes to Python (which asks the trainer to stop), never straight to the JVM.
        interrupt=False,
    )
    check_engine()


def check_engine() -> str:
    """Loads DJL's MXNet engine (natives included); returns "MXNet <version>"."""
    try:
        engine = jpype.JClass("ai.djl.engine.Engine").getInstance()
        return f"{engine.getEngineName()} {engine.getVersion()}"
    except jpype.JException as exc:
        raise NativeLibraryError(native_error_message(_root_message(exc))) from None


def native_error_message(root: str) -> str:
    """One line saying why the MXNet natives did not load and how to fix it."""
    lines = [line.strip() for line in root.strip().splitlines() if line.strip()] or ["unknown error"]
    reason = lines[0]
    if reason.endswith(":") and len(lines) > 1:  # JNA: "Unable to load library 'X':" + the why
        reason = f"{reason} {lines[1]}"
    reason = reason.rstrip(".")
    custom = os.environ.get("MXNET_LIBRARY_PATH")
    if custom:
        return (f"DJL could not load the MXNet natives from MXNET_LIBRARY_PATH={custom} ({reason}): "
                "point MXNET_LIBRARY_PATH at a working libmxnet.so 1.9.1 (e.g. from the PyPI "
                "mxnet==1.9.1 wheel), or unset it to use the natives of the Gradle build")
    if "offline" in reason.lower():
        return ("DJL could not load the MXNet natives: none is on the classpath and DJL is offline "
                "(ai.djl.offline=true), so it will not download one: run `gradle assemble` in "
                f"{PROJECT_ROOT} (it puts mxnet-native-mkl on the classpath), or point "
                "MXNET_LIBRARY_PATH at a libmxnet.so 1.9.1")
    return (f"DJL could not load the MXNet natives ({reason}): run `gradle assemble` in "
            f"{PROJECT_ROOT} (it puts mxnet-native-mkl on the classpath), or point "
            "MXNET_LIBRARY_PATH at a libmxnet.so 1.9.1")


def _root_message(exc: BaseException) -> str:
    cause = exc
    message = str(exc)
    while getattr(cause, "getCause", None) is not None and cause.getCause() is not None:
        cause = cause.getCause()
        message = str(cause.getMessage()) if cause.getMessage() is not None else str(cause)
    return message


def java_trace(exc: BaseException) -> str:
    """The Java stack trace of a JPype exception, as text."""
    try:
        return str(exc.stacktrace())  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - not a Java exception
        return ""


@contextlib.contextmanager
def java_errors() -> Iterator[None]:
    """Turns a Java exception into a :class:`JavaError` (or :class:`TrainingDivergedError`) that
    carries the Java message; the Java stack stays in ``java_trace``."""
    try:
        yield
    except jpype.JException as exc:
        trace = java_trace(exc)
        chain = [exc]
        while chain[-1].getCause() is not None and len(chain) < 32:
            chain.append(chain[-1].getCause())
        for link in chain:
            name = str(link.getClass().getName())
            if name == "djlbridge.TrainingDivergedException":
                raise TrainingDivergedError(str(link.getMessage()), int(link.getEpoch()),
                                            trace) from None
            if name == "djlbridge.TrainingInterruptedException":
                raise TrainingInterruptedError(str(link.getMessage()), trace) from None
        raise JavaError(_java_message(chain), str(chain[-1].getClass().getName()), trace) from None


def _java_message(chain: list) -> str:
    """The most telling message of a cause chain: the outermost one written by hand (not null and
    not just the cause's ``toString()``), else the root's class and message."""
    for link, cause in zip(chain, chain[1:] + [None]):
        message = link.getMessage()
        if message is not None and (cause is None or str(message) != str(cause.toString())):
            return str(message)
    return str(chain[-1].toString())
