"""The names and format of a checkpoint directory and what it holds: the ``epoch-N`` checkpoints
that are complete, the one ``LATEST`` names (checked: a damaged ``LATEST`` is an error, never a
guess), the root of a path given as one checkpoint, and the pruning that keeps the newest
:data:`KEEP`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from ..errors import CheckpointError
from .files import remove_tree

FORMAT = "djl-bridge-checkpoint"
#: Version 2 added ``files`` (size and SHA-256 of every file). Version 1 checkpoints are still
#: read, without the check (:attr:`Checkpoint.verified` is False, :attr:`Checkpoint.warning`
#: says so); a newer version than this one is refused. Version 3 added ``layers`` and
#: ``bidirectional`` to the config (a model older readers would build wrong, so they refuse it);
#: a version 1 or 2 config has neither: one layer, one direction.
VERSION = 3
LATEST = "LATEST"
META = "checkpoint.json"
VOCAB = "vocab.json"
LOCK = ".lock"
PARAMS = {"concise": "model.params", "scratch": "params.npz"}
KEEP = 2
_EPOCH_DIR = re.compile(r"epoch-(\d{6,})")


def epoch_dir_name(epoch: int) -> str:
    """The directory name of the checkpoint after ``epoch`` epochs."""
    return f"epoch-{epoch:06d}"


def epoch_of(name: str) -> Optional[int]:
    """The epoch of an ``epoch-N`` name; None for any other name."""
    m = _EPOCH_DIR.fullmatch(name)
    return int(m.group(1)) if m else None


def complete_dirs(root: Path) -> list[Path]:
    """The ``epoch-N`` directories of ``root`` that hold a ``checkpoint.json``, oldest first."""
    try:
        entries = list(root.iterdir())
    except OSError:
        return []
    dirs = []
    for p in entries:
        try:
            if epoch_of(p.name) is not None and p.is_dir() and (p / META).is_file():
                dirs.append(p)
        except OSError:  # gone or unreadable meanwhile
            continue
    return sorted(dirs, key=lambda p: p.name)


def checkpoint_entries(root: Path) -> list[Path]:
    """``LATEST`` and every ``epoch-*`` entry, complete or not (temporaries left out)."""
    try:
        return sorted(p for p in root.iterdir()
                      if p.name == LATEST or p.name.startswith("epoch-"))
    except OSError:
        return []


def find_latest(root: Path) -> Optional[Path]:
    """The newest complete checkpoint under ``root``: the one ``LATEST`` names, or the newest
    ``epoch-N`` directory when there is no ``LATEST`` (a crash between the two renames); None when
    there is none. Raises :class:`CheckpointError` when ``LATEST`` is damaged."""
    name = _latest_name(root)
    if name is not None:
        return root / name
    dirs = complete_dirs(root)
    return dirs[-1] if dirs else None


def checkpoint_root(path: Path) -> Path:
    """The checkpoint directory of ``path``: ``path`` itself, or its parent when ``path`` is one
    ``epoch-N`` directory (``--resume DIR/epoch-000005``)."""
    return path.parent if (path / META).is_file() else path


def prune(root: Path, keep_name: str) -> None:
    """Removes complete checkpoints beyond the newest :data:`KEEP` (never ``keep_name``) and the
    temporaries (``.epoch-*``) of writes that died: with the lock held no other run writes here,
    and this run's own temporary is already renamed. Never raises."""
    dirs = complete_dirs(root)
    keep = {p.name for p in dirs[-KEEP:]} | {keep_name}
    for p in dirs:
        if p.name not in keep:
            remove_tree(p)
    try:
        leftovers = [p for p in root.iterdir() if p.name.startswith(".epoch-")]
    except OSError:
        return
    for p in leftovers:
        remove_tree(p)


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
    if epoch_of(name) is None:
        shown = name if len(name) <= 40 and name.isprintable() else name[:40].encode(
            "unicode_escape").decode("ascii") + "..."
        raise CheckpointError(f"{latest} is damaged (it holds {shown!r}, not an epoch-N name): "
                              f"{fix}")
    if not (root / name / META).is_file():
        raise CheckpointError(f"{latest} is damaged (it names {name}, which is not a complete "
                              f"checkpoint in {root}): {fix}")
    return name


def _fix_for_latest(root: Path) -> str:
    dirs = complete_dirs(root)
    if dirs:
        return (f"pass one of its checkpoints directly (e.g. {dirs[-1]}), or delete "
                f"{root / LATEST} to use the newest one")
    return "use another checkpoint directory, or train again"
