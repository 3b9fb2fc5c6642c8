"""Checkpoints: what a run needs to go on later or to generate text, written so that a crash at any
moment leaves either the old checkpoint or the new one, never half of one, and read back only
when every file still has the bytes that were written.

Layout of a checkpoint directory ``DIR``::

    DIR/.lock                  flock(2)-ed by the run writing into DIR (pid, start, command);
                               removed when that run ends
    DIR/LATEST                 name of the newest complete checkpoint ("epoch-000012")
    DIR/epoch-000012/
        checkpoint.json        format, version, config, epochs done, perplexity and speed per
                               epoch, and the size and SHA-256 of every other file below
        vocab.json             the vocabulary, index to token ("<unk>" first)
        model.params           concise model: DJL's Block.saveParameters format
        params.npz             scratch model: DJL's NPZ encoding of the cell's parameter list, in
                               the cell's order (numpy.load(..., allow_pickle=False) reads it)

Each ``epoch-N`` directory is written under a temporary name (``.epoch-N.*.tmp``) and renamed into
place when complete; ``LATEST`` is replaced by write-then-rename. The two newest checkpoints are
kept. One run at a time writes into a directory (:class:`CheckpointLock`); a new run does not
write into a directory that holds another run's checkpoints unless told to replace them
(:func:`check_new_run`, :class:`CheckpointWriter`).
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from .config import TrainConfig, check_path
from .errors import BridgeError, CheckpointError

FORMAT = "djl-bridge-checkpoint"
#: Version 2 added ``files`` (size and SHA-256 of every file). Version 1 checkpoints are still
#: read, without the check (:attr:`Checkpoint.verified` is False, :attr:`Checkpoint.warning`
#: says so); a newer version than this one is refused.
VERSION = 2
LATEST = "LATEST"
META = "checkpoint.json"
VOCAB = "vocab.json"
LOCK = ".lock"
PARAMS = {"concise": "model.params", "scratch": "params.npz"}
KEEP = 2
_EPOCH_DIR = re.compile(r"epoch-(\d{6,})")
_CHUNK = 1 << 20


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint could not be written (full disk, I/O error...); the previous one is intact.
    It is also an :class:`OSError`, as the failure it reports."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back from disk."""

    path: Path
    config: TrainConfig
    epochs_done: int
    perplexity: list[float]
    epoch_tokens_per_sec: list[float]
    vocab: list[str]
    #: The format version it was written with.
    version: int = VERSION
    #: True when every file was checked against its SHA-256 (version 2 on); False for version 1.
    verified: bool = True

    @property
    def params_file(self) -> Path:
        """The parameter file of the model."""
        return self.path / PARAMS[self.config.impl]

    @property
    def warning(self) -> Optional[str]:
        """One line to show the user when the files could not be checked, else None."""
        if self.verified:
            return None
        return (f"{self.path} is a version-{self.version} checkpoint, written before checkpoints "
                "carried SHA-256 sums: its files cannot be checked for damage (a resumed run "
                f"writes version-{VERSION} checkpoints)")


# ---------------------------------------------------------------------------------------------
# Small file helpers


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
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


def _remove_tree(path: Path) -> None:
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
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give it the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    _fsync_dir(path.parent)


def _write_synced(path: Path, data: bytes) -> dict[str, Any]:
    """Writes ``data`` to a new file, fsyncs it; returns its size and SHA-256."""
    with path.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _sync_and_hash(path: Path) -> dict[str, Any]:
    """Fsyncs a file written by someone else (the Java side) and hashes what it holds."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


def _io_reason(exc: BaseException) -> Optional[str]:
    """The words of an I/O failure: a Python OSError, a Java IOException (as JPype raises it) or
    a :class:`BridgeError` made of one; None for anything else (a bug: let it through)."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, BridgeError):
        return str(exc)
    if any(getattr(c, "__name__", "") == "java.io.IOException" for c in type(exc).__mro__):
        get_message = getattr(exc, "getMessage", None)
        message = get_message() if get_message is not None else None
        return str(message) if message is not None else str(exc)
    return None


def epoch_dir_name(epoch: int) -> str:
    """The directory name of the checkpoint after ``epoch`` epochs."""
    return f"epoch-{epoch:06d}"


def _epoch_of(name: str) -> Optional[int]:
    m = _EPOCH_DIR.fullmatch(name)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------------------------
