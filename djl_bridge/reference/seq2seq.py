"""The twin of ``djlbridge.seq2seq`` (D2L 9.6-9.7): the sequence mask, the book's masked
softmax cross-entropy (value and gradient), the GRU encoder and decoder forward over the Java
parameter lists, one Adam step as MXNet's ``adam_update``, and greedy translation.

Parameters come in ``EncoderDecoder.getParameters()`` order: the encoder's embedding (V_src, E)
and its GRU's arrays (per layer i2h weight, h2h weight, i2h bias, h2h bias), then the decoder's
embedding (V_tgt, E), its GRU's arrays and the dense weight (V_tgt, H) and bias. Each layer is a
one-layer GRU of its own (Java ``GruStack``: dropout between layers while training, none here),
so its four arrays are read as MXNet reads a one-layer GRU (:func:`.model.mxnet_layout`, which for
one layer is DJL's order), the gates stacked reset, update, candidate, the reset applied after the
hidden matmul."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .cells import CellParams, step
from .model import MXNET_GATE_ORDER, mxnet_layout

#: The book's loss: per token, masked, averaged over the steps of each sentence. False computes
#: the Java text's: DJL's SoftmaxCrossEntropyLoss mean over every token (padding included), times
#: the mask, averaged over the steps.
PER_TOKEN_MASK = True
#: The GRU layers are one-layer GRUs, each read on its own (True, Java's ``GruStack``); False
#: reads the arrays joined as one DJL stacked GRU of every layer in MXNet's layout (weights of
#: every layer first, then the biases), the model before ``GruStack``.
GRU_ONE_LAYER_BLOCKS = True
#: While translating, d2l 0.17 and the Java text take the context from the decoder's own state of
#: the step before (False); d2l 1.0 keeps the encoder's (True).
KEEP_ENCODER_CONTEXT = False
#: MXNet's Adam scales the learning rate by sqrt(1 - beta2^t) / (1 - beta1^t); False leaves it.
ADAM_BIAS_CORRECTION = True


def sequence_mask(x: np.ndarray, valid_len: np.ndarray, value: float = 0.0) -> np.ndarray:
    """Entries of axis 1 at or past each row's valid length become ``value``."""
    keep = np.arange(x.shape[1])[None, :] < np.asarray(valid_len)[:, None]
    keep = keep.reshape(keep.shape + (1,) * (x.ndim - 2))
    return np.where(keep, x, value)


