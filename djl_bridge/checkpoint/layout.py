"""The names and format of a checkpoint directory and what it holds: the ``epoch-N`` checkpoints
that are complete, the one ``LATEST`` names (checked: a damaged ``LATEST`` is an error, never a
guess), the root of a path given as one checkpoint, the pruning that keeps the newest
:data:`KEEP`, the largest size each file may have, and the SHA-256 of a ``checkpoint.json``'s own
content (its manifest).

Inside a checkpoint directory nothing is followed: an ``epoch-N`` that is a link is not a
checkpoint, and ``LATEST`` is read only when it is a regular file (see
:func:`~.files.open_regular`). The directory the user names may be a link.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Optional, Sequence

from .. import jsonfile
from ..config import JAVA_INT_MAX
from ..errors import CheckpointError
from ..reference.kinds import elements
from . import files
from .files import remove_tree

FORMAT = "djl-bridge-checkpoint"
#: Version 2 added ``files`` (size and SHA-256 of every file); version 3 added
#: ``manifest_sha256``, the SHA-256 of the rest of ``checkpoint.json`` (:func:`manifest_digest`),
#: so the config is covered too, and ``layers`` and ``bidirectional`` to the config (a model older
#: readers would build wrong, so they refuse it). Versions 1 and 2 are still read (version 1
#: without the file check: :attr:`Checkpoint.verified` is False, :attr:`Checkpoint.warning` says
#: so; their config has neither field: one layer, one direction); a newer version is refused.
VERSION = 3
#: What a checkpoint holds (``kind`` in ``checkpoint.json``; none: a language model's, as every
#: checkpoint before sequence to sequence) and the versions of each that this djl-bridge reads.
#: Sequence-to-sequence checkpoints start at version 4, so a djl-bridge that knows no kinds
#: (it reads 1 to 3) refuses them as newer instead of reading them as a language model's.
LANGUAGE_MODEL = "language-model"
SEQ2SEQ = "seq2seq"
SEQ2SEQ_VERSION = 4
KINDS = {LANGUAGE_MODEL: (1, VERSION), SEQ2SEQ: (SEQ2SEQ_VERSION, SEQ2SEQ_VERSION)}
LATEST = "LATEST"
META = "checkpoint.json"
VOCAB = "vocab.json"
LOCK = ".lock"
PARAMS = {"concise": "model.params", "scratch": "params.npz"}
KEEP = 2
#: The key of ``checkpoint.json`` that holds :func:`manifest_digest` (version 3 on).
MANIFEST_KEY = "manifest_sha256"
#: The largest ``LATEST``: an ``epoch-N`` name and a newline.
LATEST_MAX_BYTES = 4096
#: The largest ``checkpoint.json``: a run's config and two numbers per epoch fit many times over
#: (a million epochs take about 50 MB).
META_MAX_BYTES = 64 << 20
#: The largest ``vocab.json``: every UTF-16 character escaped on its own line fits.
VOCAB_MAX_BYTES = 1 << 20
#: The largest parameter file: the largest Java ``byte[]``, which the Java side encodes into and
#: loads from.
PARAMS_MAX_BYTES = JAVA_INT_MAX - 8
_EPOCH_DIR = re.compile(r"epoch-(\d{6,})")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def epoch_dir_name(epoch: int) -> str:
    """The directory name of the checkpoint after ``epoch`` epochs."""
    return f"epoch-{epoch:06d}"


def epoch_of(name: str) -> Optional[int]:
    """The epoch of an ``epoch-N`` name; None for any other name."""
    m = _EPOCH_DIR.fullmatch(name)
    return int(m.group(1)) if m else None


def manifest_digest(meta: dict[str, Any]) -> str:
    """The SHA-256 (hex) of a ``checkpoint.json``'s content without :data:`MANIFEST_KEY`, written
    canonically (keys sorted, no spaces, ASCII): the hash covers the config, the history and the
    size and SHA-256 of every other file, so one check vouches for all of them."""
    rest = {k: v for k, v in meta.items() if k != MANIFEST_KEY}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def params_size_range(impl: str, shapes: Sequence[tuple[str, tuple[int, ...]]]) -> tuple[int, int]:
    """The smallest and largest size in bytes a parameter file of ``impl`` may have for a model
    of these parameter arrays (name, shape; see ``reference.kinds.parameter_shapes``), all
    float32. DJL's block format (concise) stores the numbers as they are plus a little per array;
    DJL's NPZ (scratch) is a zip of ``.npy`` entries that may be deflated, so only its largest
    size is known here (the reader checks each entry's declared size and header)."""
    data = [4 * elements(shape) for _, shape in shapes]
    if impl == "concise":
        return sum(data), sum(data) + 4096 + 256 * len(data)
    entries = sum(1024 + n for n in data)  # an .npy header is at most 1024 bytes here
    zip_overhead = sum(512 + 2 * len(name) for name, _ in shapes)
    return 22, entries + entries // 1000 + zip_overhead + 4096  # deflate adds < 0.1%


def open_dir(path: Path) -> int:
    """A descriptor of the directory ``path`` (a path the user gave: a link to it is
    followed); raises OSError."""
    return os.open(path, _DIR_FLAGS)


def open_epoch_dir(name: str, root_fd: int) -> int:
    """A descriptor of the checkpoint ``name`` of the directory open as ``root_fd``, never
    through a link (ELOOP or ENOTDIR then); raises OSError."""
    return os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=root_fd)


