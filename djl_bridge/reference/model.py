"""The scratch and concise language models over the parameter lists of the Java side, plus
softmax cross-entropy, gradient clipping, the SGD step, the chapter 8 trainer and greedy
prediction -- the twin of ``RNNModelScratch``, ``RNNModel`` and ``djlbridge.TimeMachine``.

Parameter lists are in ``LanguageModel.getParams()`` order:

- scratch (the text's order, one (W_x (V, H), W_h (H, H), b (H)) triple per gate, then
  W_hq (H, V), b_q (V)): GRU ``z, r, h``; LSTM ``i, f, o, c``; RNN ``h``. A stack of L layers
  (D2L 9.3) has the triples of layer 0, then layer 1's (W_x of shape (H, H)), ..., then the one
  output layer; its state is H (and C) of layer 0, then of layer 1, ...
- concise (DJL's ``getParameters()`` order): ``rnn_l_0_i2h_WEIGHT`` (G*H, V),
  ``rnn_l_0_h2h_WEIGHT`` (G*H, H), ``rnn_l_0_i2h_BIAS`` (G*H), ``rnn_l_0_h2h_BIAS`` (G*H),
  ``linear_weight`` (V, H), ``linear_bias`` (V); the G gate blocks are stacked in
  :data:`MXNET_GATE_ORDER` and the GRU resets after the matmul. With more layers or both
  directions DJL 0.36 lists, layer by layer, the weights (``l`` then ``r`` direction, i2h then
  h2h) and then the biases of that layer; layer l > 0 reads H * D inputs; the output layer reads
  H * D; the state is (L * D, batch, H), row ``l * D + d``.

How MXNet's operator reads the concise parameters: DJL concatenates the flattened arrays in the
order above and MXNet reads that one vector in its own layout -- the i2h and h2h weights of
every layer and direction, and only then the biases (:func:`mxnet_layout`). For one layer the two
orders agree; for a stack they do not, and the twin reads the vector as MXNet does
(:data:`PACKED_BY_POSITION`): beyond layer 0, DJL's names do not say what MXNet uses an array for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import numpy as np

from . import kinds
from .kinds import KINDS
from .cells import GATES, CellParams, StepCache, backward_layer, run_layer
from .text import Vocab

#: The stacking of gate blocks in MXNet's fused RNN weights (the cuDNN convention), as found by
#: the parity suite: GRU reset, update, candidate; LSTM input, forget, cell candidate, output.
MXNET_GATE_ORDER: dict[str, tuple[str, ...]] = {k.name: k.mxnet_gates for k in KINDS}
#: The order of the scratch gate triples, mapped to the canonical gate names.
SCRATCH_GATE_ORDER: dict[str, tuple[str, ...]] = {k.name: k.scratch_gates for k in KINDS}
#: Whether MXNet's GRU applies the reset gate after the hidden matmul: r * (W_hn h + b_hn).
MXNET_RESET_AFTER = True
#: Whether the scratch GRU of the text does: it does not, it multiplies first: (r * h) @ W_hh.
SCRATCH_RESET_AFTER = False
#: Whether the concise layer's parameters are read as MXNet reads them: DJL's arrays flattened and
#: joined in DJL's order, that vector cut in MXNet's layout (:func:`mxnet_layout`). False reads
#: each array as its DJL name says (what DJL 0.36 does not do for more than one layer).
PACKED_BY_POSITION = True

#: One array of a concise layer: (layer, direction, part) with part "wx", "wh", "bx" or "bh".
Key = tuple[int, int, str]


def mxnet_layout(layers: int, directions: int, gates: int, hidden: int, inputs: int
                 ) -> list[tuple[Key, tuple[int, ...]]]:
    """The arrays of MXNet's fused RNN parameter vector in its order: the i2h (wx) and h2h (wh)
    weights of every layer and direction, then the i2h and h2h biases of every layer and
    direction; shapes as DJL's (rows: the gate blocks)."""
    weights: list[tuple[Key, tuple[int, ...]]] = []
    biases: list[tuple[Key, tuple[int, ...]]] = []
    for layer in range(layers):
        width = inputs if layer == 0 else hidden * directions
        for d in range(directions):
            weights += [((layer, d, "wx"), (gates * hidden, width)),
                        ((layer, d, "wh"), (gates * hidden, hidden))]
            biases += [((layer, d, "bx"), (gates * hidden,)), ((layer, d, "bh"), (gates * hidden,))]
    return weights + biases


