"""Reading a checkpoint back, once, as what it claims: each file is read a single time into
memory, and what was checked is what the Java side gets (:attr:`Checkpoint.params`). In order:

1. the checkpoint is found and its directory opened; inside it nothing is followed (no link, no
   FIFO, no device: regular files only, opened without blocking) and every file's size is
   bounded before a byte of it is read;
2. ``checkpoint.json`` is checked field by field and, from version 3 on, against its own
   manifest SHA-256 (:func:`~.layout.manifest_digest`), which covers the config and the size
   and SHA-256 of every other file;
3. ``vocab.json`` and the parameter file must have the recorded sizes (version 2 on), and the
   parameter file a size that fits the config and the vocabulary (all versions), before they are
   read and hashed;
4. their SHA-256 must be the recorded one (version 2 on), and the parameter file must hold the
   arrays of the model the config names (the NPZ entries' shapes and types are read here; DJL's
   block format is checked by the Java side as it loads).

Every file is opened relative to the open ``epoch-N`` directory, so a checkpoint directory that
another run is writing and pruning meanwhile is read consistently: when a file of the checkpoint
being read disappears because ``LATEST`` moved on, the read starts again from ``LATEST`` (a few
times). Each fault is one line with the fix.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

from ..config import API_NAMES, Names, TrainConfig, check_path
from ..errors import CheckpointError, ConfigError
from ..reference.kinds import parameter_shapes
from ..jupyter import html_table
from .. import jsonfile
from . import checks, files, layout
from .layout import FORMAT, MANIFEST_KEY, META, PARAMS, VERSION, VOCAB

#: How often a read starts again when the checkpoint it was reading is replaced or pruned by a
#: run writing into the same directory.
RETRIES = 20
_T = TypeVar("_T")


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
    #: The bytes of the parameter file, as read and checked: what the Java side loads.
    params: bytes = field(default=b"", repr=False, compare=False)
    #: The SHA-1 of the corpus bytes the run trained on (None: written before it was recorded).
    data_sha1: Optional[str] = None

    @property
    def params_file(self) -> Path:
        """The parameter file of the model (where :attr:`params` were read from)."""
        return self.path / PARAMS[self.config.impl]

    @property
    def warning(self) -> Optional[str]:
        """One line to show the user when the files could not be checked, else None."""
        if self.verified:
            return None
        return (f"{self.path} is a version-{self.version} checkpoint, written before checkpoints "
                "carried SHA-256 sums: its files cannot be checked for damage (a resumed run "
                f"writes version-{VERSION} checkpoints)")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain text of a checkpoint: one line, not its bytes and history."""
        last = f"perplexity {self.perplexity[-1]:.3f}" if self.perplexity else "no epoch"
        printer.text(f"Checkpoint({self.path}: {self.config.describe()}, epoch "
                     f"{self.epochs_done} of {self.config.epochs}, {last}, "
                     f"{'verified' if self.verified else 'not verified'})")

    def _repr_html_(self) -> str:
        """The checkpoint as a small table in a notebook (elsewhere the plain repr)."""
        c = self.config
        rows = [("path", self.path),
                ("model", c.describe()),
                ("epochs done", f"{self.epochs_done} of {c.epochs}"),
                ("perplexity", f"{self.perplexity[-1]:.3f}" if self.perplexity else "none"),
                ("tokens/s (last epoch)",
                 f"{self.epoch_tokens_per_sec[-1]:,.0f}" if self.epoch_tokens_per_sec else "none"),
                ("files", "verified (SHA-256)" if self.verified else self.warning)]
        return html_table("Checkpoint", rows)


class _ConfigNames(Names):
    """Names the settings as ``checkpoint.json`` spells them: ``config.hidden``."""

    def __call__(self, field: str, owner: str = "TrainConfig") -> str:
        return f"config.{field}"


class _Vanished(Exception):
    """A file of the checkpoint being read is not there: pruned or replaced by a writer (then
    the read starts again), or missing (then ``error`` is the user's line)."""

    def __init__(self, error: CheckpointError) -> None:
        super().__init__(str(error))
        self.error = error


