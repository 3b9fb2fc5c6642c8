"""File operations a checkpoint is made of, each durable before the next step relies on it:
write-sync-rename, a new file written and synced, a file the Java side wrote synced and hashed,
a folder's entries synced, and removal that never raises.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

#: How much of a file is hashed at a time.
CHUNK = 1 << 20


def umask() -> int:
    """This process's umask (read without changing it for longer than the call)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_dir(path: Path) -> None:
    """Makes the entries of the folder ``path`` durable; quiet where that is not possible."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Removes a directory tree or a file; never raises (it may be gone already)."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def atomic_write_text(path: Path, text: str) -> None:
    """Writes ``text`` to a temporary file next to ``path``, syncs it, then renames it over."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes 0600; give it the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    fsync_dir(path.parent)


def write_synced(path: Path, data: bytes) -> dict[str, Any]:
    """Writes ``data`` to a new file, fsyncs it; returns its size and SHA-256."""
    with path.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def sync_and_hash(path: Path) -> dict[str, Any]:
    """Fsyncs a file written by someone else (the Java side) and hashes what it holds."""
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
        return digest(fh)


def digest(fh: BinaryIO) -> dict[str, Any]:
    """The size and SHA-256 of what ``fh`` holds from where it stands to its end, as
    ``checkpoint.json`` records them: ``{"bytes": N, "sha256": HEX}``."""
    sha = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        sha.update(chunk)
        size += len(chunk)
    return {"bytes": size, "sha256": sha.hexdigest()}
