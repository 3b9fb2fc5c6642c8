"""The model kinds, once for Python: the twin of the Java enum ``djlbridge.ModelKind`` (a test
holds the two equal through JPype). Everything Python knows about a GRU, an LSTM or a plain RNN
that is not arithmetic comes from here: the name, the gates in the text's order and in MXNet's,
the number of state arrays, the scratch parameter names. It lives in the twin so that the twin
still loads on its own, as benchmarks/torch_ref.py loads it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelKind:
    """One recurrent cell of chapters 8 and 9.

    Gates are named canonically (GRU ``r`` reset, ``z`` update, ``n`` candidate; LSTM ``i``
    input, ``f`` forget, ``g`` cell candidate, ``o`` output; RNN ``h``); ``text_letters`` are the
    letters the Java text writes for the same gates in its parameter names (``W_xh`` for the
    GRU's candidate, ``W_xc`` for the LSTM's)."""

    name: str
    #: The gates in the order of the text's scratch parameters.
    scratch_gates: tuple[str, ...]
    #: The same gates by the letters of the text's parameter names.
    text_letters: tuple[str, ...]
    #: The gates in the order MXNet's fused RNN operator stacks their weight blocks.
    mxnet_gates: tuple[str, ...]
    #: State arrays: H, or (H, C) for the LSTM.
    states: int

    @property
    def gates(self) -> int:
        """The number of gates (weight blocks per layer)."""
        return len(self.scratch_gates)

    @property
    def param_names(self) -> tuple[str, ...]:
        """The scratch model's parameters in the text's order: (W_x?, W_h?, b_?) per gate, then
        the output layer W_hq, b_q."""
        names: list[str] = []
        for g in self.text_letters:
            names += [f"W_x{g}", f"W_h{g}", f"b_{g}"]
        return tuple(names + ["W_hq", "b_q"])


GRU = ModelKind("gru", ("z", "r", "n"), ("z", "r", "h"), ("r", "z", "n"), 1)
LSTM = ModelKind("lstm", ("i", "f", "o", "g"), ("i", "f", "o", "c"), ("i", "f", "g", "o"), 2)
RNN = ModelKind("rnn", ("h",), ("h",), ("h",), 1)

#: Every kind, in the CLI's order.
KINDS: tuple[ModelKind, ...] = (GRU, LSTM, RNN)
#: Their names: the values of ``--model`` and ``TrainConfig.model``.
NAMES: tuple[str, ...] = tuple(k.name for k in KINDS)


def kind(name: str) -> ModelKind:
    """The kind called ``name``; KeyError for another name."""
    for k in KINDS:
        if k.name == name:
            return k
    raise KeyError(name)
