"""D2L 9.5 as data: the English-French data set (:func:`nmt_dataset`) from the Java ``NMT``, the
section's printout (:func:`section_9_5`), and the book's BLEU (:func:`bleu`).

The data is found, read once and verified by :mod:`.nmtdata`; Java reads those bytes. Wherever
the data is shown, so is its source: :data:`~.nmtdata.ATTRIBUTION`.
"""
from __future__ import annotations

import json
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import numpy as np

from . import nmtdata
from .config import API_NAMES, JAVA_INT_MAX, Names
from .errors import ConfigError
from .reference import bleu as ref_bleu, nmt as ref_nmt

#: The sections of 9.5-9.6 that ``djl-bridge train --section`` shows (9.7 trains).
SHOW_SECTIONS = ("9.5", "9.6")
#: The book's 9.5 shows its batches with these settings (``load_data_nmt(batch_size=2,
#: num_steps=8)``); the data set's defaults are the 9.7 run's.
SECTION_BATCH, SECTION_STEPS = 2, 8


def bleu(pred_seq: str, label_seq: str, k: int = 2) -> float:
    """The book's BLEU (D2L 9.7) of a predicted sentence against its label, tokens split on
    ``' '``: ``exp(min(0, 1 - len_label / len_pred)) * prod_{n=1..k} p_n ** (1 / 2 ** n)``, the
    lengths divided in floating point (the Java text divides them as integers: docs/seq2seq.md).

    A prediction shorter than ``k`` tokens scores 0.0 (the book divides by zero there): it has no
    n-gram of length ``k`` to match. ``bleu("il est riche .", "il est calme .")`` is 0.658.

    Computed by the twin (:mod:`djl_bridge.reference.bleu`) in Python: a score of two strings
    needs no JVM; the parity row ``seq2seq bleu`` holds it equal to Java's ``Seq2Seq.bleu``,
    which the translations of a training run are scored with."""
    for name, value in (("pred_seq", pred_seq), ("label_seq", label_seq)):
        if not isinstance(value, str):
            raise ConfigError(f"bleu: {name} must be a str (tokens separated by spaces), got "
                              f"{type(value).__name__}")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ConfigError(f"bleu: k must be a whole number of at least 1, got {k!r}")
    return ref_bleu.bleu(pred_seq, label_seq, int(k))


@dataclass(frozen=True)
class NMTDataset:
    """The data set of D2L 9.5 (``load_data_nmt``), as numpy: ``X`` (pairs, num_steps) the
    source indices with ``<eos>`` and padding, ``X_valid_len`` (pairs,) its tokens that are not
    ``<pad>``; ``Y``, ``Y_valid_len`` the same for the target; the vocabularies as lists (index
    to token). Rows are in file order; training draws batches of ``batch_size`` at random."""

    source_vocab: list[str]
    target_vocab: list[str]
    X: np.ndarray
    X_valid_len: np.ndarray
    Y: np.ndarray
    Y_valid_len: np.ndarray
    batch_size: int
    num_steps: int
    num_examples: int
    data: Path
    sha256: str
    verified: bool
    attribution: str = field(default=nmtdata.ATTRIBUTION)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def to_dict(self) -> dict[str, Any]:
        """As JSON values (lists)."""
        return {"data": str(self.data), "sha256": self.sha256, "verified": self.verified,
                "attribution": self.attribution, "batch_size": self.batch_size,
                "num_steps": self.num_steps, "num_examples": self.num_examples,
                "source_vocab": self.source_vocab, "target_vocab": self.target_vocab,
                "X": self.X.tolist(), "X_valid_len": self.X_valid_len.tolist(),
                "Y": self.Y.tolist(), "Y_valid_len": self.Y_valid_len.tolist()}


def _check_int(value: Any, name: str, low: int, names: Names) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or not low <= value <= JAVA_INT_MAX:
        raise ConfigError(f"{names(name, '')} must be a whole number from {low} to "
                          f"{JAVA_INT_MAX}, got {value!r}")
    return int(value)


