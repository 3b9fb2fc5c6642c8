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


#: The parameter arrays of the concise model of one layer and one direction (DJL's fused
#: recurrent layer, then its Linear output layer), by their names in DJL's ``getParameters()``.
CONCISE_PARAM_NAMES: tuple[str, ...] = ("l_0_i2h_WEIGHT", "l_0_h2h_WEIGHT", "l_0_i2h_BIAS",
                                        "l_0_h2h_BIAS", "weight", "bias")


def scratch_param_names(kind_: ModelKind, layers: int = 1) -> tuple[str, ...]:
    """The scratch parameters of a stack of ``layers`` layers (D2L 9.3) in ``getParams()`` order:
    the gate triples of layer 0 (:attr:`ModelKind.param_names`), those of layer ``l > 0`` with
    the suffix ``_l<l>``, then ``W_hq, b_q`` (Java: ``ModelKind.getParamNames(layers)``)."""
    names = list(kind_.param_names[:-2])
    for layer in range(1, layers):
        names += [f"{n}_l{layer}" for n in kind_.param_names[:-2]]
    return tuple(names + ["W_hq", "b_q"])


def parameter_shapes(model: str, impl: str, vocab_size: int, hidden: int, layers: int = 1,
                     bidirectional: bool = False) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The name and shape of every parameter array of a model, in ``getParams()`` order (the
    order of a parameter file): the one place that knows how many numbers a model has, for the
    checkpoint reader's size checks. V is ``vocab_size`` (inputs are one-hot, outputs one logit
    per token), H is ``hidden``, G the gates of ``model``, L ``layers``, D the directions (2 when
    ``bidirectional``, concise only):

    - ``scratch``: per layer, per gate in the text's order ``W_x?`` (V, H; layer l > 0 reads
      layer l - 1's state: H, H), ``W_h?`` (H, H), ``b_?`` (H), then ``W_hq`` (H, V), ``b_q`` (V);
    - ``concise``: per layer (DJL 0.36's order), the weights of each direction, ``i2h`` (G*H, V;
      layer l > 0: G*H, H*D) and ``h2h`` (G*H, H), then the biases of each direction (G*H each),
      then the Linear layer's ``weight`` (V, H*D) and ``bias`` (V).

    Raises KeyError for an unknown model and ValueError for another ``impl``, a layer count
    below 1 or a bidirectional scratch model."""
    k = kind(model)
    v, h, n = int(vocab_size), int(hidden), int(layers)
    if n < 1:
        raise ValueError(f"layers must be at least 1, got {layers}")
    if impl == "scratch":
        if bidirectional:
            raise ValueError("the scratch models run in one direction")
        shapes = [s for layer in range(n) for _ in k.text_letters
                  for s in (((v if layer == 0 else h), h), (h, h), (h,))] + [(h, v), (v,)]
        return tuple(zip(scratch_param_names(k, n), shapes))
    if impl == "concise":
        g, dirs = k.gates * h, (2 if bidirectional else 1)
        out: list[tuple[str, tuple[int, ...]]] = []
        for layer in range(n):
            width = v if layer == 0 else h * dirs
            for d in range(dirs):
                out += [(f"{'lr'[d]}_{layer}_i2h_WEIGHT", (g, width)),
                        (f"{'lr'[d]}_{layer}_h2h_WEIGHT", (g, h))]
            for d in range(dirs):
                out += [(f"{'lr'[d]}_{layer}_i2h_BIAS", (g,)), (f"{'lr'[d]}_{layer}_h2h_BIAS", (g,))]
        return tuple(out + [("weight", (v, h * dirs)), ("bias", (v,))])
    raise ValueError(f"unknown impl {impl!r}")


def elements(shape: tuple[int, ...]) -> int:
    """How many numbers an array of ``shape`` holds."""
    n = 1
    for d in shape:
        n *= int(d)
    return n


def parameter_count(model: str, impl: str, vocab_size: int, hidden: int, layers: int = 1,
                    bidirectional: bool = False) -> int:
    """The number of parameters of :func:`parameter_shapes`, in closed form (any layer count,
    at once): the sum of :func:`elements` over its shapes."""
    k = kind(model)
    v, h, n = int(vocab_size), int(hidden), int(layers)
    if n < 1:
        raise ValueError(f"layers must be at least 1, got {layers}")
    if impl == "scratch":
        if bidirectional:
            raise ValueError("the scratch models run in one direction")
        first, later = k.gates * (v * h + h * h + h), k.gates * (2 * h * h + h)
        return first + (n - 1) * later + h * v + v
    if impl == "concise":
        g, dirs = k.gates * h, (2 if bidirectional else 1)
        first = dirs * (g * v + g * h + 2 * g)
        later = dirs * (g * h * dirs + g * h + 2 * g)
        return first + (n - 1) * later + v * h * dirs + v
    raise ValueError(f"unknown impl {impl!r}")
