"""The checkpoints of sequence to sequence (D2L 9.7), with the language model's trust: written
atomically under the directory's lock (:func:`.write.install`), read once (:func:`.read.read_any`:
regular files only, sizes bounded before reading, every file its recorded SHA-256, the manifest
over all), the checked parameter bytes handed to Java. ``checkpoint.json`` records
``"kind": "seq2seq"`` and version :data:`~.layout.SEQ2SEQ_VERSION`, so the language model's
reader (and ``predict``) refuse it in one line, and this reader refuses a language model's.

Layout of ``DIR/epoch-N``: ``checkpoint.json`` (the :class:`Seq2SeqConfig`, the loss and speed
per epoch, the files' sums), ``source_vocab.json``, ``target_vocab.json`` (index to token),
``model.params`` (DJL's block format of the ``EncoderDecoder``)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from ..config import API_NAMES, Names
from ..errors import ConfigError
from ..seq2seq_config import Seq2SeqConfig
from . import checks, files, layout
from .layout import FORMAT, META, SEQ2SEQ, SEQ2SEQ_VERSION
from .lock import CheckpointLock, holds_lock
from .read import read_any, read_file, read_meta
from .write import install

SOURCE_VOCAB = "source_vocab.json"
TARGET_VOCAB = "target_vocab.json"
PARAMS_FILE = "model.params"


@dataclass(frozen=True)
class Seq2SeqCheckpoint:
    """A sequence-to-sequence checkpoint read back and checked."""

    path: Path
    config: Seq2SeqConfig
    epochs_done: int
    loss: list[float]
    epoch_tokens_per_sec: list[float]
    source_vocab: list[str]
    target_vocab: list[str]
    version: int = SEQ2SEQ_VERSION
    #: The bytes of ``model.params``, as read and checked: what the Java side loads.
    params: bytes = field(default=b"", repr=False, compare=False)

    @property
    def params_file(self) -> Path:
        return self.path / PARAMS_FILE


def parameter_elements(config: Seq2SeqConfig, source: int, target: int) -> list[int]:
    """The number of floats of each array of the encoder-decoder (embeddings, each GRU layer's
    two weights and two biases, the dense layer), for sizing ``model.params``."""
    e, h = config.embed, config.hidden
    out = [source * e, target * e, target * h, target]
    for first_input in (e, e + h):  # the encoder's GRU, then the decoder's (embedding + context)
        for layer in range(config.layers):
            inputs = first_input if layer == 0 else h
            out += [3 * h * inputs, 3 * h * h, 3 * h, 3 * h]
    return out


def params_size_range(config: Seq2SeqConfig, source: int, target: int) -> tuple[int, int]:
    """The sizes DJL's block format of that model may have: its float32 numbers plus a little
    per array."""
    arrays = parameter_elements(config, source, target)
    data = 4 * sum(arrays)
    return data, data + 4096 + 256 * len(arrays)


def write_seq2seq_checkpoint(root: Path, config: Seq2SeqConfig, epochs_done: int,
                             loss: list[float], epoch_tokens_per_sec: list[float],
                             source_vocab: list[str], target_vocab: list[str],
                             write_params: Callable[[Path], None], *,
                             replace_existing: bool = False, names: Names = API_NAMES) -> Path:
    """Writes one checkpoint into ``root`` atomically (as :func:`.write.write_checkpoint`, the
    lock taken for this write when the caller does not hold it)."""
    def fill(tmp: Path) -> dict[str, Any]:
        params = tmp / PARAMS_FILE
        write_params(params)
        sums = {PARAMS_FILE: files.sync_and_hash(params)}
        for name, vocab in ((SOURCE_VOCAB, source_vocab), (TARGET_VOCAB, target_vocab)):
            sums[name] = files.write_synced(tmp / name,
                                            json.dumps(list(vocab), indent=1).encode("utf-8"))
        return {"format": FORMAT, "kind": SEQ2SEQ, "version": SEQ2SEQ_VERSION,
                "epochs_done": epochs_done, "loss": [float(v) for v in loss],
                "epoch_tokens_per_sec": [float(v) for v in epoch_tokens_per_sec],
                "params_file": PARAMS_FILE, "params_format": "djl-block-parameters",
                "files": sums, "config": config.to_dict()}

    if holds_lock(root):
        return install(root, epochs_done, fill, replace_existing, names)
    with CheckpointLock(root, names=names):
        return install(root, epochs_done, fill, replace_existing, names)


def read_seq2seq_checkpoint(path: "Path | str", names: Names = API_NAMES) -> Seq2SeqCheckpoint:
    """Reads a sequence-to-sequence checkpoint (a root or one ``epoch-N``); raises
    :class:`CheckpointError`, one line with the fix: missing, damaged, a file whose bytes
    changed, a language model's checkpoint, a newer version."""
    return read_any(path, names, _read_epoch)


