"""The options a JVM of djl-bridge starts with: the ones every start has (DJL offline, the JVM a
good guest in a Python process), the tuned memory/GC defaults a caller or
``DJL_BRIDGE_JVM_OPTIONS`` may replace, Java 22's native-access switch, and the child ``java``
that tries options not our own before the process's one JVM gets them.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

from ..errors import ConfigError, JavaNotFoundError
from .runtime import JavaRuntime, find_java, major

JVM_OPTIONS_ENV = "DJL_BRIDGE_JVM_OPTIONS"

#: DJL must never try to download natives: this option is part of every start.
OFFLINE_OPTION = "-Dai.djl.offline=true"
#: DJL reads this variable before the property (``Utils.isOfflineMode``): ``DJL_OFFLINE=false``
#: in the environment turned DJL online whatever the options said.
OFFLINE_ENV = "DJL_OFFLINE"


@contextmanager
def offline_environment() -> Iterator[None]:
    """``DJL_OFFLINE=true`` in this process's environment while the JVM starts and reads its
    environment (once: the caller makes it read it inside this block), then the caller's value
    back: DJL stays offline whatever the environment says, and the caller's environment is
    theirs."""
    old = os.environ.get(OFFLINE_ENV)
    os.environ[OFFLINE_ENV] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(OFFLINE_ENV, None)
        else:
            os.environ[OFFLINE_ENV] = old

#: Options that keep the JVM a good guest in a Python process. -Xrs: the JVM installs no
#: SIGINT/SIGTERM/SIGHUP handlers, so those signals reach Python (SIGTERM used to run the JVM's
#: shutdown under JPype and crash). A fatal JVM error goes to stderr (never into --json on
#: stdout) and its hs_err file to the temp directory, not the working directory.
GUEST_OPTIONS = (
    "-Xrs",
    "-XX:+DisplayVMOutputToStderr",
    "-XX:ErrorFile=" + os.path.join(tempfile.gettempdir(), "djl-bridge-hs_err_pid%p.log"),
)

#: Options of every start, whatever the caller chooses.
BASE_JVM_OPTIONS = (
    OFFLINE_OPTION,
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.logFile=System.err",
    # A manager closed after a failed native call logs the failure again with a stack trace; the
    # failure itself reaches the user as one line.
    "-Dorg.slf4j.simpleLogger.log.ai.djl.ndarray.BaseNDManager=off",
) + GUEST_OPTIONS

#: The default memory and GC options, replaced by ``start(jvm_options=...)`` or
#: ``DJL_BRIDGE_JVM_OPTIONS``. Memory stays flat over long runs: every batch leaves many
#: short-lived Java objects whose native memory (JNA buffers) is freed only when they are
#: collected. With G1's adaptive, growing young generation the resident set doubled between epochs
#: 10 and 200; a fixed 48 MB young generation collects them steadily (measured: +100% -> about
#: +10%, same speed).
TUNED_JVM_OPTIONS = ("-XX:+UseParallelGC", "-Xmn48m", "-Xmx1g")

#: The options of a default start (DJL offline last, as in every start: :func:`resolve_jvm_options`).
JVM_OPTIONS = tuple(o for o in BASE_JVM_OPTIONS if o != OFFLINE_OPTION) + TUNED_JVM_OPTIONS \
    + (OFFLINE_OPTION,)

#: Java 22+ warns on stderr when JPype and JNA load native code ("A restricted method in
#: java.lang.System has been called"); this option, known since Java 17, allows it quietly.
NATIVE_ACCESS_OPTION = "--enable-native-access=ALL-UNNAMED"


def resolve_jvm_options(options: Optional[Sequence[str]] = None) -> tuple[str, ...]:
    """The options the JVM starts with: :data:`BASE_JVM_OPTIONS` plus ``options`` when given,
    else plus the split ``DJL_BRIDGE_JVM_OPTIONS`` when set, else plus the tuned defaults
    (:data:`TUNED_JVM_OPTIONS`). ``-Dai.djl.offline=true`` always stays. Raises
    :class:`ConfigError` for what is not a JVM option or would turn DJL online."""
    source = "jvm_options"
    if options is None:
        env = os.environ.get(JVM_OPTIONS_ENV, "").strip()
        if not env:
            return JVM_OPTIONS
        source = JVM_OPTIONS_ENV
        try:
            options = shlex.split(env)
        except ValueError as exc:
            raise ConfigError(f"{JVM_OPTIONS_ENV}={env!r} cannot be split into options ({exc}): "
                              "quote it as in a shell, or unset it") from None
    chosen = [str(o) for o in options]
    for opt in chosen:
        if not opt.startswith("-"):
            raise ConfigError(f"{source}: {opt!r} is not a JVM option (they start with '-', e.g. "
                              "-Xmx2g): fix it")
        if _is_offline(opt) and opt != OFFLINE_OPTION:
            raise ConfigError(f"{source}: {opt} is not allowed: djl-bridge always keeps DJL "
                              f"offline ({OFFLINE_OPTION}) so that it never downloads natives; "
                              "drop the option")
        _refuse_owned(opt, source)
    # Offline last: a JVM takes the last value of a property, so no option before it turns DJL
    # online.
    base = tuple(o for o in BASE_JVM_OPTIONS if o != OFFLINE_OPTION)
    return base + tuple(o for o in chosen if o not in BASE_JVM_OPTIONS) + (OFFLINE_OPTION,)


def _is_offline(opt: str) -> bool:
    """Whether ``opt`` sets DJL's offline property (``-Dai.djl.offline``, with a value or not)."""
    return opt == "-Dai.djl.offline" or opt.startswith("-Dai.djl.offline=")