# One writer per directory


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

    def __init__(self, root: Path, command: Optional[str] = None) -> None:
        self.root = root
        self.command = command if command is not None else _this_command()
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
                st, now = os.fstat(fd), os.stat(self.path)
                if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino):
                    break
            except OSError:
                pass
            os.close(fd)
        else:
            raise CheckpointError(f"cannot lock {self.path}: it keeps being replaced; pick "
                                  "another --checkpoint-dir")
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
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            raise CheckpointError(
                f"cannot create the lock file {self.path} ({exc.strerror or exc}): pick another "
                "--checkpoint-dir in a writable place") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_holder(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise CheckpointError(
                    f"{self.root} is in use by another djl-bridge run ({holder}): wait for it to "
                    "finish or pick another --checkpoint-dir") from None
            raise CheckpointError(
                f"cannot lock {self.path} ({exc.strerror or exc}): pick a --checkpoint-dir on a "
                "local file system") from None
        return fd

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
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        pid, started, command = int(info["pid"]), str(info["started"]), str(info["command"])
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"
    return f"pid {pid}, started {started}: {command}"


# ---------------------------------------------------------------------------------------------
# What a directory holds


def _complete_dirs(root: Path) -> list[Path]:
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    dirs = []
    for p in entries:
        try:
            if _epoch_of(p.name) is not None and p.is_dir() and (p / META).is_file():
                dirs.append(p)
        except OSError:  # gone or unreadable meanwhile
            continue
    return sorted(dirs, key=lambda p: p.name)


def _checkpoint_entries(root: Path) -> list[Path]:
    """``LATEST`` and every ``epoch-*`` entry, complete or not (temporaries left out)."""
    try:
        return sorted(p for p in root.iterdir()
                      if p.name == LATEST or p.name.startswith("epoch-"))
    except OSError:
        return []


def _latest_name(root: Path) -> Optional[str]:
    """What ``LATEST`` names: None when there is no ``LATEST``; raises :class:`CheckpointError`
    when it is there but damaged (a directory, not text, not an epoch-N name, pointing nowhere)."""
    latest = root / LATEST
    if not latest.exists() and not latest.is_symlink():
        return None
    fix = _fix_for_latest(root)
    if not latest.is_file():
        raise CheckpointError(f"{latest} is damaged (not a file): {fix}")
    try:
        raw = latest.read_bytes()
        name = raw.decode("utf-8").strip()
    except OSError as exc:
        raise CheckpointError(f"{latest} cannot be read ({exc.strerror or exc}): {fix}") from None
    except UnicodeDecodeError:
        raise CheckpointError(f"{latest} is damaged (not text): {fix}") from None
    if _epoch_of(name) is None:
        shown = name if len(name) <= 40 and name.isprintable() else name[:40].encode(
            "unicode_escape").decode("ascii") + "..."
        raise CheckpointError(f"{latest} is damaged (it holds {shown!r}, not an epoch-N name): "
                              f"{fix}")
    if not (root / name / META).is_file():
        raise CheckpointError(f"{latest} is damaged (it names {name}, which is not a complete "
                              f"checkpoint in {root}): {fix}")
    return name


def _fix_for_latest(root: Path) -> str:
    dirs = _complete_dirs(root)
    if dirs:
        return (f"pass one of its checkpoints directly (e.g. {dirs[-1]}), or delete "
                f"{root / LATEST} to use the newest one")
    return "use another checkpoint directory, or train again"


def find_latest(root: Path) -> Optional[Path]:
    """The newest complete checkpoint under ``root``: the one ``LATEST`` names, or the newest
    ``epoch-N`` directory when there is no ``LATEST`` (a crash between the two renames); None when
    there is none. Raises :class:`CheckpointError` when ``LATEST`` is damaged."""
    name = _latest_name(root)
    if name is not None:
        return root / name
    dirs = _complete_dirs(root)
    return dirs[-1] if dirs else None


def checkpoint_root(path: Path) -> Path:
    """The checkpoint directory of ``path``: ``path`` itself, or its parent when ``path`` is one
    ``epoch-N`` directory (``--resume DIR/epoch-000005``)."""
    return path.parent if (path / META).is_file() else path


def describe(root: Path) -> str:
    """A few words on the checkpoints of ``root`` for messages: "epoch 12, gru scratch, 256
    hidden" (its newest checkpoint), or what is there when that cannot be read."""
    try:
        ckpt = read_checkpoint(root)
    except CheckpointError:
        names = [p.name for p in _checkpoint_entries(root)]
        return f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}; unreadable"
    c = ckpt.config
    return f"epoch {ckpt.epochs_done}, {c.model} {c.impl}, {c.hidden} hidden"