def is_complete(name: str, root_fd: int) -> bool:
    """Whether ``name`` in the directory ``root_fd`` is an ``epoch-N`` directory (not a link)
    holding a ``checkpoint.json`` that is a regular file."""
    if epoch_of(name) is None:
        return False
    try:
        if not stat.S_ISDIR(os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode):
            return False
        meta = os.stat(f"{name}/{META}", dir_fd=root_fd, follow_symlinks=False)
    except OSError:  # gone or unreadable meanwhile
        return False
    return stat.S_ISREG(meta.st_mode)


def complete_names(root_fd: int) -> list[str]:
    """The names of the complete checkpoints (:func:`is_complete`) of ``root_fd``, oldest
    first."""
    try:
        names = os.listdir(root_fd)
    except OSError:
        return []
    return sorted(n for n in names if is_complete(n, root_fd))


def complete_dirs(root: Path) -> list[Path]:
    """The ``epoch-N`` directories of ``root`` that hold a ``checkpoint.json``, oldest first."""
    try:
        fd = open_dir(root)
    except OSError:
        return []
    try:
        return [root / n for n in complete_names(fd)]
    finally:
        os.close(fd)


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
    try:
        fd = open_dir(root)
    except OSError:
        return None
    try:
        name = latest_name(fd, root)
        if name is not None:
            if not is_complete(name, fd):
                raise latest_names_nothing(root, name)
            return root / name
        names = complete_names(fd)
        return root / names[-1] if names else None
    finally:
        os.close(fd)


def latest_name(root_fd: int, root: Path) -> Optional[str]:
    """What ``LATEST`` in the directory ``root_fd`` (shown as ``root``) names: None when there is
    no ``LATEST``; raises :class:`CheckpointError` when it is there but damaged (not a regular
    file, too large, not text, not an epoch-N name). Whether it names a complete checkpoint is
    the caller's to check (:func:`is_complete`, :func:`latest_names_nothing`): a reader racing a
    writer looks again first."""
    latest = root / LATEST
    try:
        raw = files.read_entry(LATEST, root_fd, LATEST_MAX_BYTES)
    except FileNotFoundError:
        return None
    except files.NotRegularFileError as exc:
        raise CheckpointError(f"{latest} is damaged (not a file: {exc.kind}): "
                              f"{_fix_for_latest(root)}") from None
    except files.TooLargeError as exc:
        raise CheckpointError(f"{latest} is damaged ({exc.size} bytes, not an epoch-N name): "
                              f"{_fix_for_latest(root)}") from None
    except OSError as exc:
        raise CheckpointError(f"{latest} cannot be read ({exc.strerror or exc}): "
                              f"{_fix_for_latest(root)}") from None
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CheckpointError(f"{latest} is damaged (not text): {_fix_for_latest(root)}") from None
    if epoch_of(name) is None:
        shown = name if len(name) <= 40 and name.isprintable() else name[:40].encode(
            "unicode_escape").decode("ascii") + "..."
        raise CheckpointError(f"{latest} is damaged (it holds {shown!r}, not an epoch-N name): "
                              f"{_fix_for_latest(root)}")
    return name


def latest_names_nothing(root: Path, name: str) -> CheckpointError:
    """The error for a ``LATEST`` that names ``name``, which is not a complete checkpoint."""
    return CheckpointError(f"{root / LATEST} is damaged (it names {name}, which is not a complete "
                           f"checkpoint in {root}): {_fix_for_latest(root)}")


def checkpoint_root(path: Path) -> Path:
    """The checkpoint directory of ``path``: ``path`` itself, or its parent when ``path`` is one
    ``epoch-N`` directory (``--resume DIR/epoch-000005``)."""
    return path.parent if os.path.lexists(path / META) else path


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


def checkpoint_kind(path: Path) -> Optional[str]:
    """What the newest checkpoint of ``path`` (a root or one ``epoch-N``) says it holds, to pick
    its reader (which then reads and checks everything); None when that cannot be told."""
    try:
        ckpt = path if os.path.lexists(path / META) else find_latest(path)
        if ckpt is None:
            return None
        fd = open_dir(ckpt)
        try:
            meta = jsonfile.parse(files.read_entry(META, fd, META_MAX_BYTES), META_MAX_BYTES)
        finally:
            os.close(fd)
    except (OSError, ValueError, CheckpointError, files.NotRegularFileError, files.TooLargeError):
        return None
    if not isinstance(meta, dict):
        return None
    kind = meta.get("kind", LANGUAGE_MODEL)
    return kind if isinstance(kind, str) else None


def wrong_kind(ckpt: Path, found: str) -> str:
    """The line for a checkpoint of another task than the one asked for (``found`` is what it
    holds)."""
    if found == SEQ2SEQ:
        return (f"{ckpt} is a sequence-to-sequence checkpoint (D2L 9.7), not a language "
                "model's: translate with it (djl-bridge translate --checkpoint DIR, or "
                "djl_bridge.translate); predict and resume take the checkpoints of a language "
                "model (sections 8.5-9.4)")
    return (f"{ckpt} is a language model's checkpoint (D2L 8.5-9.4), not a sequence-to-sequence "
            "one: generate text with it (djl-bridge predict --checkpoint DIR, or "
            "djl_bridge.predict); translate takes the checkpoints of section 9.7 (train "
            "--section 9.7 --checkpoint-dir DIR)")


def _fix_for_latest(root: Path) -> str:
    dirs = complete_dirs(root)
    if dirs:
        return (f"pass one of its checkpoints directly (e.g. {dirs[-1]}), or delete "
                f"{root / LATEST} to use the newest one")
    return "use another checkpoint directory, or train again"
