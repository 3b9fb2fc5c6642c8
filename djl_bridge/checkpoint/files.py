"""File operations a checkpoint is made of, each durable before the next step relies on it:
write-sync-rename, a new file written and synced, a file the Java side wrote synced and hashed,
a folder's entries synced, and removal that never raises; and the one way a checkpoint's files
are read: an entry of an open directory, opened only when it is a regular file (never through a
link, never blocking on a FIFO or a device), its size bounded before a byte is read.
"""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
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


#: How an entry of a checkpoint directory is opened for reading: never through a symbolic link,
#: never waiting (a FIFO opens at once), never becoming the controlling terminal.
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class NotRegularFileError(OSError):
    """An entry that should be a regular file is something else; ``kind`` says what
    (:func:`kind_of`)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind}, not a regular file")
        self.kind = kind


class TooLargeError(OSError):
    """A file is larger than it may be: ``size`` bytes, at most ``limit``."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes, more than {limit}")
        self.size = size
        self.limit = limit


def kind_of(mode: int) -> str:
    """What a file of ``mode`` (``st_mode``) is, in words: "a directory", "a FIFO"..."""
    for test, kind in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISREG, "a regular file")):
        if test(mode):
            return kind
    return "not a regular file"


def open_regular(name: str, dir_fd: int) -> tuple[int, os.stat_result]:
    """Opens the entry ``name`` of the directory open as ``dir_fd`` for reading, only when it is
    a regular file: looked at without following a link first (so a FIFO or a device is never
    opened), then opened with :data:`READ_FLAGS` and looked at again through the descriptor (so
    an entry swapped in between is seen). Returns the descriptor and its ``fstat``; raises
    FileNotFoundError when there is no such entry and :class:`NotRegularFileError` when it is
    anything but a regular file."""
    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(kind_of(st.st_mode))
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError as exc:  # ELOOP: it became a link meanwhile
        if exc.errno == errno.ELOOP:
            raise NotRegularFileError(kind_of(stat.S_IFLNK)) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularFileError(kind_of(st.st_mode))
    return fd, st


def read_entry(name: str, dir_fd: int, limit: int) -> bytes:
    """The bytes of the regular file ``name`` of the directory ``dir_fd`` (:func:`open_regular`),
    read once into memory, after its size was found to be at most ``limit``
    (:class:`TooLargeError` otherwise)."""
    fd, st = open_regular(name, dir_fd)
    try:
        if st.st_size > limit:
            raise TooLargeError(st.st_size, limit)
        return read_fd(fd, st.st_size)
    finally:
        os.close(fd)


def read_fd(fd: int, size: int) -> bytes:
    """Up to ``size`` bytes from ``fd`` (fewer when the file ends first)."""
    parts = [os.read(fd, size)]  # a regular file gives them all at once, as a rule
    got = len(parts[0])
    while got < size and parts[-1]:
        parts.append(os.read(fd, size - got))
        got += len(parts[-1])
    return parts[0] if len(parts) == 1 else b"".join(parts)