def read_checkpoint(path: "Path | str", names: Names = API_NAMES) -> Checkpoint:
    """Reads a checkpoint: ``path`` is a checkpoint root (``LATEST`` is followed) or one
    ``epoch-N`` directory. Raises :class:`CheckpointError`, one line with the fix, when it
    cannot: missing, not a regular file, too large, damaged ``LATEST``/``checkpoint.json``, a
    config that the manifest or the files do not bear out, a file whose bytes changed, a version
    newer than this djl-bridge reads. Messages name settings as ``names`` does."""
    return read_any(path, names, _read_epoch)


def read_any(path: "Path | str", names: Names, read_epoch: Callable[[Path, int], _T]) -> _T:
    """Finds and reads the checkpoint of ``path`` (a root: ``LATEST`` followed, or one
    ``epoch-N`` directory) with ``read_epoch(shown path, directory descriptor)``, the reader of
    one task's checkpoints; a read raced by a writer starts again."""
    path = check_path(path, "the checkpoint")
    try:
        root_fd = layout.open_dir(path)
    except (FileNotFoundError, NotADirectoryError):
        raise CheckpointError(
            f"checkpoint directory not found: {path}. Pass the directory a training wrote its "
            f"checkpoints into ({names.setting('checkpoint_dir', 'DIR', 'RunOptions')})") from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}): check its "
                              "permissions, or pass another checkpoint directory") from None
    try:
        if os.path.lexists(path / META):  # one epoch-N directory, named by the user
            try:
                return read_epoch(path, root_fd)
            except _Vanished as gone:
                raise gone.error from None
        return _read_newest(path, root_fd, names, read_epoch)
    finally:
        os.close(root_fd)


def _read_newest(root: Path, root_fd: int, names: Names,
                 read_epoch: Callable[[Path, int], _T]) -> _T:
    """The checkpoint ``LATEST`` names (or the newest one), read again from the start when a
    writer replaces or prunes it meanwhile."""
    for _ in range(RETRIES):
        name = _newest_name(root, root_fd, names)
        try:
            dir_fd = layout.open_epoch_dir(name, root_fd)
        except FileNotFoundError:
            if _newest_name(root, root_fd, names) != name:
                continue  # pruned meanwhile: LATEST moved on
            raise layout.latest_names_nothing(root, name) from None
        except OSError as exc:  # a link (ELOOP), a file (ENOTDIR), unreadable
            raise _not_a_directory(root, root_fd, name, exc) from None
        try:
            return read_epoch(root / name, dir_fd)
        except _Vanished as gone:
            if _moved_on(root, root_fd, name, dir_fd, names):
                continue
            raise gone.error from None
        finally:
            os.close(dir_fd)
    raise CheckpointError(
        f"{root} kept changing while it was read ({RETRIES} times: another run writes and prunes "
        "checkpoints there): try again, or pass one of its epoch-N directories")


def _newest_name(root: Path, root_fd: int, names: Names) -> str:
    name = layout.latest_name(root_fd, root)
    if name is not None:
        return name
    complete = layout.complete_names(root_fd)
    if not complete:
        raise CheckpointError(
            f"no checkpoint in {root}: train with "
            f"{names.setting('checkpoint_dir', root, 'RunOptions')} first (a checkpoint is "
            f"written every {names('save_every', 'RunOptions')} epochs, at the end and when a "
            "run is stopped)")
    return complete[-1]


def _moved_on(root: Path, root_fd: int, name: str, dir_fd: int, names: Names) -> bool:
    """Whether the newest checkpoint is no longer the directory ``dir_fd`` read as ``name``."""
    try:
        if _newest_name(root, root_fd, names) != name:
            return True
        now = os.stat(name, dir_fd=root_fd, follow_symlinks=False)
    except (CheckpointError, OSError):
        return True
    then = os.fstat(dir_fd)
    return (now.st_dev, now.st_ino) != (then.st_dev, then.st_ino)


