"""The checks a checkpoint's files must pass once read (:mod:`.read` reads them): a recorded
SHA-256, a vocabulary, a parameter file whose size and NPZ entries fit the model the config and
vocabulary name, and the one-line errors each failure raises."""
from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from ..config import TrainConfig
from ..errors import CheckpointError
from ..reference.kinds import elements
from .. import jsonfile
from . import layout
from .layout import META, VOCAB


def check_sum(path: Path, data: bytes, expected: Optional[str], written: Optional[int]) -> None:
    """Checks ``data`` (the bytes read from ``path``) against the recorded SHA-256, if any."""
    if expected is None:
        return
    got = hashlib.sha256(data).hexdigest()
    if got != expected:
        sizes = (f"; {len(data)} bytes, {written} were written"
                 if written is not None and written != len(data) else "")
        raise CheckpointError(f"{path} is damaged (SHA-256 mismatch: expected {expected}, "
                              f"got {got}{sizes}): use another checkpoint or train again")


def parse_vocab(ckpt: Path, raw: bytes) -> list[str]:
    try:
        vocab = jsonfile.parse(raw, layout.VOCAB_MAX_BYTES)
    except jsonfile.JsonFileError as exc:
        raise damaged(ckpt, f"{VOCAB} {exc}") from None
    if not isinstance(vocab, list) or not vocab or vocab[0] != "<unk>" \
            or not all(isinstance(t, str) and t for t in vocab) or len(set(vocab)) != len(vocab):
        raise damaged(ckpt, f"{VOCAB} is not a list of distinct tokens starting with <unk>")
    return vocab


def fitting_size(ckpt: Path, config: TrainConfig, vocab_size: int,
                  shapes: tuple[tuple[str, tuple[int, ...]], ...]) -> tuple[int, int]:
    """The sizes the parameter file may have for the model the config and vocabulary name; a
    model whose numbers could never be loaded (more than :data:`~.layout.PARAMS_MAX_BYTES`) is
    refused here, before anything is read or built."""
    count = sum(elements(shape) for _, shape in shapes)
    if 4 * count > layout.PARAMS_MAX_BYTES:
        raise CheckpointError(
            f"{ckpt / META} names a model too large to load (a {model_words(config, vocab_size)} "
            f"has {count} parameters, more than {layout.PARAMS_MAX_BYTES} bytes): the checkpoint "
            "was edited or damaged; use another checkpoint or train again")
    low, high = layout.params_size_range(config.impl, shapes)
    return low, min(high, layout.PARAMS_MAX_BYTES)


def wrong_size(path: Path, found: str, what: str, fits: tuple[int, int]) -> CheckpointError:
    low, high = fits
    return CheckpointError(
        f"{path} does not fit {META} ({found}; {what} takes {low}..{high}): the checkpoint was "
        "edited or damaged; use another checkpoint or train again")


def model_words(config: TrainConfig, vocab_size: int) -> str:
    """The model in words, as the Java side says it, with the setting that sizes it named as
    ``checkpoint.json`` names it: "scratch gru with 256 hidden units (config.hidden) and 28
    tokens"."""
    layers = "" if config.layers == 1 and not config.bidirectional else \
        f" in {config.layers}{' bidirectional' if config.bidirectional else ''} layer" \
        f"{'s' if config.layers > 1 else ''} (config.layers)"
    return (f"{config.impl} {config.model} with {config.hidden} hidden units (config.hidden)"
            f"{layers} and {vocab_size} tokens")


def check_npz(path: Path, data: bytes, shapes: tuple[tuple[str, tuple[int, ...]], ...],
               model: str) -> None:
    """Checks that ``data`` is an NPZ of float32 arrays of exactly these shapes, in this order,
    each entry declaring the size its header and shape give: reads the zip's directory and each
    ``.npy`` header (never an array, never a pickle)."""
    def wrong(detail: str) -> CheckpointError:
        return CheckpointError(f"{path} does not hold the parameters of a {model} ({detail}): "
                               "use another checkpoint or train again")

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as npz:
            infos = npz.infolist()
            if len(infos) != len(shapes):
                raise wrong(f"{len(infos)} arrays, the model has {len(shapes)}")
            for i, (info, (_, shape)) in enumerate(zip(infos, shapes)):
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise wrong(f"array {i} is packed with zip method {info.compress_type}")
                with npz.open(info) as entry:
                    version = np.lib.format.read_magic(entry)
                    if version == (1, 0):
                        found, fortran, dtype = np.lib.format.read_array_header_1_0(entry)
                    elif version == (2, 0):
                        found, fortran, dtype = np.lib.format.read_array_header_2_0(entry)
                    else:
                        raise ValueError(f"array {i} is an .npy of version {version}")
                    header = entry.tell()
                if dtype != np.dtype("<f4") or fortran:
                    raise wrong(f"array {i} ({info.filename}) is {dtype.str}"
                                f"{' in Fortran order' if fortran else ''}, not float32")
                if tuple(found) != shape:
                    raise wrong(f"array {i} has shape {tuple(found)}, expected {shape}")
                if info.file_size != header + 4 * elements(shape):
                    raise wrong(f"array {i} declares {info.file_size} bytes for shape {shape}")
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError,
            NotImplementedError) as exc:
        raise CheckpointError(f"{path} is not an NPZ parameter file ({exc}): use another "
                              "checkpoint or train again") from None


def not_regular(path: Path, kind: str) -> CheckpointError:
    return CheckpointError(f"{path} is {kind}, not a regular file: a checkpoint holds only "
                           "regular files; use another checkpoint or train again")


def damaged(ckpt: Path, detail: str) -> CheckpointError:
    return CheckpointError(f"{ckpt} is not a readable djl-bridge checkpoint ({detail}): use "
                           "another checkpoint directory, or train again")
