"""The English-French data of D2L 9.5 from the Java ``NMT`` (``djlbridge.seq2seq.NMT``), as
Python values. Java reads the bytes Python read and verified (:mod:`djl_bridge.nmtdata`), from
memory: it opens no path."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import names as N
from .classes import jclass
from .convert import java_bytes
from .errors import translated


@dataclass(frozen=True)
class JavaNMTData:
    """What ``NMT.loadDataNMT`` made: both vocabularies (index to token) and the four arrays in
    file order (the data set's rows; training draws its batches from them at random)."""

    source_vocab: list[str]
    target_vocab: list[str]
    X: np.ndarray
    X_valid_len: np.ndarray
    Y: np.ndarray
    Y_valid_len: np.ndarray


@dataclass(frozen=True)
class JavaNMTText:
    """The steps of 9.5 before the arrays: the raw text, the preprocessed text and the first
    tokenized pairs."""

    raw: str
    preprocessed: str
    source: list[list[str]]
    target: list[list[str]]


def _ints(arr: Any) -> np.ndarray:
    dims = tuple(int(d) for d in arr.getShape().getShape())
    return np.array(arr.toIntArray(), dtype=np.int64).reshape(dims)


def _raw(text: bytes, name: str) -> Any:
    stream = jclass(N.BYTE_ARRAY_INPUT_STREAM)(java_bytes(text))
    return jclass(N.NMT).readDataNMT(stream, name)


@translated
def read_text(text: bytes, name: str, num_pairs: int) -> JavaNMTText:
    """``readDataNMT`` (the checks), ``preprocessNMT`` and the first ``num_pairs`` pairs of
    ``tokenizeNMT``."""
    nmt = jclass(N.NMT)
    raw = _raw(text, name)
    pre = nmt.preprocessNMT(raw)
    pairs = nmt.tokenizeNMT(pre, int(num_pairs))
    return JavaNMTText(str(raw), str(pre), [[str(t) for t in line] for line in pairs.getKey()],
                       [[str(t) for t in line] for line in pairs.getValue()])


@translated
def load_data(text: bytes, name: str, batch_size: int, num_steps: int,
              num_examples: int) -> JavaNMTData:
    """``NMT.loadDataNMT`` on ``text`` (the bytes of fra.txt), every row of its data set."""
    nmt = jclass(N.NMT)
    manager = jclass(N.NDMANAGER).newBaseManager()
    try:
        pair = nmt.loadDataNMT(_raw(text, name), int(batch_size), int(num_steps),
                               int(num_examples), manager)
        dataset, vocabs = pair.getKey(), pair.getValue()
        batch = dataset.getByRange(manager, 0, dataset.size())
        try:
            x, x_len = (_ints(batch.getData().get(i)) for i in (0, 1))
            y, y_len = (_ints(batch.getLabels().get(i)) for i in (0, 1))
        finally:
            batch.close()
        return JavaNMTData([str(t) for t in vocabs.getKey().getIdxToToken()],
                           [str(t) for t in vocabs.getValue().getIdxToToken()], x, x_len, y, y_len)
    finally:
        manager.close()


@translated
def bleu(pred_seq: str, label_seq: str, k: int) -> float:
    """``Seq2Seq.bleu`` (the book's BLEU; 0 for a prediction shorter than ``k``)."""
    return float(jclass(N.SEQ2SEQ).bleu(str(pred_seq), str(label_seq), int(k)))