def djl_layout(layers: int, directions: int, gates: int, hidden: int, inputs: int
               ) -> list[tuple[Key, tuple[int, ...]]]:
    """The arrays of DJL 0.36's recurrent block in its ``getParameters()`` order, by what their
    names say: per layer, the weights of each direction (i2h, h2h), then its biases."""
    shapes = dict(mxnet_layout(layers, directions, gates, hidden, inputs))
    order: list[Key] = []
    for layer in range(layers):
        for part in (("wx", "wh"), ("bx", "bh")):
            for d in range(directions):
                order += [(layer, d, part[0]), (layer, d, part[1])]
    return [(k, shapes[k]) for k in order]


def next_layer_input(outputs: np.ndarray) -> np.ndarray:
    """What layer l + 1 reads at every step: layer l's hidden state at the same step (D2L 9.3),
    both directions side by side. ``outputs`` and the result: (steps, batch, H * D)."""
    return outputs


@dataclass
class Cache:
    """What a forward keeps for the backward: each layer's and direction's step caches, the last
    layer's outputs (steps, batch, H * D), the shape of the state."""

    steps: list[list[list[StepCache]]]
    hs: np.ndarray
    state_shape: tuple[int, ...]


@dataclass
class TwinModel:
    """A scratch or concise GRU/LSTM/RNN language model in float64, of ``layers`` stacked layers,
    the concise one in one or both directions.

    ``params`` follow the Java ``getParams()`` order (see the module docstring); ``gate_order``
    and ``reset_after`` default to MXNet's convention for concise models and exist so that a test
    can prove that another convention does *not* match DJL.
    """

    impl: str
    kind: str
    params: list[np.ndarray]
    gate_order: Optional[tuple[str, ...]] = None
    reset_after: Optional[bool] = None
    layers: int = 1
    bidirectional: bool = False

    def __post_init__(self) -> None:
        if self.impl not in ("scratch", "concise") or self.kind not in GATES:
            raise ValueError(f"unknown model {self.impl} {self.kind}")
        if self.bidirectional and self.impl != "concise":
            raise ValueError("only the concise models run both directions")
        self.params = [np.asarray(p, dtype=np.float64) for p in self.params]
        if self.gate_order is None:
            order = SCRATCH_GATE_ORDER if self.impl == "scratch" else MXNET_GATE_ORDER
            self.gate_order = order[self.kind]
        if self.reset_after is None:
            self.reset_after = MXNET_RESET_AFTER if self.impl == "concise" else SCRATCH_RESET_AFTER

    @property
    def vocab_size(self) -> int:
        """V, the length of the output bias."""
        return int(self.params[-1].shape[0])

    @property
    def num_hiddens(self) -> int:
        """H, the columns of the second parameter (W_h of the first gate, or h2h_WEIGHT)."""
        return int(self.params[1].shape[1])

    @property
    def directions(self) -> int:
        """D: 2 for a bidirectional model, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def states(self) -> int:
        """State arrays per layer (scratch) or in all (concise): H, or H and C."""
        return kinds.kind(self.kind).states

    # -- layout ------------------------------------------------------------------------------
    def _layout(self) -> list[tuple[Key, tuple[int, ...]]]:
        g = kinds.kind(self.kind).gates
        return mxnet_layout(self.layers, self.directions, g, self.num_hiddens, self.vocab_size)

    def _djl_layout(self) -> list[tuple[Key, tuple[int, ...]]]:
        g = kinds.kind(self.kind).gates
        return djl_layout(self.layers, self.directions, g, self.num_hiddens, self.vocab_size)

    def _concise_arrays(self) -> dict[Key, np.ndarray]:
        """The concise layer's arrays by what MXNet uses them for (or, without
        :data:`PACKED_BY_POSITION`, by their DJL names)."""
        arrays = self.params[:-2]
        if not PACKED_BY_POSITION:
            return {k: a for (k, _), a in zip(self._djl_layout(), arrays)}
        flat = np.concatenate([a.ravel() for a in arrays])
        out, at = {}, 0
        for key, shape in self._layout():
            size = int(np.prod(shape))
            out[key] = flat[at:at + size].reshape(shape)
            at += size
        return out

    def _concise_grads(self, grads: dict[Key, np.ndarray]) -> list[np.ndarray]:
        """The inverse of :meth:`_concise_arrays` for gradients: one array per DJL parameter."""
        layout = self._djl_layout()
        if not PACKED_BY_POSITION:
            return [grads[k] for k, _ in layout]
        flat = np.concatenate([grads[k].ravel() for k, _ in self._layout()])
        out, at = [], 0
        for _, shape in layout:
            size = int(np.prod(shape))
            out.append(flat[at:at + size].reshape(shape))
            at += size
        return out

    def cells(self) -> list[list[CellParams]]:
        """The recurrent layers' parameters in canonical form: ``cells()[layer][direction]``."""
        assert self.gate_order is not None
        h, out = self.num_hiddens, []
        per = 3 * len(self.gate_order)
        arrays = self._concise_arrays() if self.impl == "concise" else {}
        for layer in range(self.layers):
            row = []
            for d in range(self.directions):
                wx, wh, bx, bh = {}, {}, {}, {}
                for k, g in enumerate(self.gate_order):
                    if self.impl == "scratch":
                        wx[g], wh[g], bx[g] = self.params[layer * per + 3 * k:layer * per + 3 * k + 3]
                        bh[g] = np.zeros(h)
                    else:
                        rows = slice(k * h, (k + 1) * h)
                        wx[g] = arrays[(layer, d, "wx")][rows].T
                        wh[g] = arrays[(layer, d, "wh")][rows].T
                        bx[g], bh[g] = arrays[(layer, d, "bx")][rows], arrays[(layer, d, "bh")][rows]
                row.append(CellParams(self.kind, wx, wh, bx, bh, bool(self.reset_after)))
            out.append(row)
        return out

    def head(self) -> tuple[np.ndarray, np.ndarray]:
        """The output layer as (W_hq (H * D, V), b_q)."""
        w, b = self.params[-2], self.params[-1]
        return (w, b) if self.impl == "scratch" else (w.T, b)

    def _grads_to_list(self, grads: list[list[CellParams]], dwq: np.ndarray, dbq: np.ndarray
                       ) -> list[np.ndarray]:
        assert self.gate_order is not None
        order = self.gate_order
        out: list[np.ndarray] = []
        if self.impl == "scratch":
            for row in grads:
                for gate in order:
                    out += [row[0].wx[gate], row[0].wh[gate], row[0].bx[gate]]
            return out + [dwq, dbq]
        by_key: dict[Key, np.ndarray] = {}
        for layer, row in enumerate(grads):
            for d, g in enumerate(row):
                by_key[(layer, d, "wx")] = np.concatenate([g.wx[k].T for k in order])
                by_key[(layer, d, "wh")] = np.concatenate([g.wh[k].T for k in order])
                by_key[(layer, d, "bx")] = np.concatenate([g.bx[k] for k in order])
                by_key[(layer, d, "bh")] = np.concatenate([g.bh[k] for k in order])
        return self._concise_grads(by_key) + [dwq.T, dbq]

    # -- state -------------------------------------------------------------------------------
    def begin_state(self, batch_size: int) -> list[np.ndarray]:
        """Zero states: (H) or (H, C) of shape (batch, hidden) per layer for scratch models;
        (H) or (H, C) of shape (layers * directions, batch, hidden) for concise ones."""
        h = self.num_hiddens
        if self.impl == "scratch":
            return [np.zeros((batch_size, h)) for _ in range(self.layers * self.states)]
        rows = self.layers * self.directions
        return [np.zeros((rows, batch_size, h)) for _ in range(self.states)]

    def _split_state(self, state: Sequence[np.ndarray], batch: int
                     ) -> dict[tuple[int, int], tuple[np.ndarray, Optional[np.ndarray]]]:
        """(h, c) of each (layer, direction) from the Java-shaped state."""
        out = {}
        lstm = self.states == 2
        for layer in range(self.layers):
            for d in range(self.directions):
                if self.impl == "scratch":
                    h = state[layer * self.states]
                    c = state[layer * self.states + 1] if lstm else None
                else:
                    row = layer * self.directions + d
                    h, c = state[0][row], (state[1][row] if lstm else None)
                out[(layer, d)] = (np.asarray(h, dtype=np.float64).reshape(batch, -1),
                                   None if c is None else
                                   np.asarray(c, dtype=np.float64).reshape(batch, -1))
        return out

    def _join_state(self, final: dict[tuple[int, int], tuple[np.ndarray, Optional[np.ndarray]]]
                    ) -> list[np.ndarray]:
        """The inverse of :meth:`_split_state`."""
        keys = [(layer, d) for layer in range(self.layers) for d in range(self.directions)]
        if self.impl == "scratch":
            out: list[np.ndarray] = []
            for k in keys:
                h, c = final[k]
                out += [h] + ([c] if c is not None else [])
            return out
        joined = [np.stack([final[k][0] for k in keys])]
        if self.states == 2:
            joined.append(np.stack([final[k][1] for k in keys]))
        return joined

    # -- forward / backward ------------------------------------------------------------------
    def forward(self, x: np.ndarray, state: Sequence[np.ndarray]
                ) -> tuple[np.ndarray, list[np.ndarray], Cache]:
        """Logits (steps * batch, vocab), time-major, for token indices ``x`` (batch, steps); the
        new state; the cache for :meth:`backward`."""
        b = x.shape[0]
        inputs = np.eye(self.vocab_size)[np.asarray(x).T]  # (steps, batch, vocab)
        begin = self._split_state(state, b)
        final = {}
        steps: list[list[list[StepCache]]] = []
        cells = self.cells()
        outputs = inputs
        for layer, row in enumerate(cells):
            if layer > 0:
                inputs = next_layer_input(outputs)
            dirs, per_dir = [], []
            for d, cell in enumerate(row):
                seq = inputs if d == 0 else inputs[::-1]
                hs, h, c, caches = run_layer(cell, seq, *begin[(layer, d)])
                dirs.append(hs if d == 0 else hs[::-1])
                per_dir.append(caches)
                final[(layer, d)] = (h, c)
            steps.append(per_dir)
            outputs = np.concatenate(dirs, axis=-1)
        wq, bq = self.head()
        logits = outputs.reshape(-1, outputs.shape[-1]) @ wq + bq
        return logits, self._join_state(final), Cache(steps, outputs, tuple(state[0].shape))

    def backward(self, cache: Cache, dlogits: np.ndarray) -> list[np.ndarray]:
        """The gradients of every parameter (``params`` order) given dL/dlogits."""
        wq, _ = self.head()
        flat = cache.hs.reshape(-1, cache.hs.shape[-1])
        dwq = flat.T @ dlogits
        dbq = dlogits.sum(axis=0)
        douts = (dlogits @ wq.T).reshape(cache.hs.shape)
        cells = self.cells()
        h = self.num_hiddens
        grads: list[list[CellParams]] = [[] for _ in cells]
        for layer in range(len(cells) - 1, -1, -1):
            dinputs = None
            for d, cell in enumerate(cells[layer]):
                mine = douts[..., d * h:(d + 1) * h]
                g, dxs = backward_layer(cell, cache.steps[layer][d], mine if d == 0 else mine[::-1])
                grads[layer].append(g)
                dxs = dxs if d == 0 else dxs[::-1]
                dinputs = dxs if dinputs is None else dinputs + dxs
            douts = dinputs  # the layer below's outputs are this layer's inputs
        return self._grads_to_list(grads, dwq, dbq)

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray, state: Sequence[np.ndarray]
                       ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The mean softmax cross-entropy over the batch (labels time-major, as the trainer's
        ``y.transpose().reshape(-1)``), the gradients, and the new state."""
        logits, new_state, cache = self.forward(x, state)
        loss, dlogits = softmax_cross_entropy(logits, np.asarray(y).T.reshape(-1))
        return loss, self.backward(cache, dlogits), new_state


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """DJL's ``SoftmaxCrossEntropyLoss`` (sparse labels, from logits) averaged over the rows, and
    its gradient with respect to the logits: (softmax - onehot) / rows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(labels.size)
    loss = float(-log_p[rows, labels].mean())
    d = np.exp(log_p)
    d[rows, labels] -= 1.0
    return loss, d / labels.size


