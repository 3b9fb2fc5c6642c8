"""Where a run writes (``--checkpoint-dir``, ``--plot``), proven writable before the JVM starts.

A run that can only fail at its end (a read-only disk, a path under a regular file, a directory
where a file is wanted) is refused at once, with one line that names the fix, instead of after
hours of training. Writability is proven the only reliable way, by writing: root ignores mode
bits, and read-only mounts, full disks and quotas only show when a file is created.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

from .config import API_NAMES, Names
from .errors import ConfigError

#: Prefix of the probe files (never matches ``epoch-*``/``.epoch-*``, so pruning never sees one).
PROBE_PREFIX = ".djl-bridge-probe."


def _reason(exc: OSError) -> str:
    """The OS's words for an error, e.g. "Read-only file system"."""
    return exc.strerror or str(exc)


def blocking_file(path: Path) -> Optional[Path]:
    """The nearest existing ancestor of ``path`` that is not a directory (a regular file, a
    device...), so that nothing can ever be created at ``path``; None when there is none."""
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def probe_directory(directory: Path) -> None:
    """Creates, writes, fsyncs and deletes a small file in ``directory``; raises the OSError
    of the first step that fails."""
    fd, name = tempfile.mkstemp(prefix=PROBE_PREFIX, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"djl-bridge write probe\n")
            fh.flush()
            os.fsync(fh.fileno())
    finally:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


def check_checkpoint_dir(path: Path, names: Names = API_NAMES) -> Path:
    """Proves before any training that checkpoints can be written into ``path``: creates the
    directory if missing and writes, syncs and deletes a probe file in it. Returns ``path``.

    Raises :class:`ConfigError` (one line, with the fix, naming the setting as ``names`` does)
    for a path that is a file, lies under a regular file, cannot be created, or is not writable
    (read-only file system, full disk...).
    """
    name = names("checkpoint_dir", "RunOptions")
    flag = f"{name} {path}"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{flag} is a file, not a directory: pass a directory (or move the file "
                          "away)")
    blocker = blocking_file(path)
    if blocker is not None:
        raise ConfigError(f"{flag}: {blocker} is a file, so no directory can be made under it: "
                          f"pick another {name}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{flag}: the directory cannot be created ({_reason(exc)}): pick "
                          f"another {name} in a writable place") from None
    if not path.is_dir():  # e.g. a dangling symlink, or a race with another process
        raise ConfigError(f"{flag} is not a directory: pass a directory")
    try:
        probe_directory(path)
    except OSError as exc:
        raise ConfigError(f"{flag} is not writable ({_reason(exc)}): pick another "
                          f"{name}, or make it writable") from None
    return path


def check_output_file(path: Path, flag: str) -> Path:
    """Proves before any training that the file ``path`` can be written by write-then-rename:
    it is not a directory (nor another non-regular file), its directory exists and a probe file
    can be created, synced and deleted there. ``flag`` names the option in the message, e.g.
    ``"--plot"``. Raises :class:`ConfigError` (one line, with the fix)."""
    what = f"{flag} {path}"
    if path.is_dir():
        raise ConfigError(f"{what} is a directory: give a file name, e.g. "
                          f"{path / 'perplexity.png'}")
    if path.exists() and not path.is_file():
        raise ConfigError(f"{what} is not a regular file: give the path of a file to write")
    parent = path.parent
    if not parent.is_dir():
        blocker = parent if parent.exists() else blocking_file(parent)
        if blocker is not None:
            raise ConfigError(f"{what}: {blocker} is a file, not a directory: pick another "
                              "place for the file")
        raise ConfigError(f"{what}: the directory {parent} does not exist; create it")
    try:
        probe_directory(parent)
    except OSError as exc:
        raise ConfigError(f"{what}: the directory {parent} is not writable ({_reason(exc)}): "
                          "pick a writable place for the file") from None
    return path
