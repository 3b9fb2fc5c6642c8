"""Reading and tokenizing *The Time Machine* and the ``Vocab``, as ``djlbridge.TimeMachine`` and
``djlbridge.Vocab`` do."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

#: Java's ``Files.readAllLines`` ends a line at \r\n, \r or \n (and at nothing else, unlike
#: Python's ``str.splitlines``).
_LINE_END = re.compile(r"\r\n|\r|\n")
_NOT_LETTERS = re.compile(r"[^A-Za-z]+")


def read_time_machine(path: Path) -> list[str]:
    """The corpus lines, each reduced to lower-case letters and single spaces."""
    text = path.read_text(encoding="utf-8")
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # readAllLines gives no empty line after a final line break
    return [_NOT_LETTERS.sub(" ", line).strip().lower() for line in lines]


def tokenize(lines: Sequence[str], token: str = "char") -> list[list[str]]:
    """Splits each line into characters or words."""
    if token == "char":
        return [list(line) for line in lines]
    if token == "word":
        return [line.split(" ") if line else [] for line in lines]
    raise ValueError(f"unknown token type {token!r}: use char or word")


@dataclass
class Vocab:
    """Index 0 is ``<unk>``, then the reserved tokens, then every token seen at least
    ``min_freq`` times, most frequent first; equal counts keep their order of first appearance."""

    tokens: Sequence[Sequence[str]]
    min_freq: int = 0
    reserved_tokens: Sequence[str] = ()
    idx_to_token: list[str] = field(init=False)
    token_to_idx: dict[str, int] = field(init=False)
    token_freqs: list[tuple[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        counter: dict[str, int] = {}  # dicts keep insertion order: first appearance
        for line in self.tokens:
            for t in line:
                counter[t] = counter.get(t, 0) + 1
        self.token_freqs = sorted(counter.items(), key=lambda kv: -kv[1])  # sorted() is stable
        self.idx_to_token = []
        self.token_to_idx = {}
        for t in ["<unk>", *self.reserved_tokens]:
            self._add(t)
        for t, n in self.token_freqs:
            if n >= self.min_freq:
                self._add(t)

    def _add(self, token: str) -> None:
        if token not in self.token_to_idx:
            self.idx_to_token.append(token)
            self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def idx(self, token: str) -> int:
        """The index of a token, 0 (``<unk>``) when unknown."""
        return self.token_to_idx.get(token, 0)

    def to_tokens(self, indices: Sequence[int]) -> list[str]:
        """The tokens at the indices."""
        return [self.idx_to_token[i] for i in indices]


def load_corpus(path: Path, max_tokens: int = 10000) -> tuple[np.ndarray, Vocab]:
    """The corpus as character indices (the first ``max_tokens``; all when <= 0) and the
    vocabulary, which is always built from the whole text."""
    tokens = tokenize(read_time_machine(path), "char")
    vocab = Vocab(tokens)
    corpus = np.array([vocab.idx(t) for line in tokens for t in line], dtype=np.int64)
    if 0 < max_tokens < corpus.size:
        corpus = corpus[:max_tokens]
    return corpus, vocab
