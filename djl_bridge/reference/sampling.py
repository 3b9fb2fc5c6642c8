"""The two partitions of ``TimeMachineDataset`` (D2L section 8.3), with the same random source.

From one ``java.util.Random(seed)``, per epoch: the offset ``nextInt(num_steps)``, then in random
mode the shuffle of the record indices (``Collections.shuffle``), as D2L's
``seq_data_iter_sequential`` and ``seq_data_iter_random`` draw ``random.randint(0, num_steps - 1)``
(then ``random.shuffle``) every time an epoch starts. The first epoch's offset is drawn at
preparation, each later one when its epoch starts. The number of batches depends on the offset;
a corpus too small for one batch at the largest offset, ``num_steps - 1``, is refused. A record is
a subsequence X of ``num_steps`` tokens and Y, the same shifted by one.

- Sequential: record i is row ``r = i % B`` of batch ``b = i // B`` and starts at
  ``offset + r * row_length + b * num_steps``, where ``row_length = ((n - offset - 1) // B * B) // B``
  (the corpus is cut into B rows that batches walk through, so rows continue each other).
- Random: record j starts at ``offset + j * num_steps``; each epoch's batches are consecutive
  chunks of B records of the shuffled order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .javarandom import JavaRandom, java_shuffle


@dataclass
class TwinDataset:
    """The twin of a prepared ``TimeMachineDataset`` over an index corpus."""

    corpus: np.ndarray
    batch_size: int
    num_steps: int
    random: bool
    seed: int
    offset: int = field(init=False)
    num_batches: int = field(init=False)
    row_length: int = field(init=False)
    _rng: JavaRandom = field(init=False, repr=False)

    _offset_used: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = JavaRandom(self.seed)
        self._lay_out(self.num_steps - 1)  # the largest offset leaves the fewest tokens
        if self.num_batches < 1:
            raise ValueError(f"corpus of {self.corpus.size} tokens is too small for one batch of "
                             f"{self.batch_size} x {self.num_steps} steps")
        self._lay_out(self._rng.next_int(self.num_steps))  # the first epoch's
        self._offset_used = False

    def _lay_out(self, offset: int) -> None:
        """The partition from ``offset``: the number of batches and (sequential) the row length."""
        n = self.corpus.size
        self.offset = offset
        self.row_length = 0
        if self.random:
            self.num_batches = ((n - offset - 1) // self.num_steps) // self.batch_size
        else:
            self.row_length = ((n - offset - 1) // self.batch_size * self.batch_size) // self.batch_size
            self.num_batches = self.row_length // self.num_steps

    @property
    def num_records(self) -> int:
        """The records one epoch can draw from."""
        if self.random:
            return (self.corpus.size - self.offset - 1) // self.num_steps
        return self.num_batches * self.batch_size

    def start_of(self, index: int) -> int:
        """The corpus position of record ``index``'s first X token."""
        if self.random:
            return self.offset + index * self.num_steps
        b, row = divmod(index, self.batch_size)
        return self.offset + row * self.row_length + b * self.num_steps

    def next_epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The (X, Y) batches of the next epoch, each of shape (batch_size, num_steps): draws the
        epoch's offset (the first epoch uses the one drawn at preparation) and, in random mode, its
        shuffle, as the Java sampler does. ``offset`` and ``num_batches`` are then this epoch's."""
        if self._offset_used:
            self._lay_out(self._rng.next_int(self.num_steps))
        self._offset_used = True
        order = list(range(self.num_records))
        if self.random:
            java_shuffle(order, self._rng)
        batches = []
        for b in range(self.num_batches):
            starts = [self.start_of(i) for i in order[b * self.batch_size:(b + 1) * self.batch_size]]
            x = np.stack([self.corpus[s:s + self.num_steps] for s in starts])
            y = np.stack([self.corpus[s + 1:s + 1 + self.num_steps] for s in starts])
            batches.append((x, y))
        return iter(batches)
