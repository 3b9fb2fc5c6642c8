"""Checkpoints: what a run needs to go on later or to generate text, written so that a crash at any
moment leaves either the old checkpoint or the new one, never half of one.

Layout of a checkpoint directory ``DIR``::

    DIR/LATEST                 name of the newest complete checkpoint ("epoch-000012")
    DIR/epoch-000012/
        checkpoint.json        format, version, config, epochs done, perplexity and speed per epoch
        vocab.json             the vocabulary, index to token ("<unk>" first)
        model.params           concise model: DJL's Block.saveParameters format
        params.npz             scratch model: DJL's NPZ encoding of the cell's parameter list, in
                               the cell's order (numpy.load(..., allow_pickle=False) reads it)

Each ``epoch-N`` directory is written under a temporary name and renamed into place when complete;
``LATEST`` is replaced by write-then-rename. The two newest checkpoints are kept.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from .config import TrainConfig
from .errors import CheckpointError

FORMAT = "djl-bridge-checkpoint"
VERSION = 1
LATEST = "LATEST"
META = "checkpoint.json"
VOCAB = "vocab.json"
PARAMS = {"concise": "model.params", "scratch": "params.npz"}
KEEP = 2


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint read back from disk."""

    path: Path
    config: TrainConfig
    epochs_done: int
    perplexity: list[float]
    epoch_tokens_per_sec: list[float]
    vocab: list[str]

    @property
    def params_file(self) -> Path:
        """The parameter file of the model."""
        return self.path / PARAMS[self.config.impl]


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


def epoch_dir_name(epoch: int) -> str:
    """The directory name of the checkpoint after ``epoch`` epochs."""
    return f"epoch-{epoch:06d}"


def write_checkpoint(root: Path, config: TrainConfig, epochs_done: int,
                     perplexity: list[float], epoch_tokens_per_sec: list[float],
                     vocab: list[str], write_params: Callable[[Path], None]) -> Path:
    """Writes one checkpoint into ``root`` atomically and points ``LATEST`` at it.

    ``write_params(file)`` writes the model's parameter file (the Java side does it).
    """
    root.mkdir(parents=True, exist_ok=True)
    final = root / epoch_dir_name(epochs_done)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=root))
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; give it the usual mode
        params = tmp / PARAMS[config.impl]
        write_params(params)
        with params.open("rb+") as fh:
            os.fsync(fh.fileno())
        meta: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "epochs_done": epochs_done,
            "perplexity": [float(p) for p in perplexity],
            "epoch_tokens_per_sec": [float(s) for s in epoch_tokens_per_sec],
            "params_file": params.name,
            "params_format": ("djl-block-parameters" if config.impl == "concise" else "npz"),
            "config": config.to_dict(),
        }
        for name, obj in ((META, meta), (VOCAB, vocab)):
            with (tmp / name).open("w", encoding="utf-8") as fh:
                json.dump(obj, fh, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        if final.exists():  # the same epoch again (e.g. resumed and stopped at once): replace it
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=root))
            os.replace(final, old / final.name)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        _fsync_dir(root)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    atomic_write_text(root / LATEST, final.name + "\n")
    _prune(root, keep_name=final.name)
    return final


def _complete_dirs(root: Path) -> list[Path]:
    dirs = [p for p in root.glob("epoch-*") if p.is_dir() and (p / META).is_file()]
    return sorted(dirs, key=lambda p: p.name)


def _prune(root: Path, keep_name: str) -> None:
    dirs = _complete_dirs(root)
    keep = {p.name for p in dirs[-KEEP:]} | {keep_name}
    for p in dirs:
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob(".epoch-*"):  # temporaries of a run that died mid-write
        shutil.rmtree(p, ignore_errors=True)


def find_latest(root: Path) -> Optional[Path]:
    """The newest complete checkpoint under ``root`` (``LATEST`` first), or None."""
    latest = root / LATEST
    if latest.is_file():
        candidate = root / latest.read_text(encoding="utf-8").strip()
        if (candidate / META).is_file():
            return candidate
    dirs = _complete_dirs(root)
    return dirs[-1] if dirs else None


def read_checkpoint(path: Path) -> Checkpoint:
    """Reads a checkpoint: ``path`` is a checkpoint root (``LATEST`` is followed) or one
    ``epoch-N`` directory. Raises :class:`CheckpointError` with the fix when it cannot."""
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
        meta = json.loads((ckpt / META).read_text(encoding="utf-8"))
        vocab = json.loads((ckpt / VOCAB).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(f"format {meta.get('format')!r} version {meta.get('version')!r}")
        cfg = dict(meta["config"])
        cfg["data"] = Path(cfg["data"]) if cfg.get("data") else None
        config = TrainConfig(**cfg).validate()
        done = int(meta["epochs_done"])
        ppl = [float(p) for p in meta["perplexity"]]
        speed = [float(s) for s in meta["epoch_tokens_per_sec"]]
        if len(ppl) != done or len(speed) != done:
            raise ValueError(f"{len(ppl)} perplexities for {done} epochs")
        if not isinstance(vocab, list) or not vocab or vocab[0] != "<unk>":
            raise ValueError("vocab.json is not a token list starting with <unk>")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            f"{ckpt} is not a readable djl-bridge checkpoint ({exc}): use another checkpoint "
            "directory, or train again") from None
    result = Checkpoint(ckpt, config, done, ppl, speed, [str(t) for t in vocab])
    if not result.params_file.is_file():
        raise CheckpointError(
            f"{ckpt} has no {result.params_file.name}: the checkpoint is incomplete; use another "
            "checkpoint directory, or train again")
    return result
