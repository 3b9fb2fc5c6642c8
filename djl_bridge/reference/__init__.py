"""The numpy twin of the Java side: every numeric piece of the chapter 8/9 pipeline written again
in plain numpy (float64), for clarity rather than speed. ``djl_bridge.parity`` checks it against
the production Java classes.

Modules:

- :mod:`.javarandom` -- ``java.util.Random`` and ``Collections.shuffle``, bit for bit.
- :mod:`.text` -- reading and tokenizing the corpus, the ``Vocab``.
- :mod:`.sampling` -- the sequential and random partitions of ``TimeMachineDataset``.
- :mod:`.cells` -- GRU, LSTM and RNN forward and hand-written backward (BPTT), in one canonical
  parameter form with both conventions (scratch text and MXNet's fused layers).
- :mod:`.model` -- the scratch and concise models over the Java parameter lists, softmax
  cross-entropy, gradient clipping, SGD, the trainer and greedy prediction.
"""
from __future__ import annotations

from .javarandom import JavaRandom, java_shuffle
from .model import TwinModel, clip_gradients, predict, sgd, softmax_cross_entropy, train_epochs
from .sampling import TwinDataset
from .text import Vocab, load_corpus, read_time_machine, tokenize

__all__ = [
    "JavaRandom",
    "TwinDataset",
    "TwinModel",
    "Vocab",
    "clip_gradients",
    "java_shuffle",
    "load_corpus",
    "predict",
    "read_time_machine",
    "sgd",
    "softmax_cross_entropy",
    "tokenize",
    "train_epochs",
]