def masked_softmax_ce(logits: np.ndarray, label: np.ndarray, valid_len: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The loss of each sentence (batch,) and the gradient of their sum with respect to the
    logits (batch, steps, vocab)."""
    b, t, v = logits.shape
    shifted = logits - logits.max(axis=2, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    onehot = np.eye(v)[label]
    token = -(logp * onehot).sum(axis=2)
    d_token = np.exp(logp) - onehot
    mask = sequence_mask(np.ones((b, t)), valid_len)
    if PER_TOKEN_MASK:
        return (token * mask).mean(axis=1), d_token * (mask / t)[:, :, None]
    mean = token.mean()
    share = mask.mean(axis=1)
    return mean * share, d_token * (share.sum() / (b * t))


def _gru_cells(arrays: Sequence[np.ndarray], layers: int, hidden: int, inputs: int
               ) -> list[CellParams]:
    a = [np.asarray(x, dtype=np.float64) for x in arrays]
    if GRU_ONE_LAYER_BLOCKS:
        by_key = {}
        for layer in range(layers):
            width = inputs if layer == 0 else hidden
            for ((_, d, k), shape), x in zip(mxnet_layout(1, 1, 3, hidden, width),
                                             a[4 * layer:4 * layer + 4]):
                if x.shape != shape:
                    raise ValueError(f"GRU layer {layer} {k}: shape {x.shape}, expected {shape}")
                by_key[(layer, d, k)] = x
    else:
        flat, by_key, at = np.concatenate([x.ravel() for x in a]), {}, 0
        for key, shape in mxnet_layout(layers, 1, 3, hidden, inputs):
            size = int(np.prod(shape))
            by_key[key] = flat[at:at + size].reshape(shape)
            at += size
    cells = []
    for layer in range(layers):
        wx, wh, bx, bh = {}, {}, {}, {}
        for k, g in enumerate(MXNET_GATE_ORDER["gru"]):
            rows = slice(k * hidden, (k + 1) * hidden)
            wx[g] = by_key[(layer, 0, "wx")][rows].T
            wh[g] = by_key[(layer, 0, "wh")][rows].T
            bx[g], bh[g] = by_key[(layer, 0, "bx")][rows], by_key[(layer, 0, "bh")][rows]
        cells.append(CellParams("gru", wx, wh, bx, bh, reset_after=True))
    return cells


def gru_stack(arrays: Sequence[np.ndarray], xs: np.ndarray, state: np.ndarray,
              dropout: Optional[Sequence[np.ndarray]] = None) -> tuple[np.ndarray, np.ndarray]:
    """A stacked GRU: xs (steps, batch, inputs), state (layers, batch, hidden) -> the last
    layer's outputs (steps, batch, hidden) and the final state. ``dropout``: while training, one
    factor (steps, batch, hidden) per layer but the last (0 or 1 / (1 - p)) multiplying the
    layer's outputs before the next layer reads them; the final states are not dropped."""
    layers, _, hidden = state.shape
    cells = _gru_cells(arrays, layers, hidden, xs.shape[2])
    out, final = xs, []
    for layer, p in enumerate(cells):
        h, hs = state[layer], []
        for x in out:
            h, _, _ = step(p, x, h, None)
            hs.append(h)
        out = np.stack(hs)
        final.append(h)
        if dropout is not None and layer + 1 < layers:
            out = out * dropout[layer]
    return out, np.stack(final)


@dataclass
class Seq2SeqParams:
    """A model's arrays split by role (see the module docstring)."""

    enc_embedding: np.ndarray
    enc_gru: list[np.ndarray]
    dec_embedding: np.ndarray
    dec_gru: list[np.ndarray]
    dense_w: np.ndarray
    dense_b: np.ndarray

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray], layers: int) -> "Seq2SeqParams":
        """From ``EncoderDecoder.getParameters()`` order."""
        a = [np.asarray(x, dtype=np.float64) for x in arrays]
        n = 4 * layers
        return cls(a[0], a[1:1 + n], a[1 + n], a[2 + n:2 + 2 * n], a[2 + 2 * n], a[3 + 2 * n])

    @property
    def layers(self) -> int:
        return len(self.enc_gru) // 4

    @property
    def hidden(self) -> int:
        return int(self.enc_gru[1].shape[1])


def encode(p: Seq2SeqParams, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The encoder: tokens (batch, steps) -> outputs (steps, batch, H), state (layers, batch, H),
    from a zero state."""
    xs = p.enc_embedding[x].transpose(1, 0, 2)
    return gru_stack(p.enc_gru, xs, np.zeros((p.layers, x.shape[0], p.hidden)))


def decode(p: Seq2SeqParams, x: np.ndarray, state: np.ndarray,
           context: Optional[np.ndarray] = None) -> tuple[np.ndarray, np.ndarray]:
    """The decoder: tokens (batch, steps), state -> logits (batch, steps, V), new state. The
    context is the last layer of ``state`` unless given."""
    xs = p.dec_embedding[x].transpose(1, 0, 2)
    ctx = state[-1] if context is None else context
    xs = np.concatenate([xs, np.broadcast_to(ctx, (xs.shape[0],) + ctx.shape)], axis=2)
    out, new_state = gru_stack(p.dec_gru, xs, state)
    logits = out @ p.dense_w.T + p.dense_b
    return logits.transpose(1, 0, 2), new_state


def predict_greedy(p: Seq2SeqParams, src: Sequence[int], bos: int, eos: int, num_steps: int
                   ) -> list[int]:
    """Greedy translation of one padded source (``num_steps`` indices, ``<eos>`` included)."""
    _, state = encode(p, np.asarray(src)[None, :])
    context = state[-1] if KEEP_ENCODER_CONTEXT else None
    token, out = bos, []
    for _ in range(num_steps):
        logits, state = decode(p, np.array([[token]]), state, context)
        token = int(np.argmax(logits[0, 0]))
        if token == eos:
            break
        out.append(token)
    return out


def adam_step(w: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray, t: int, lr: float,
              beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step ``t`` (from 1) of MXNet's ``adam_update`` as DJL's Adam calls it: returns the new
    weight and moments."""
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    rate = lr * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t) if ADAM_BIAS_CORRECTION else lr
    return w - rate * m / (np.sqrt(v) + eps), m, v