def _read_epoch(ckpt: Path, dir_fd: int) -> Seq2SeqCheckpoint:
    meta = read_meta(ckpt, dir_fd, SEQ2SEQ)
    config, done, loss, speed = _fields(ckpt, meta)
    entries = meta.get("files")
    if not isinstance(entries, dict):
        raise checks.damaged(ckpt, f"{META} lists no files")
    if meta.get("params_file") != PARAMS_FILE:
        raise checks.damaged(ckpt, f"params_file {meta.get('params_file')!r}, expected "
                             f"{PARAMS_FILE!r}")
    recorded: dict[str, tuple[int, str]] = {}
    for name in (SOURCE_VOCAB, TARGET_VOCAB, PARAMS_FILE):
        entry = entries.get(name)
        size = entry.get("bytes") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) \
                or isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise checks.damaged(ckpt, f"{META} records no size and SHA-256 of {name}")
        recorded[name] = (size, entry["sha256"])
    vocabs = []
    for name in (SOURCE_VOCAB, TARGET_VOCAB):
        size, digest = recorded[name]
        raw = read_file(ckpt, dir_fd, name, size, (2, layout.VOCAB_MAX_BYTES), "a vocabulary")
        checks.check_sum(ckpt / name, raw, digest, size)
        vocabs.append(checks.parse_vocab(ckpt, raw))
    fits = params_size_range(config, len(vocabs[0]), len(vocabs[1]))
    size, digest = recorded[PARAMS_FILE]
    params = read_file(ckpt, dir_fd, PARAMS_FILE, size, fits,
                       f"the encoder-decoder of {config.describe()} with "
                       f"{len(vocabs[0])}/{len(vocabs[1])} source/target tokens")
    checks.check_sum(ckpt / PARAMS_FILE, params, digest, size)
    return Seq2SeqCheckpoint(ckpt, config, done, loss, speed, vocabs[0], vocabs[1],
                             meta["version"], params)


class _ConfigNames(Names):
    """Names the settings as ``checkpoint.json`` spells them: ``config.hidden``."""

    def __call__(self, field: str, owner: str = "") -> str:
        return f"config.{field}"


def _fields(ckpt: Path, meta: dict[str, Any]
            ) -> tuple[Seq2SeqConfig, int, list[float], list[float]]:
    try:
        cfg = dict(meta["config"])
        unknown = sorted(set(cfg) - {f.name for f in fields(Seq2SeqConfig)})
        if unknown:
            raise ValueError(f"{META} config has an unknown setting {unknown[0]!r}")
        data = cfg.get("data")
        if data is not None and not isinstance(data, str):
            raise ValueError(f"{META} config.data must be a path or null, got {data!r}")
        cfg["data"] = Path(data) if data else None
        config = Seq2SeqConfig(**cfg).validate(_ConfigNames())
        done = meta["epochs_done"]
        if isinstance(done, bool) or not isinstance(done, int) or done < 0:
            raise ValueError(f"epochs_done {done!r}")
        loss = [float(v) for v in meta["loss"]]
        speed = [float(v) for v in meta["epoch_tokens_per_sec"]]
        if len(loss) != done or len(speed) != done:
            raise ValueError(f"{len(loss)} losses for {done} epochs")
    except ConfigError as exc:
        raise checks.damaged(ckpt, f"{META} {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise checks.damaged(ckpt, str(exc)) from None
    return config, done, loss, speed