def check_new_run(root: Path, overwrite: bool = False) -> bool:
    """May a new run (not ``--resume`` of this very directory) write its checkpoints into
    ``root``? A missing or empty directory, or one without ``LATEST`` and ``epoch-*`` entries, may
    be used: returns False. One that holds another run's checkpoints raises
    :class:`CheckpointError` unless ``overwrite``; then it returns True and nothing is removed yet:
    pass ``replace_existing=True`` to the run's first :func:`write_checkpoint` (as
    :class:`CheckpointWriter` does), which removes them once the new checkpoint is complete. Call
    it with the lock held, so no other run changes ``root`` meanwhile."""
    if not _checkpoint_entries(root):
        return False
    if overwrite:
        return True
    raise CheckpointError(
        f"{root} already holds the checkpoints of another run ({describe(root)}): pass --resume "
        f"{root} to continue it, --overwrite to replace it, or pick another --checkpoint-dir")


# ---------------------------------------------------------------------------------------------
# Writing


def write_checkpoint(root: Path, config: TrainConfig, epochs_done: int,
                     perplexity: list[float], epoch_tokens_per_sec: list[float],
                     vocab: list[str], write_params: Callable[[Path], None], *,
                     replace_existing: bool = False) -> Path:
    """Writes one checkpoint into ``root`` atomically and points ``LATEST`` at it.

    ``write_params(file)`` writes the model's parameter file (the Java side does it); its bytes
    are synced and their SHA-256 recorded in ``checkpoint.json`` with the vocabulary's. With
    ``replace_existing``, every other ``epoch-*`` entry (another run's) is removed once the new
    checkpoint and ``LATEST`` are in place. Then the older checkpoints beyond the newest
    :data:`KEEP` and leftover temporaries are removed. A run holds :class:`CheckpointLock` (or
    :class:`CheckpointWriter`) for its whole length; without it, the lock is taken for this one
    write, so a concurrent writer gets :class:`CheckpointError` instead of losing its files.

    Raises :class:`CheckpointWriteError` when any write fails (full disk, I/O error, a Java
    IOException from ``write_params``): the temporary directory is removed, the previous
    checkpoint and ``LATEST`` are left as they were, and the message says so.
    """
    args = (root, config, epochs_done, perplexity, epoch_tokens_per_sec, vocab, write_params,
            replace_existing)
    if holds_lock(root):
        return _write_checkpoint(*args)
    with CheckpointLock(root):
        return _write_checkpoint(*args)


def _write_checkpoint(root: Path, config: TrainConfig, epochs_done: int,
                      perplexity: list[float], epoch_tokens_per_sec: list[float],
                      vocab: list[str], write_params: Callable[[Path], None],
                      replace_existing: bool) -> Path:
    final = root / epoch_dir_name(epochs_done)
    intact = _intact_epoch(root)
    existed = final.exists()
    tmp: Optional[Path] = None
    installed = False
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=root))
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give it the usual mode
        params = tmp / PARAMS[config.impl]
        write_params(params)
        files = {params.name: _sync_and_hash(params)}
        files[VOCAB] = _write_synced(tmp / VOCAB, json.dumps(list(vocab), indent=1).encode("utf-8"))
        meta: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "epochs_done": epochs_done,
            "perplexity": [float(p) for p in perplexity],
            "epoch_tokens_per_sec": [float(s) for s in epoch_tokens_per_sec],
            "params_file": params.name,
            "params_format": ("djl-block-parameters" if config.impl == "concise" else "npz"),
            "files": files,
            "config": config.to_dict(),
        }
        _write_synced(tmp / META, json.dumps(meta, indent=1).encode("utf-8"))
        _fsync_dir(tmp)
        if existed:  # the same epoch again (e.g. resumed and stopped at once): replace it
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=root))
            os.replace(final, old / final.name)
            try:
                os.replace(tmp, final)
            except BaseException:
                os.replace(old / final.name, final)  # put the previous one back
                _remove_tree(old)
                raise
            _remove_tree(old)
        else:
            os.replace(tmp, final)
        installed = True
        _fsync_dir(root)
        atomic_write_text(root / LATEST, final.name + "\n")
    except BaseException as exc:
        if tmp is not None:
            _remove_tree(tmp)
        if installed and not existed:  # LATEST still names the previous one: keep it the newest
            _remove_tree(final)
        reason = _io_reason(exc)
        if reason is None or isinstance(exc, CheckpointError):
            raise
        kept = (f"the checkpoint of epoch {intact} is intact" if intact is not None
                else "no earlier checkpoint was written")
        raise CheckpointWriteError(
            f"could not write the checkpoint of epoch {epochs_done} into {root}: {reason}: free "
            f"space or pick another --checkpoint-dir; {kept}") from None
    if replace_existing:
        for p in _checkpoint_entries(root):
            if p.name not in (LATEST, final.name):
                _remove_tree(p)
    _prune(root, keep_name=final.name)
    return final