def _read_epoch(ckpt: Path, dir_fd: int) -> Checkpoint:
    """Reads and checks the checkpoint in the directory open as ``dir_fd`` (shown as ``ckpt``)."""
    meta = _read_meta(ckpt, dir_fd)
    version = meta["version"]
    config, done, ppl, speed = _meta_fields(ckpt, meta)
    params_name = PARAMS[config.impl]
    recorded: dict[str, int] = {}
    sums: dict[str, str] = {}
    if version >= 2:
        entries = meta.get("files")
        if not isinstance(entries, dict):
            raise checks.damaged(ckpt, f"{META} lists no files")
        if meta.get("params_file") != params_name:
            raise checks.damaged(ckpt, f"params_file {meta.get('params_file')!r}, expected "
                                 f"{params_name!r} for a {config.impl} model")
        for name in (VOCAB, params_name):
            entry = entries.get(name)
            if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
                raise checks.damaged(ckpt, f"{META} records no SHA-256 of {name}")
            size = entry.get("bytes")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise checks.damaged(ckpt, f"{META} records no size of {name}")
            recorded[name], sums[name] = size, entry["sha256"]
    vocab_bytes = read_file(ckpt, dir_fd, VOCAB, recorded.get(VOCAB),
                             (2, layout.VOCAB_MAX_BYTES), "a vocabulary")
    checks.check_sum(ckpt / VOCAB, vocab_bytes, sums.get(VOCAB), recorded.get(VOCAB))
    vocab = checks.parse_vocab(ckpt, vocab_bytes)
    shapes = parameter_shapes(config.model, config.impl, len(vocab), config.hidden,
                              config.layers, config.bidirectional)
    fits = checks.fitting_size(ckpt, config, len(vocab), shapes)
    params = read_file(ckpt, dir_fd, params_name, recorded.get(params_name), fits,
                        f"the {checks.model_words(config, len(vocab))}")
    checks.check_sum(ckpt / params_name, params, sums.get(params_name), recorded.get(params_name))
    if config.impl == "scratch":
        checks.check_npz(ckpt / params_name, params, shapes, checks.model_words(config, len(vocab)))
    data_sha1 = meta.get("data_sha1")
    if data_sha1 is not None and not (isinstance(data_sha1, str)
                                      and re.fullmatch(r"[0-9a-f]{40}", data_sha1)):
        raise checks.damaged(ckpt, f"{META} data_sha1 must be 40 hex digits, got {data_sha1!r}")
    return Checkpoint(ckpt, config, done, ppl, speed, vocab, version=version,
                      verified=version >= 2, params=params, data_sha1=data_sha1)


def read_meta(ckpt: Path, dir_fd: int, kind: str) -> dict[str, Any]:
    """:func:`_read_meta` for the checkpoints of the task ``kind``."""
    return _read_meta(ckpt, dir_fd, kind)


def _read_meta(ckpt: Path, dir_fd: int, kind: str = layout.LANGUAGE_MODEL) -> dict[str, Any]:
    """``checkpoint.json``: a JSON object of this format, of the task ``kind`` (a checkpoint
    without ``kind`` is a language model's) and a version this djl-bridge reads of it, whose
    manifest SHA-256 (version 3 on) matches its content."""
    try:
        raw = files.read_entry(META, dir_fd, layout.META_MAX_BYTES)
    except FileNotFoundError:
        raise _Vanished(checks.damaged(ckpt, f"no {META}")) from None
    except files.NotRegularFileError as exc:
        raise checks.not_regular(ckpt / META, exc.kind) from None
    except files.TooLargeError as exc:
        raise checks.damaged(ckpt, f"{META} is {exc.size} bytes, more than any djl-bridge writes "
                             f"(at most {exc.limit})") from None
    except OSError as exc:
        raise checks.damaged(ckpt, f"{META} cannot be read: {exc.strerror or exc}") from None
    try:
        meta = jsonfile.parse(raw, layout.META_MAX_BYTES)
    except jsonfile.JsonFileError as exc:
        raise checks.damaged(ckpt, f"{META} {exc}: truncated or overwritten") from None
    if not isinstance(meta, dict):
        raise checks.damaged(ckpt, f"{META} is not a JSON object")
    if meta.get("format") != FORMAT:
        raise checks.damaged(ckpt, f"format {meta.get('format')!r}, expected {FORMAT!r}")
    found = meta.get("kind", layout.LANGUAGE_MODEL)
    if found != kind and found in layout.KINDS:
        raise CheckpointError(layout.wrong_kind(ckpt, found))
    version = meta.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise checks.damaged(ckpt, f"version {version!r}")
    if found not in layout.KINDS:
        raise CheckpointError(
            f"{ckpt} holds a kind of checkpoint this djl-bridge does not know ({found!r}, "
            f"version {version}): upgrade djl-bridge, or train again")
    first, newest = layout.KINDS[found]
    if version > newest:
        raise CheckpointError(
            f"{ckpt} was written by a newer djl-bridge (checkpoint version {version}; this one "
            f"reads versions {first} to {newest}): upgrade djl-bridge, or train again")
    if version < first:
        raise checks.damaged(ckpt, f"version {version} for a {found} checkpoint")
    if version >= 3:
        claimed = meta.get(MANIFEST_KEY)
        if not isinstance(claimed, str):
            raise checks.damaged(ckpt, f"{META} has no {MANIFEST_KEY}")
        if claimed != layout.manifest_digest(meta):
            raise CheckpointError(
                f"{ckpt / META} is damaged (its content does not match its {MANIFEST_KEY}: it "
                "was edited or damaged): use another checkpoint or train again")
    return meta


