"""``djl-bridge doctor``: checks what a training needs, one line per check, and says how to fix
what is off (exit status 1 then)."""
from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from . import data, jvm
from .errors import BridgeError


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
class Report:
    """All checks, in order."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    def add(self, name: str, probe: Callable[[], str]) -> bool:
        """Runs ``probe``; a :class:`BridgeError` becomes a failed check whose message is the fix."""
        try:
            self.checks.append(Check(name, True, probe()))
            return True
        except BridgeError as exc:  # its message says what is wrong and how to fix it
            self.checks.append(Check(name, False, str(exc)))
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


def run_checks(data_path: Optional[Path] = None) -> Report:
    """Runs every check; the JVM is started only when Java and the build are in place."""
    import jpype

    report = Report()
    report.checks.append(Check("python", True, f"{platform.python_version()} ({sys.executable}), "
                                               f"JPype {jpype.__version__}"))
    java_ok = report.add("java", lambda: str(jvm.find_jvm()))
    build_ok = report.add("build", lambda: f"{len(jvm.find_classpath())} jars listed in "
                                           f"{jvm.classpath_file()}")
    if java_ok and build_ok:
        def engine() -> str:
            jvm.start()
            system = jpype.JClass("java.lang.System")
            eng = jpype.JClass("ai.djl.engine.Engine")
            inst = eng.getInstance()
            return (f"Java {system.getProperty('java.version')} at {system.getProperty('java.home')}; "
                    f"DJL {eng.getDjlVersion()}; engine {inst.getEngineName()} {inst.getVersion()}")

        if report.add("engine", engine):
            libs = native_library_paths()
            env = os.environ.get("MXNET_LIBRARY_PATH")
            source = ", ".join(libs) if libs else "not visible in /proc/self/maps"
            jars = [p.name for p in jvm.find_classpath() if "mxnet-native" in p.name]
            if jars and not env:
                source += f" (extracted by DJL from {', '.join(jars)})"
            if env:
                source += f" (MXNET_LIBRARY_PATH={env})"
            report.checks.append(Check("natives", True, source))

            def gpus() -> str:
                count = int(jpype.JClass("ai.djl.engine.Engine").getInstance().getGpuCount())
                cuda = jpype.JClass("ai.djl.util.cuda.CudaUtils")
                cuda_text = (f"CUDA {cuda.getCudaVersionString()}" if cuda.hasCuda()
                             else "no CUDA runtime found")
                return f"{count} GPU(s) visible to DJL, {cuda_text}" + (
                    "; training runs on the CPU (--device gpu will be refused)" if count == 0 else "")

            report.add("gpu", gpus)

    def corpus() -> str:
        try:
            path = data.locate_corpus(data_path, verify_sha1=True, allow_download=False)
        except data.DataError as exc:
            if data_path is None and not os.environ.get(data.ENV_VAR):
                raise data.DataError(
                    f"no corpus yet: `djl-bridge train` downloads it into "
                    f"{data.cache_dir() / data.FILE_NAME} on first use; without network, pass "
                    f"--data PATH or set {data.ENV_VAR}") from None
            raise exc
        return f"{path} (SHA-1 {data.SHA1[:12]}... verified, {data.count_tokens(path)} tokens)"

    from . import gpu  # the driver, each GPU, the CUDA libraries, what --device will do
    report.checks += [Check(name, ok, detail) for name, ok, detail in gpu.doctor_lines()]
    report.add("data", corpus)
    return report


def main(data_path: Optional[Path] = None) -> int:
    """Prints the report; returns 0 when every check passed, else 1."""
    report = run_checks(data_path)
    for check in report.checks:
        print(check.line())
    print("all checks passed" if report.ok else "some checks failed: each FAIL line says how to fix it")
    return 0 if report.ok else 1