def _intact_epoch(root: Path) -> Optional[int]:
    """The epoch of the checkpoint ``LATEST`` names now (None when there is none or it is
    unreadable): the one a failed write leaves in place."""
    try:
        latest = find_latest(root)
    except (CheckpointError, OSError):
        return None
    return _epoch_of(latest.name) if latest is not None else None


def _prune(root: Path, keep_name: str) -> None:
    """Removes complete checkpoints beyond the newest :data:`KEEP` (never ``keep_name``) and the
    temporaries (``.epoch-*``) of writes that died: with the lock held no other run writes here,
    and this run's own temporary is already renamed. Never raises."""
    dirs = _complete_dirs(root)
    keep = {p.name for p in dirs[-KEEP:]} | {keep_name}
    for p in dirs:
        if p.name not in keep:
            _remove_tree(p)
    try:
        leftovers = [p for p in root.iterdir() if p.name.startswith(".epoch-")]
    except OSError:
        return
    for p in leftovers:
        _remove_tree(p)


class CheckpointWriter:
    """The checkpoints of one training run in one directory: holds :class:`CheckpointLock` from
    :meth:`open` to :meth:`close` and writes through :func:`write_checkpoint`.

    ``resuming``: ``root`` holds this run's own earlier checkpoints (``--resume DIR`` into the same
    DIR); otherwise :func:`check_new_run` decides, and with ``overwrite`` the other run's
    checkpoints are replaced at this run's first checkpoint, not before: a run that fails or is
    stopped before it has anything to save leaves them as they were.
    """

    def __init__(self, root: Path, *, resuming: bool = False, overwrite: bool = False,
                 command: Optional[str] = None) -> None:
        self.root = root
        self.resuming = resuming
        self.overwrite = overwrite
        self._lock = CheckpointLock(root, command)
        self._replace = False

    def open(self) -> "CheckpointWriter":
        """Takes the lock and checks the directory; raises :class:`CheckpointError`."""
        self._lock.acquire()
        try:
            self._replace = False if self.resuming else check_new_run(self.root, self.overwrite)
        except BaseException:
            self._lock.release()
            raise
        return self

    def write(self, config: TrainConfig, epochs_done: int, perplexity: list[float],
              epoch_tokens_per_sec: list[float], vocab: list[str],
              write_params: Callable[[Path], None]) -> Path:
        """Writes one checkpoint (see :func:`write_checkpoint`) and returns its directory."""
        if not self._lock.held:
            raise RuntimeError("CheckpointWriter.write outside open()/close()")
        path = write_checkpoint(self.root, config, epochs_done, perplexity, epoch_tokens_per_sec,
                                vocab, write_params, replace_existing=self._replace)
        self._replace = False
        return path

    def close(self) -> None:
        """Releases the lock."""
        self._lock.release()

    def __enter__(self) -> "CheckpointWriter":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Reading


def _damaged(ckpt: Path, detail: str) -> CheckpointError:
    return CheckpointError(f"{ckpt} is not a readable djl-bridge checkpoint ({detail}): use "
                           "another checkpoint directory, or train again")


