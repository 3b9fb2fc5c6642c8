"""The jars of the Java side: which file lists them (``DJL_BRIDGE_CLASSPATH``, an installed
wheel's ``djl_bridge/_java/classpath.txt``, or a checkout's ``build/classpath.txt``), reading that
list, and checking that every entry is a jar and one of them is djl-bridge's own.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import NotBuiltError
from ..paths import check_path

#: The repository root when the package runs from a checkout (editable install or PYTHONPATH).
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

#: Where a wheel carries the Java side: ``classpath.txt`` (paths relative to it) and ``lib/*.jar``.
PACKAGE_JAVA_DIR = Path(__file__).resolve().parent.parent / "_java"

CLASSPATH_ENV = "DJL_BRIDGE_CLASSPATH"
#: The most bytes of a classpath list (build/classpath.txt has about 1,000).
CLASSPATH_MAX_BYTES = 1 << 20

JAR_NAME_PREFIX = "djl-bridge-"

_REINSTALL = ("reinstall djl-bridge (`pip install --force-reinstall djl-bridge`, or the wheel it "
              "came from)")


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
            check_path(env, CLASSPATH_ENV), CLASSPATH_ENV,
            f"run `gradle assemble` in a checkout and point {CLASSPATH_ENV} at its "
            f"build/classpath.txt, or unset {CLASSPATH_ENV} to use djl-bridge's own jars")
    packaged = PACKAGE_JAVA_DIR / "classpath.txt"
    if packaged.is_file() or not is_checkout():
        return ClasspathSource(packaged, "package", _REINSTALL)
    return ClasspathSource(PROJECT_ROOT / "build" / "classpath.txt", "checkout",
                           f"run `./go setup` (or `gradle assemble`) in {PROJECT_ROOT}")


def find_classpath() -> list[Path]:
    """Returns the djl-bridge jar and its runtime dependencies, checked: every entry an existing
    jar. Raises :class:`NotBuiltError` with the fix for where the list came from."""
    src = classpath_source()
    if src.file.exists() and not src.file.is_file():  # a directory, a device, a pipe
        kind = "a directory" if src.file.is_dir() else "not a regular file"
        raise NotBuiltError(f"{src.label()} is {kind}, not a classpath list (a file of .jar "
                            f"paths, one a line, as build/classpath.txt): {src.fix}")
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
        with src.file.open("rb") as fh:
            raw = fh.read(CLASSPATH_MAX_BYTES + 1)
    except OSError as exc:
        raise NotBuiltError(f"cannot read {src.label()} ({exc.strerror or exc}): {src.fix}") from None
    if len(raw) > CLASSPATH_MAX_BYTES:
        raise NotBuiltError(f"{src.label()} is not a classpath list (more than "
                            f"{CLASSPATH_MAX_BYTES} bytes): {src.fix}")
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
