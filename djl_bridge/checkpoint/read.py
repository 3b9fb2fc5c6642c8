"""Reading a checkpoint back: ``checkpoint.json`` checked field by field, every file checked
against the SHA-256 recorded when it was written (version 2 on), and one line with the fix for
whatever is missing, damaged or newer than this djl-bridge reads.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..config import TrainConfig, check_path
from ..errors import CheckpointError
from ..jupyter import html_table
from .files import digest
from .layout import FORMAT, META, PARAMS, VERSION, VOCAB, find_latest


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

    def _repr_html_(self) -> str:
        """The checkpoint as a small table in a notebook (elsewhere the plain repr)."""
        c = self.config
        rows = [("path", self.path),
                ("model", f"{c.impl} {c.model}, {c.hidden} hidden units"),
                ("epochs done", f"{self.epochs_done} of {c.epochs}"),
                ("perplexity", f"{self.perplexity[-1]:.3f}" if self.perplexity else "none"),
                ("tokens/s (last epoch)",
                 f"{self.epoch_tokens_per_sec[-1]:,.0f}" if self.epoch_tokens_per_sec else "none"),
                ("files", "verified (SHA-256)" if self.verified else self.warning)]
        return html_table("Checkpoint", rows)


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


def _damaged(ckpt: Path, detail: str) -> CheckpointError:
    return CheckpointError(f"{ckpt} is not a readable djl-bridge checkpoint ({detail}): use "
                           "another checkpoint directory, or train again")


def _verify_file(ckpt: Path, name: str, files: dict[str, Any]) -> None:
    """Checks ``ckpt/name`` against the SHA-256 (and size) recorded in ``files``."""
    entry = files.get(name)
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        raise _damaged(ckpt, f"{META} records no SHA-256 of {name}")
    path = ckpt / name
    try:
        with path.open("rb") as fh:
            found = digest(fh)
    except FileNotFoundError:
        raise CheckpointError(f"{path} is missing: the checkpoint is incomplete; use another "
                              "checkpoint or train again") from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}): use another "
                              "checkpoint or train again") from None
    got, size = found["sha256"], found["bytes"]
    if got != entry["sha256"]:
        written = entry.get("bytes")
        sizes = (f"; {size} bytes, {written} were written"
                 if isinstance(written, int) and written != size else "")
        raise CheckpointError(f"{path} is damaged (SHA-256 mismatch: expected {entry['sha256']}, "
                              f"got {got}{sizes}): use another checkpoint or train again")