def _verify_file(ckpt: Path, name: str, files: dict[str, Any]) -> None:
    """Checks ``ckpt/name`` against the SHA-256 (and size) recorded in ``files``."""
    entry = files.get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise _damaged(ckpt, f"{META} records no SHA-256 of {name}")
    path = ckpt / name
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete; use another "
                              "checkpoint or train again") from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}): use another "
                              "checkpoint or train again") from None
    got = digest.hexdigest()
    if got != entry["sha256"]:
        written = entry.get("bytes")
        sizes = (f"; {size} bytes, {written} were written"
                 if isinstance(written, int) and written != size else "")
        raise CheckpointError(f"{path} is damaged (SHA-256 mismatch: expected {entry['sha256']}, "
                              f"got {got}{sizes}): use another checkpoint or train again")


def read_checkpoint(path: "Path | str") -> Checkpoint:
    """Reads a checkpoint: ``path`` is a checkpoint root (``LATEST`` is followed) or one
    ``epoch-N`` directory. Every file is checked against the SHA-256 recorded when it was
    written (version 2 on). Raises :class:`CheckpointError`, one line with the fix, when it
    cannot: missing, damaged ``LATEST``/``checkpoint.json``, a file whose bytes changed, a
    version newer than this djl-bridge reads."""
    path = check_path(path, "the checkpoint")
    if not path.is_dir():
        raise CheckpointError(
            f"checkpoint directory not found: {path}. Pass the DIR given to "
            "`djl-bridge train --checkpoint-dir DIR`")
    ckpt = path if (path / META).is_file() else find_latest(path)
    if ckpt is None:
        raise CheckpointError(
            f"no checkpoint in {path}: train with `djl-bridge train --checkpoint-dir {path}` "
            "first (a checkpoint is written every --save-every epochs, at the end and on Ctrl-C)")
    try:
        meta = json.loads((ckpt / META).read_bytes().decode("utf-8"))
    except OSError as exc:
        raise _damaged(ckpt, f"{META} cannot be read: {exc.strerror or exc}") from None
    except ValueError:  # UnicodeDecodeError, json.JSONDecodeError
        raise _damaged(ckpt, f"{META} is not valid JSON: truncated or overwritten") from None
    if not isinstance(meta, dict):
        raise _damaged(ckpt, f"{META} is not a JSON object")
    if meta.get("format") != FORMAT:
        raise _damaged(ckpt, f"format {meta.get('format')!r}, expected {FORMAT!r}")
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _damaged(ckpt, f"version {version!r}")
    if version > VERSION:
        raise CheckpointError(
            f"{ckpt} was written by a newer djl-bridge (checkpoint version {version}; this one "
            f"reads versions 1 to {VERSION}): upgrade djl-bridge, or train again")
    try:
        cfg = dict(meta["config"])
        cfg["data"] = Path(cfg["data"]) if cfg.get("data") else None
        config = TrainConfig(**cfg).validate()
        done = int(meta["epochs_done"])
        ppl = [float(p) for p in meta["perplexity"]]
        speed = [float(s) for s in meta["epoch_tokens_per_sec"]]
        if len(ppl) != done or len(speed) != done:
            raise ValueError(f"{len(ppl)} perplexities for {done} epochs")
    except (ValueError, KeyError, TypeError) as exc:
        raise _damaged(ckpt, str(exc)) from None
    params = ckpt / PARAMS[config.impl]
    if version >= 2:
        files = meta.get("files")
        if not isinstance(files, dict):
            raise _damaged(ckpt, f"{META} lists no files")
        if meta.get("params_file") != params.name:
            raise _damaged(ckpt, f"params_file {meta.get('params_file')!r}, expected "
                                 f"{params.name!r} for a {config.impl} model")
        _verify_file(ckpt, VOCAB, files)
        _verify_file(ckpt, params.name, files)
    try:
        vocab = json.loads((ckpt / VOCAB).read_bytes().decode("utf-8"))
    except OSError as exc:
        raise _damaged(ckpt, f"{VOCAB} cannot be read: {exc.strerror or exc}") from None
    except ValueError:
        raise _damaged(ckpt, f"{VOCAB} is not valid JSON") from None
    if not isinstance(vocab, list) or not vocab or vocab[0] != "<unk>":
        raise _damaged(ckpt, f"{VOCAB} is not a token list starting with <unk>")
    result = Checkpoint(ckpt, config, done, ppl, speed, [str(t) for t in vocab], version=version,
                        verified=version >= 2)
    if not result.params_file.is_file():
        raise CheckpointError(
            f"{ckpt} has no {result.params_file.name}: the checkpoint is incomplete; use another "
            "checkpoint directory, or train again")
    return result
