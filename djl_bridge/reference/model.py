"""The scratch and concise language models over the parameter lists of the Java side, plus
softmax cross-entropy, gradient clipping, the SGD step, the chapter 8 trainer and greedy
prediction -- the twin of ``RNNModelScratch``, ``RNNModel`` and ``djlbridge.TimeMachine``.

Parameter lists are in ``LanguageModel.getParams()`` order:

- scratch (the text's order, one (W_x (V, H), W_h (H, H), b (H)) triple per gate, then
  W_hq (H, V), b_q (V)): GRU ``z, r, h``; LSTM ``i, f, o, c``; RNN ``h``.
- concise (DJL's ``getParameters()`` order): ``rnn_l_0_i2h_WEIGHT`` (G*H, V),
  ``rnn_l_0_h2h_WEIGHT`` (G*H, H), ``rnn_l_0_i2h_BIAS`` (G*H), ``rnn_l_0_h2h_BIAS`` (G*H),
  ``linear_weight`` (V, H), ``linear_bias`` (V); the G gate blocks are stacked in
  :data:`MXNET_GATE_ORDER` and the GRU resets after the matmul.
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


@dataclass
class Cache:
    """What a forward keeps for the backward."""

    steps: list[StepCache]
    hs: np.ndarray
    state_shape: tuple[int, ...]


@dataclass
class TwinModel:
    """A scratch or concise GRU/LSTM/RNN language model in float64.

    ``params`` follow the Java ``getParams()`` order (see the module docstring); ``gate_order``
    and ``reset_after`` default to MXNet's convention for concise models and exist so that a test
    can prove that another convention does *not* match DJL.
    """

    impl: str
    kind: str
    params: list[np.ndarray]
    gate_order: Optional[tuple[str, ...]] = None
    reset_after: Optional[bool] = None

    def __post_init__(self) -> None:
        if self.impl not in ("scratch", "concise") or self.kind not in GATES:
            raise ValueError(f"unknown model {self.impl} {self.kind}")
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

    # -- layout ------------------------------------------------------------------------------
    def cell(self) -> CellParams:
        """The recurrent layer's parameters in canonical form."""
        assert self.gate_order is not None
        wx, wh, bx, bh = {}, {}, {}, {}
        h = self.num_hiddens
        if self.impl == "scratch":
            for k, g in enumerate(self.gate_order):
                wx[g], wh[g], bx[g] = self.params[3 * k:3 * k + 3]
                bh[g] = np.zeros(h)
        else:
            w_i2h, w_h2h, b_i2h, b_h2h = self.params[:4]
            for k, g in enumerate(self.gate_order):
                rows = slice(k * h, (k + 1) * h)
                wx[g], wh[g] = w_i2h[rows].T, w_h2h[rows].T
                bx[g], bh[g] = b_i2h[rows], b_h2h[rows]
        return CellParams(self.kind, wx, wh, bx, bh, bool(self.reset_after))

    def head(self) -> tuple[np.ndarray, np.ndarray]:
        """The output layer as (W_hq (H, V), b_q)."""
        w, b = self.params[-2], self.params[-1]
        return (w, b) if self.impl == "scratch" else (w.T, b)

    def _grads_to_list(self, g: CellParams, dwq: np.ndarray, dbq: np.ndarray) -> list[np.ndarray]:
        assert self.gate_order is not None
        out: list[np.ndarray] = []
        if self.impl == "scratch":
            for gate in self.gate_order:
                out += [g.wx[gate], g.wh[gate], g.bx[gate]]
            return out + [dwq, dbq]
        order = self.gate_order
        out += [np.concatenate([g.wx[k].T for k in order]), np.concatenate([g.wh[k].T for k in order]),
                np.concatenate([g.bx[k] for k in order]), np.concatenate([g.bh[k] for k in order])]
        return out + [dwq.T, dbq]

    # -- forward / backward ------------------------------------------------------------------
    def begin_state(self, batch_size: int) -> list[np.ndarray]:
        """Zero states: (H) or (H, C), of shape (batch, hidden) -- (1, batch, hidden) concise."""
        shape = (batch_size, self.num_hiddens) if self.impl == "scratch" else (1, batch_size,
                                                                              self.num_hiddens)
        return [np.zeros(shape) for _ in range(kinds.kind(self.kind).states)]

    def forward(self, x: np.ndarray, state: Sequence[np.ndarray]
                ) -> tuple[np.ndarray, list[np.ndarray], Cache]:
        """Logits (steps * batch, vocab), time-major, for token indices ``x`` (batch, steps); the
        new state; the cache for :meth:`backward`."""
        shape = state[0].shape
        b = x.shape[0]
        onehot = np.eye(self.vocab_size)[np.asarray(x).T]  # (steps, batch, vocab)
        h0 = np.asarray(state[0], dtype=np.float64).reshape(b, -1)
        c0 = np.asarray(state[1], dtype=np.float64).reshape(b, -1) \
            if kinds.kind(self.kind).states == 2 else None
        hs, h, c, steps = run_layer(self.cell(), onehot, h0, c0)
        wq, bq = self.head()
        logits = hs.reshape(-1, self.num_hiddens) @ wq + bq
        new_state = [h.reshape(shape)] + ([c.reshape(shape)] if c is not None else [])
        return logits, new_state, Cache(steps, hs, shape)

    def backward(self, cache: Cache, dlogits: np.ndarray) -> list[np.ndarray]:
        """The gradients of every parameter (``params`` order) given dL/dlogits."""
        wq, _ = self.head()
        flat = cache.hs.reshape(-1, self.num_hiddens)
        dwq = flat.T @ dlogits
        dbq = dlogits.sum(axis=0)
        dhs = (dlogits @ wq.T).reshape(cache.hs.shape)
        return self._grads_to_list(backward_layer(self.cell(), cache.steps, dhs), dwq, dbq)

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
