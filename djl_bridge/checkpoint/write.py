"""Writing one checkpoint so that a crash at any moment leaves either the old checkpoint or the
new one, never half of one: the files go into a temporary ``.epoch-N.*.tmp`` folder, are synced
and hashed, the folder is renamed into place, and ``LATEST`` is replaced by write-then-rename.
A failed write removes what it made and says which checkpoint is still intact.
"""
from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Optional

from ..bridge.names import IO_EXCEPTION
from ..config import API_NAMES, Names, TrainConfig
from ..errors import BridgeError, CheckpointError
from . import files
from .layout import (
    FORMAT,
    LATEST,
    MANIFEST_KEY,
    META,
    PARAMS,
    VERSION,
    VOCAB,
    checkpoint_entries,
    epoch_dir_name,
    epoch_of,
    find_latest,
    manifest_digest,
    prune,
)
from .lock import CheckpointLock, holds_lock


class CheckpointWriteError(CheckpointError, OSError):
    """A checkpoint could not be written (full disk, I/O error...); the previous one is intact.
    It is also an :class:`OSError`, as the failure it reports."""


def write_checkpoint(root: Path, config: TrainConfig, epochs_done: int,
                     perplexity: list[float], epoch_tokens_per_sec: list[float],
                     vocab: list[str], write_params: Callable[[Path], None], *,
                     replace_existing: bool = False, names: Names = API_NAMES,
                     data_sha1: Optional[str] = None) -> Path:
    """Writes one checkpoint into ``root`` atomically and points ``LATEST`` at it.

    ``write_params(file)`` writes the model's parameter file (the Java side does it); its bytes
    are synced and their SHA-256 recorded in ``checkpoint.json`` with the vocabulary's;
    ``data_sha1``, the SHA-1 of the corpus bytes the run trained on, is recorded too. With
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
            replace_existing, names, data_sha1)
    if holds_lock(root):
        return _write_checkpoint(*args)
    with CheckpointLock(root, names=names):
        return _write_checkpoint(*args)


def _write_checkpoint(root: Path, config: TrainConfig, epochs_done: int,
                      perplexity: list[float], epoch_tokens_per_sec: list[float],
                      vocab: list[str], write_params: Callable[[Path], None],
                      replace_existing: bool, names: Names,
                      data_sha1: Optional[str] = None) -> Path:
    def fill(tmp: Path) -> dict[str, Any]:
        params = tmp / PARAMS[config.impl]
        write_params(params)
        hashes = {params.name: files.sync_and_hash(params)}
        hashes[VOCAB] = files.write_synced(tmp / VOCAB,
                                           json.dumps(list(vocab), indent=1).encode("utf-8"))
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "epochs_done": epochs_done,
            "perplexity": [float(p) for p in perplexity],
            "epoch_tokens_per_sec": [float(s) for s in epoch_tokens_per_sec],
            "params_file": params.name,
            "params_format": ("djl-block-parameters" if config.impl == "concise" else "npz"),
            "files": hashes,
            "config": config.to_dict(),
        }
        if data_sha1 is not None:
            meta["data_sha1"] = data_sha1
        return meta

    return install(root, epochs_done, fill, replace_existing, names)


def install(root: Path, epochs_done: int, fill: Callable[[Path], dict[str, Any]],
            replace_existing: bool, names: Names) -> Path:
    """Writes one checkpoint of any task atomically (the caller holds the lock): ``fill(tmp)``
    writes the files into the temporary directory and returns the content of
    ``checkpoint.json`` (with ``files``: each file's size and SHA-256), to which the manifest
    digest is added; then the directory is renamed into place and ``LATEST`` replaced."""
    final = root / epoch_dir_name(epochs_done)
    intact = _intact_epoch(root)
    existed = final.exists()
    tmp: Optional[Path] = None
    installed = False
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=root))
        os.chmod(tmp, 0o777 & ~files.umask())  # mkdtemp makes 0700; give it the usual mode
        meta = fill(tmp)
        meta[MANIFEST_KEY] = manifest_digest(meta)  # covers the config and every file's sum
        files.write_synced(tmp / META, json.dumps(meta, indent=1).encode("utf-8"))
        files.fsync_dir(tmp)
        if existed:  # the same epoch again (e.g. resumed and stopped at once): replace it
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=root))
            os.replace(final, old / final.name)
            try:
                os.replace(tmp, final)
            except BaseException:
                os.replace(old / final.name, final)  # put the previous one back
                files.remove_tree(old)
                raise
            files.remove_tree(old)
        else:
            os.replace(tmp, final)
        installed = True
        files.fsync_dir(root)
        files.atomic_write_text(root / LATEST, final.name + "\n")
    except BaseException as exc:
        if tmp is not None:
            files.remove_tree(tmp)
        if installed and not existed:  # LATEST still names the previous one: keep it the newest
            files.remove_tree(final)
        reason = _io_reason(exc)
        if reason is None or isinstance(exc, CheckpointError):
            raise
        kept = (f"the checkpoint of epoch {intact} is intact" if intact is not None
                else "no earlier checkpoint was written")
        raise CheckpointWriteError(
            f"could not write the checkpoint of epoch {epochs_done} into {root}: {reason}: "
            f"{_io_fix(exc, root, names)}; {kept}") from None
    if replace_existing:
        for p in checkpoint_entries(root):
            if p.name not in (LATEST, final.name):
                files.remove_tree(p)
    prune(root, keep_name=final.name)
    return final


def _intact_epoch(root: Path) -> Optional[int]:
    """The epoch of the checkpoint ``LATEST`` names now (None when there is none or it is
    unreadable): the one a failed write leaves in place."""
    try:
        latest = find_latest(root)
    except (CheckpointError, OSError):
        return None
    return epoch_of(latest.name) if latest is not None else None


#: Errors that say the directory may not be written (rather than that it is full).
_NOT_ALLOWED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _io_fix(exc: BaseException, root: Path, names: Names) -> str:
    """The fix for a failed write, by its cause: permissions and read-only file systems are not
    a matter of free space."""
    if isinstance(exc, OSError) and exc.errno in _NOT_ALLOWED:
        return f"make {root} writable or pick another {names('checkpoint_dir', 'RunOptions')}"
    return f"free space or pick another {names('checkpoint_dir', 'RunOptions')}"


def _io_reason(exc: BaseException) -> Optional[str]:
    """The words of an I/O failure: a Python OSError, a Java IOException (as JPype raises it) or
    a :class:`BridgeError` made of one; None for anything else (a bug: let it through)."""
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    if isinstance(exc, BridgeError):
        return str(exc)
    if any(getattr(c, "__name__", "") == IO_EXCEPTION for c in type(exc).__mro__):
        get_message = getattr(exc, "getMessage", None)
        message = get_message() if get_message is not None else None
        return str(message) if message is not None else str(exc)
    return None