def clip_gradients(grads: Sequence[np.ndarray], theta: float) -> tuple[list[np.ndarray], float]:
    """Rescales all gradients together so that their joint L2 norm is at most ``theta``:
    ``g * theta / max(norm, theta)``; returns the new gradients and the norm before."""
    norm = float(np.sqrt(sum(float((g ** 2).sum()) for g in grads)))
    scale = theta / max(norm, theta)
    return [g * scale for g in grads], norm


def sgd(params: Sequence[np.ndarray], grads: Sequence[np.ndarray], lr: float,
        batch_size: int = 1) -> list[np.ndarray]:
    """Minibatch SGD: ``p - lr * g / batch_size`` (the trainer's loss is already a mean: 1)."""
    return [p - lr * g / batch_size for p, g in zip(params, grads)]


def train_epochs(model: TwinModel, epochs: Iterable[Iterable[tuple[np.ndarray, np.ndarray]]],
                 lr: float, theta: float, use_random_iter: bool) -> list[float]:
    """The twin of ``trainEpochCh8`` over several epochs: a fresh state at each epoch's start
    (and at every batch when ``use_random_iter``), otherwise the state carried (detached) from
    the previous batch; clipping and SGD after every batch. Updates ``model.params`` in place and
    returns the perplexity of each epoch, exp(mean token loss)."""
    perplexities = []
    for batches in epochs:
        loss_sum, tokens = 0.0, 0
        state: Optional[list[np.ndarray]] = None
        for x, y in batches:
            if state is None or use_random_iter:
                state = model.begin_state(x.shape[0])
            loss, grads, state = model.loss_and_grads(x, y, state)
            loss_sum += loss * y.size
            tokens += y.size
            grads, _ = clip_gradients(grads, theta)
            model.params = sgd(model.params, grads, lr)
        perplexities.append(float(np.exp(loss_sum / tokens)))
    return perplexities


def predict(model: TwinModel, vocab: Vocab, prefix: str, num_preds: int) -> str:
    """Greedy generation after ``prefix``, as ``predictCh8``: warm the state up on the prefix,
    then feed back the most likely character ``num_preds`` times."""
    if not prefix:
        raise ValueError("prefix must not be empty")
    outputs = [vocab.idx(prefix[0])]
    state = model.begin_state(1)
    for i in range(1, len(prefix) + num_preds):
        logits, state, _ = model.forward(np.array([[outputs[-1]]]), state)
        outputs.append(vocab.idx(prefix[i]) if i < len(prefix) else int(logits[0].argmax()))
    return "".join(vocab.to_tokens(outputs))