def _meta_fields(ckpt: Path, meta: dict[str, Any]
                 ) -> tuple[TrainConfig, int, list[float], list[float]]:
    """The config (every setting checked, named as ``checkpoint.json`` names it), the epochs done
    and their perplexities and speeds."""
    try:
        cfg = dict(meta["config"])
        data = cfg.get("data")
        if data is not None and not isinstance(data, str):
            raise ValueError(f"{META} config.data must be a path or null, got {data!r}")
        cfg["data"] = Path(data) if data else None
        config = TrainConfig(**cfg).validate(_ConfigNames(), sized=False)  # checks.fitting_size
        done = meta["epochs_done"]
        if isinstance(done, bool) or not isinstance(done, int) or done < 0:
            raise ValueError(f"epochs_done {done!r}")
        ppl = [float(p) for p in meta["perplexity"]]
        speed = [float(s) for s in meta["epoch_tokens_per_sec"]]
        if len(ppl) != done or len(speed) != done:
            raise ValueError(f"{len(ppl)} perplexities for {done} epochs")
    except ConfigError as exc:
        raise checks.damaged(ckpt, f"{META} {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise checks.damaged(ckpt, str(exc)) from None
    return config, done, ppl, speed


def read_file(ckpt: Path, dir_fd: int, name: str, recorded: Optional[int],
               fits: tuple[int, int], what: str) -> bytes:
    """The bytes of ``ckpt/name``, read once, after its size was found to be the recorded one
    (when recorded) and within ``fits``, the sizes ``what`` (in words) may have."""
    path = ckpt / name
    low, high = fits
    if recorded is not None and not low <= recorded <= high:
        raise checks.wrong_size(path, f"{META} records {recorded} bytes", what, fits)
    try:
        fd, st = files.open_regular(name, dir_fd)
    except FileNotFoundError:
        raise _Vanished(CheckpointError(
            f"{path} is missing: the checkpoint is incomplete; use another checkpoint or train "
            "again")) from None
    except files.NotRegularFileError as exc:
        raise checks.not_regular(path, exc.kind) from None
    except OSError as exc:
        raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}): use another "
                              "checkpoint or train again") from None
    try:
        if recorded is not None and st.st_size != recorded:
            raise CheckpointError(f"{path} is damaged ({st.st_size} bytes, {recorded} were "
                                  "written): use another checkpoint or train again")
        if not low <= st.st_size <= high:
            raise checks.wrong_size(path, f"it is {st.st_size} bytes", what, fits)
        try:
            data = files.read_fd(fd, st.st_size)
        except OSError as exc:
            raise CheckpointError(f"{path} cannot be read ({exc.strerror or exc}): use another "
                                  "checkpoint or train again") from None
    finally:
        os.close(fd)
    return data


def _not_a_directory(root: Path, root_fd: int, name: str, exc: OSError) -> CheckpointError:
    try:
        kind = files.kind_of(os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode)
    except OSError:
        kind = "unreadable"
    if kind == "a directory":
        return CheckpointError(f"{root / name} cannot be read ({exc.strerror or exc}): check its "
                               "permissions, or use another checkpoint")
    return CheckpointError(f"{root / name} is {kind}, not a checkpoint directory: a checkpoint "
                           "holds only regular files and directories; use another checkpoint or "
                           "train again")