#: Options of the ``java`` launcher, which a JVM started in-process does not take (it printed
#: "Unrecognized option" on the terminal, or the launcher's output).
_LAUNCHER_OPTIONS = frozenset({
    "-version", "--version", "-showversion", "--show-version", "-help", "--help", "-h", "-?",
    "-X", "--help-extra", "--dry-run", "-jar", "-m", "--module", "--source", "-server",
    "-client", "--list-modules", "-fullversion", "--full-version", "--validate-modules"})


def _refuse_owned(opt: str, source: str) -> None:
    """Raises :class:`ConfigError` for an option djl-bridge does not take from a caller."""
    name = opt.split("=", 1)[0]
    if name in ("-cp", "-classpath", "--class-path", "-Djava.class.path"):
        raise ConfigError(f"{source}: {opt} is not allowed: djl-bridge sets the classpath itself "
                          "(set DJL_BRIDGE_CLASSPATH to a file that lists the jars to change "
                          "it); drop the option")
    if name in _LAUNCHER_OPTIONS or opt.startswith("-version:"):
        raise ConfigError(f"{source}: {opt} is not allowed: it is an option of the java launcher, "
                          "not of a JVM started in a Python process (`djl-bridge doctor` shows "
                          "the Java it uses); drop the option")


def effective_jvm_options(jvm_options: Optional[Sequence[str]] = None,
                          java: Optional[JavaRuntime] = None) -> tuple[str, ...]:
    """All options a JVM of djl-bridge starts with on ``java`` (default :func:`find_java`):
    :func:`resolve_jvm_options` plus, on Java 22 or newer, :data:`NATIVE_ACCESS_OPTION`. A plain
    ``java`` launcher of the Java side (the bench) uses the same."""
    options = resolve_jvm_options(jvm_options)
    java = java if java is not None else find_java()
    feature = major(java.version)
    if (feature is not None and feature >= 22
            and not any(o.startswith("--enable-native-access") for o in options)):
        options += (NATIVE_ACCESS_OPTION,)
    return options


def probe_options(java: JavaRuntime, options: Sequence[str], source: str) -> None:
    """Runs ``java OPTIONS -version``: a JVM refusing its options prints to the terminal and may
    exit the whole process, so options not our own are tried in a child first. ``source`` names
    where they came from (``jvm_options`` or ``DJL_BRIDGE_JVM_OPTIONS``) for the message."""
    exe = java.java_executable()
    if exe is None:
        return
    try:
        proc = subprocess.run([str(exe), *options, "-version"], capture_output=True, text=True,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"could not run {exe} ({exc}): {java.fix}") from None
    if proc.returncode == 0:
        return
    generic = ("Error: Could not create the Java Virtual Machine",
               "Error: A fatal exception has occurred", "Error occurred during initialization of VM")
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    reasons = [ln for ln in lines if not ln.startswith(generic)] or lines or [f"exit {proc.returncode}"]
    where = (f"unset {JVM_OPTIONS_ENV}" if source == JVM_OPTIONS_ENV
             else "pass jvm_options=None")
    raise ConfigError(f"the JVM refuses the options of {source} ({reasons[0]}): fix them, or "
                      f"{where} to use the defaults ({' '.join(TUNED_JVM_OPTIONS)})")
