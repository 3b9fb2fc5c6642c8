"""The twin of ``djlbridge.seq2seq.NMT``: the English-French data of D2L 9.5 as the book prepares
it (``preprocess_nmt``, ``tokenize_nmt``, ``truncate_pad``, ``build_array_nmt``, the vocabularies
of ``load_data_nmt``). The data: tatoeba.org pairs via manythings.org/anki, CC-BY 2.0 FR."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .text import Vocab

#: The reserved tokens of both vocabularies (after ``<unk>``) and their minimum frequency.
RESERVED = ("<pad>", "<bos>", "<eos>")
MIN_FREQ = 2
#: Whether tokens are split as Python's ``str.split(' ')`` (empty strings kept, as the book and
#: the Java class); False splits as Java's ``String.split(" ")`` (trailing empty strings dropped).
KEEP_EMPTY_TOKENS = True


def preprocess_nmt(text: str) -> str:
    """No-break spaces to spaces, lower case, a space before ``, . ! ?`` after a non-space."""
    text = text.replace("\u202f", " ").replace("\xa0", " ").lower()
    return "".join(" " + c if i > 0 and c in ",.!?" and text[i - 1] != " " else c
                   for i, c in enumerate(text))


def _split(s: str) -> list[str]:
    parts = s.split(" ")
    if not KEEP_EMPTY_TOKENS:
        while parts and parts[-1] == "" and len(parts) > 1:
            parts.pop()
    return parts


def tokenize_nmt(text: str, num_examples: int = 0) -> tuple[list[list[str]], list[list[str]]]:
    """Line ``i`` (every line counted) is read while ``i <= num_examples`` (0: all); a line with
    exactly two tab-separated parts is a pair."""
    source, target = [], []
    for i, line in enumerate(text.split("\n")):
        if num_examples and i > num_examples:
            break
        parts = line.split("\t")
        if len(parts) == 2:
            source.append(_split(parts[0]))
            target.append(_split(parts[1]))
    return source, target


def truncate_pad(line: Sequence[int], num_steps: int, padding_token: int) -> list[int]:
    """The first ``num_steps`` indices, or the line padded with ``padding_token``."""
    if len(line) > num_steps:
        return list(line[:num_steps])
    return list(line) + [padding_token] * (num_steps - len(line))


def build_array_nmt(lines: Sequence[Sequence[str]], vocab: Vocab, num_steps: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Indices with ``<eos>`` appended, truncated or padded; valid length = tokens not ``<pad>``."""
    rows = [truncate_pad([vocab.idx(t) for t in line] + [vocab.idx("<eos>")], num_steps,
                         vocab.idx("<pad>")) for line in lines]
    array = np.array(rows, dtype=np.int64).reshape(len(rows), num_steps)
    return array, (array != vocab.idx("<pad>")).sum(axis=1)


@dataclass
class NMTData:
    """What ``load_data_nmt`` makes, before batching."""

    src: np.ndarray
    src_valid_len: np.ndarray
    tgt: np.ndarray
    tgt_valid_len: np.ndarray
    src_vocab: Vocab
    tgt_vocab: Vocab


def load_data_nmt(raw_text: str, num_steps: int, num_examples: int = 0) -> NMTData:
    """Preprocess, tokenize, the two vocabularies and the arrays."""
    source, target = tokenize_nmt(preprocess_nmt(raw_text), num_examples)
    src_vocab = Vocab(source, min_freq=MIN_FREQ, reserved_tokens=RESERVED)
    tgt_vocab = Vocab(target, min_freq=MIN_FREQ, reserved_tokens=RESERVED)
    src, src_len = build_array_nmt(source, src_vocab, num_steps)
    tgt, tgt_len = build_array_nmt(target, tgt_vocab, num_steps)
    return NMTData(src, src_len, tgt, tgt_len, src_vocab, tgt_vocab)
