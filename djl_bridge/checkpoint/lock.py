"""One writer per checkpoint directory: :class:`CheckpointLock`, an exclusive ``flock(2)`` on
``DIR/.lock`` held for a whole run, and :func:`holds_lock` for the writes made under it.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import shlex
import stat
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from .. import jsonfile
from ..config import API_NAMES, Names
from ..errors import CheckpointError
from .files import kind_of
from .layout import LOCK

#: How the lock file is opened: created if missing, never through a symbolic link (even a
#: dangling one, whose target would be created), never waiting (a FIFO opens at once).
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC

#: The locks this process holds, by resolved directory: write_checkpoint writes under them.
_HELD: dict[str, "CheckpointLock"] = {}


def _key(root: Path) -> str:
    return str(root.absolute().resolve())


def holds_lock(root: Path) -> bool:
    """Whether this process holds the :class:`CheckpointLock` of ``root``."""
    return _key(root) in _HELD


class CheckpointLock:
    """The right to write checkpoints into ``root``, held for a whole run: an exclusive
    ``flock(2)`` on ``root/.lock``. The kernel drops it when the process ends in any way (also
    ``kill -9``), so a lock is never stale. The file holds the pid, start time and command of
    the holder for the message a second writer gets. It is removed on release, while still
    locked; an opener that locked the removed file sees that its inode is no longer the path's
    and locks the new file instead, so two processes can never both hold the lock. After
    ``kill -9`` the file stays, unlocked, and is simply taken by the next writer.

    A second lock on the same directory, from another process or from this one, raises
    :class:`CheckpointError`. Use as a context manager, or :meth:`acquire`/:meth:`release`.
    """

    def __init__(self, root: Path, command: Optional[str] = None,
                 names: Names = API_NAMES) -> None:
        self.root = root
        self.command = command if command is not None else _this_command()
        #: How messages name the checkpoint directory (``--checkpoint-dir`` for the CLI).
        self.names = names
        self._fd: Optional[int] = None

    @property
    def path(self) -> Path:
        """The lock file."""
        return self.root / LOCK

    @property
    def held(self) -> bool:
        """Whether this object holds the lock now."""
        return self._fd is not None

    def acquire(self) -> "CheckpointLock":
        """Takes the lock without waiting; raises :class:`CheckpointError` when another run
        holds it or the lock file cannot be made."""
        if self._fd is not None:
            return self
        for _ in range(100):
            fd = self._open_and_lock()
            try:  # the holder before us removes the file as it lets go: then lock the new one
                st, now = os.fstat(fd), os.lstat(self.path)
                if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
                    break
            except OSError:
                pass
            os.close(fd)
        else:
            raise CheckpointError(f"cannot lock {self.path}: it keeps being replaced; pick "
                                  f"another {self._setting}")
        started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        info = json.dumps({"pid": os.getpid(), "started": started, "command": self.command})
        try:  # best effort: the lock holds without it, the message then lacks the details
            os.ftruncate(fd, 0)
            os.pwrite(fd, (info + "\n").encode("utf-8"), 0)
        except OSError:
            pass
        self._fd = fd
        _HELD[_key(self.root)] = self
        return self

    def _open_and_lock(self) -> int:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._refuse_foreign(os.lstat(self.path))
        except FileNotFoundError:
            pass  # created below
        except OSError as exc:
            raise self._cannot_create(exc) from None
        try:  # never through a link (ELOOP), never waiting on a FIFO
            fd = os.open(self.path, _OPEN_FLAGS, 0o666)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise self._refused("a symbolic link") from None
            raise self._cannot_create(exc) from None
        try:
            self._refuse_foreign(os.fstat(fd))  # swapped in between the two looks
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except CheckpointError:
            os.close(fd)
            raise
        except OSError as exc:
            holder = _read_holder(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise CheckpointError(
                    f"{self.root} is in use by another djl-bridge run ({holder}): wait for it to "
                    f"finish or pick another {self._setting}") from None
            raise CheckpointError(
                f"cannot lock {self.path} ({exc.strerror or exc}): pick a {self._setting} on a "
                "local file system") from None
        return fd

    @property
    def _setting(self) -> str:
        return self.names("checkpoint_dir", "RunOptions")

    def _refuse_foreign(self, st: os.stat_result) -> None:
        """Raises :class:`CheckpointError` unless ``st`` is a lock file djl-bridge may write: a
        regular file with no other name (a symbolic link, a FIFO, a device, a directory, or a
        hard link to another file would have its target written). No name at all is fine: the
        holder before removed it as it let go, and :meth:`acquire` then opens the new one."""
        if not stat.S_ISREG(st.st_mode):
            raise self._refused(kind_of(st.st_mode))
        if st.st_nlink > 1:
            raise self._refused(f"a file with {st.st_nlink} hard links")

    def _refused(self, what: str) -> CheckpointError:
        return CheckpointError(
            f"{self.path} is {what}, not a lock file djl-bridge made, and is never written "
            f"through: remove it, or pick another {self._setting}")

    def _cannot_create(self, exc: OSError) -> CheckpointError:
        return CheckpointError(
            f"cannot create the lock file {self.path} ({exc.strerror or exc}): pick another "
            f"{self._setting} in a writable place")

    def release(self) -> None:
        """Gives the lock up and removes the lock file; a no-op when not held."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if _HELD.get(_key(self.root)) is self:
            del _HELD[_key(self.root)]
        try:  # removed while still locked, so a waiting opener sees it is gone (see acquire)
            os.unlink(self.path)
        except OSError:
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> "CheckpointLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _this_command() -> str:
    argv = list(sys.argv) or ["python"]
    head = Path(argv[0]).name
    if head in ("cli.py", "__main__.py", "djl-bridge"):
        text = shlex.join(["djl-bridge", *argv[1:]])
    else:
        text = shlex.join(argv)
    return text if len(text) <= 160 else text[:157] + "..."


def _read_holder(fd: int) -> str:
    """'pid N, started T: COMMAND' from a lock file, as far as it can be read."""
    try:
        info = jsonfile.parse(os.pread(fd, 4096, 0), 4096)
        pid, started, command = int(info["pid"]), str(info["started"]), str(info["command"])
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"
    return f"pid {pid}, started {started}: {command}"