def nmt_dataset(data: Union[str, os.PathLike, None] = None, batch_size: int = 64,
                num_steps: int = 10, num_examples: int = 600, *, verify: bool = True,
                names: Names = API_NAMES) -> NMTDataset:
    """The book's ``load_data_nmt(batch_size, num_steps, num_examples)`` on the English-French
    data (``data``: fra-eng.zip or its fra.txt; default ``$DJL_BRIDGE_FRA``), made by the Java
    ``NMT``: line ``i`` is read while ``i <= num_examples`` (600 give 601 pairs; 0 reads all).
    Starts the JVM."""
    batch_size = _check_int(batch_size, "batch_size", 1, names)
    num_steps = _check_int(num_steps, "num_steps", 1, names)
    num_examples = _check_int(num_examples, "num_examples", 0, names)
    fra = nmtdata.read_fra(data, verify=verify, names=names)
    from . import bridge
    from .bridge import nmt as jnmt, thread

    bridge.start()
    got = thread.call(lambda: jnmt.load_data(fra.text, str(fra.path), batch_size, num_steps,
                                             num_examples))
    return NMTDataset(got.source_vocab, got.target_vocab, got.X, got.X_valid_len, got.Y,
                      got.Y_valid_len, batch_size, num_steps, num_examples, fra.path, fra.sha256,
                      fra.verified)


@dataclass(frozen=True)
class Section95:
    """What the text's 9.5 prints: the first raw and preprocessed characters, the first
    tokenized pairs, the size of the full source vocabulary, ``truncate_pad`` of the first
    source line, and the first batch of ``load_data_nmt(2, 8)`` (in file order)."""

    raw_head: str
    preprocessed_head: str
    source: list[list[str]]
    target: list[list[str]]
    source_vocab_size: int
    truncate_pad: list[int]
    batch: dict[str, list[Any]]
    data: str
    verified: bool
    attribution: str = nmtdata.ATTRIBUTION

    def to_json(self) -> str:
        """One JSON object."""
        return json.dumps(self.__dict__, ensure_ascii=False)

    def summary(self) -> str:
        """The printout, in the text's order."""
        lines = [self.raw_head, "", self.preprocessed_head, "",
                 f"source[:6]: {self.source}", f"target[:6]: {self.target}",
                 f"len(src_vocab): {self.source_vocab_size}",
                 f"truncate_pad(source[0], 10): {self.truncate_pad}"]
        for key, value in self.batch.items():
            lines.append(f"{key}: {value}")
        lines.append(f"data: {self.data} ({'verified' if self.verified else 'NOT the book’s'}"
                     f"); {self.attribution}")
        return "\n".join(lines)


def section_9_5(data: Union[str, os.PathLike, None] = None, *, verify: bool = True,
                names: Names = API_NAMES) -> Section95:
    """The text's 9.5 on the data (Java's ``NMT`` throughout)."""
    fra = nmtdata.read_fra(data, verify=verify, names=names)
    from . import bridge
    from .bridge import nmt as jnmt, thread

    bridge.start()
    text = thread.call(lambda: jnmt.read_text(fra.text, str(fra.path), 6))
    full = thread.call(lambda: jnmt.load_data(fra.text, str(fra.path), 64, 10, 0))
    small = thread.call(lambda: jnmt.load_data(fra.text, str(fra.path), SECTION_BATCH,
                                               SECTION_STEPS, 600))
    index = {t: i for i, t in enumerate(full.source_vocab)}
    first = ref_nmt.truncate_pad([index.get(t, 0) for t in text.source[0]], 10, index["<pad>"])
    batch = {"X": small.X[:SECTION_BATCH].tolist(),
             "valid lengths for X": small.X_valid_len[:SECTION_BATCH].tolist(),
             "Y": small.Y[:SECTION_BATCH].tolist(),
             "valid lengths for Y": small.Y_valid_len[:SECTION_BATCH].tolist()}
    return Section95(text.raw[:75], text.preprocessed[:80], text.source[:6], text.target[:6],
                     len(full.source_vocab), first, batch, str(fra.path), fra.verified)


#: What the text's 9.6 runs: nothing (it defines the Encoder, Decoder and EncoderDecoder
#: interfaces; their first outputs are 9.7's).
SECTION_9_6_NOTE = ("D2L 9.6 (Encoder-Decoder Architecture) defines the Encoder, Decoder and "
                    "EncoderDecoder interfaces and runs nothing; their outputs come with 9.7 "
                    "(train --section 9.7)")

