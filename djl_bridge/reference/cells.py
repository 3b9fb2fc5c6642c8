"""GRU, LSTM and plain RNN (tanh) cells with their hand-written backward (BPTT), over one
canonical parameter form shared by the scratch models of the text and DJL's fused MXNet layers.

Canonical form (row-vector convention, ``x`` of shape (batch, inputs), ``h`` of (batch, hidden)),
for each gate ``g`` of the cell::

    a_g = x @ wx[g] + bx[g] + h @ wh[g] + bh[g]

Gates: GRU ``r, z, n``; LSTM ``i, f, g, o``; RNN ``h``. The cells:

- RNN:  ``h' = tanh(a_h)``
- LSTM: ``i, f, o = sigmoid(a_i, a_f, a_o)``, ``g = tanh(a_g)``, ``c' = f * c + i * g``,
  ``h' = o * tanh(c')``
- GRU:  ``r, z = sigmoid(a_r, a_z)``, ``h' = z * h + (1 - z) * n`` where the candidate ``n`` is

  - reset *before* the matmul (the scratch text, ``reset_after=False``):
    ``n = tanh(x @ wx[n] + bx[n] + (r * h) @ wh[n] + bh[n])``
  - reset *after* the matmul (MXNet / cuDNN, ``reset_after=True``):
    ``n = tanh(x @ wx[n] + bx[n] + r * (h @ wh[n] + bh[n]))``

The scratch models have one bias per gate (put in ``bx``, with ``bh`` zero); MXNet has two.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .kinds import KINDS

#: Each kind's canonical gates (djl_bridge.kinds), in MXNet's stacking order.
GATES = {k.name: k.mxnet_gates for k in KINDS}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-a))


@dataclass
class CellParams:
    """The canonical parameters of one recurrent layer (see the module docstring)."""

    kind: str
    wx: dict[str, np.ndarray]
    wh: dict[str, np.ndarray]
    bx: dict[str, np.ndarray]
    bh: dict[str, np.ndarray]
    reset_after: bool = False

    def zeros_like(self) -> "CellParams":
        """Zero arrays of the same shapes (a gradient accumulator)."""
        z = {name: {g: np.zeros_like(a) for g, a in d.items()}
             for name, d in (("wx", self.wx), ("wh", self.wh), ("bx", self.bx), ("bh", self.bh))}
        return CellParams(self.kind, z["wx"], z["wh"], z["bx"], z["bh"], self.reset_after)


@dataclass
class StepCache:
    """What one step keeps for its backward."""

    x: np.ndarray
    h: np.ndarray
    c: Optional[np.ndarray]
    gates: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def _pre(p: CellParams, g: str, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    return x @ p.wx[g] + p.bx[g] + h @ p.wh[g] + p.bh[g]


def step(p: CellParams, x: np.ndarray, h: np.ndarray,
         c: Optional[np.ndarray]) -> tuple[np.ndarray, Optional[np.ndarray], StepCache]:
    """One time step: returns the new (h, c) and the cache for :func:`step_backward`."""
    cache = StepCache(x=x, h=h, c=c)
    if p.kind == "rnn":
        h_new = np.tanh(_pre(p, "h", x, h))
        cache.gates["h"] = h_new
        return h_new, None, cache
    if p.kind == "lstm":
        i = sigmoid(_pre(p, "i", x, h))
        f = sigmoid(_pre(p, "f", x, h))
        g = np.tanh(_pre(p, "g", x, h))
        o = sigmoid(_pre(p, "o", x, h))
        assert c is not None
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        cache.gates.update(i=i, f=f, g=g, o=o)
        cache.extra["tc"] = tc
        return o * tc, c_new, cache
    if p.kind == "gru":
        r = sigmoid(_pre(p, "r", x, h))
        z = sigmoid(_pre(p, "z", x, h))
        if p.reset_after:
            hn = h @ p.wh["n"] + p.bh["n"]
            n = np.tanh(x @ p.wx["n"] + p.bx["n"] + r * hn)
            cache.extra["hn"] = hn
        else:
            n = np.tanh(x @ p.wx["n"] + p.bx["n"] + (r * h) @ p.wh["n"] + p.bh["n"])
        cache.gates.update(r=r, z=z, n=n)
        return z * h + (1.0 - z) * n, None, cache
    raise ValueError(f"unknown cell kind {p.kind!r}")


def _accumulate(p: CellParams, grads: CellParams, g: str, da: np.ndarray, x: np.ndarray,
                h_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adds the gradients of a_g = x wx + bx + h_in wh + bh for dL/da_g = da; returns dL/dh_in and
    dL/dx."""
    grads.wx[g] += x.T @ da
    grads.bx[g] += da.sum(axis=0)
    grads.wh[g] += h_in.T @ da
    grads.bh[g] += da.sum(axis=0)
    return da @ p.wh[g].T, da @ p.wx[g].T


def step_backward(p: CellParams, grads: CellParams, cache: StepCache, dh_new: np.ndarray,
                  dc_new: Optional[np.ndarray]
                  ) -> tuple[np.ndarray, Optional[np.ndarray], np.ndarray]:
    """Backward through one step: adds the parameter gradients to ``grads`` and returns dL/dh and
    dL/dc of the step's input state and dL/dx of its input, given dL/dh' and dL/dc' of its output
    state."""
    x, h = cache.x, cache.h
    if p.kind == "rnn":
        h_new = cache.gates["h"]
        da = dh_new * (1.0 - h_new ** 2)
        dh, dx = _accumulate(p, grads, "h", da, x, h)
        return dh, None, dx
    if p.kind == "lstm":
        i, f, g, o = (cache.gates[k] for k in "ifgo")
        tc = cache.extra["tc"]
        assert cache.c is not None and dc_new is not None
        dc = dc_new + dh_new * o * (1.0 - tc ** 2)
        da = {
            "i": dc * g * i * (1.0 - i),
            "f": dc * cache.c * f * (1.0 - f),
            "g": dc * i * (1.0 - g ** 2),
            "o": dh_new * tc * o * (1.0 - o),
        }
        parts = [_accumulate(p, grads, k, da[k], x, h) for k in "ifgo"]
        return sum(d for d, _ in parts), dc * f, sum(d for _, d in parts)
    if p.kind == "gru":
        r, z, n = (cache.gates[k] for k in "rzn")
        dh = dh_new * z
        dz = dh_new * (h - n)
        dan = dh_new * (1.0 - z) * (1.0 - n ** 2)  # dL/d(pre-tanh of n)
        grads.wx["n"] += x.T @ dan
        grads.bx["n"] += dan.sum(axis=0)
        dx = dan @ p.wx["n"].T
        if p.reset_after:
            hn = cache.extra["hn"]
            dr = dan * hn
            dhn = dan * r
            grads.wh["n"] += h.T @ dhn
            grads.bh["n"] += dhn.sum(axis=0)
            dh = dh + dhn @ p.wh["n"].T
        else:
            grads.wh["n"] += (r * h).T @ dan
            grads.bh["n"] += dan.sum(axis=0)
            drh = dan @ p.wh["n"].T
            dr = drh * h
            dh = dh + drh * r
        for gate, da_gate in (("r", dr * r * (1.0 - r)), ("z", dz * z * (1.0 - z))):
            dh_gate, dx_gate = _accumulate(p, grads, gate, da_gate, x, h)
            dh, dx = dh + dh_gate, dx + dx_gate
        return dh, None, dx
    raise ValueError(f"unknown cell kind {p.kind!r}")


def run_layer(p: CellParams, xs: np.ndarray, h: np.ndarray, c: Optional[np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray, Optional[np.ndarray], list[StepCache]]:
    """Runs the layer over time-major inputs ``xs`` (steps, batch, inputs); returns the hidden
    states of every step (steps, batch, hidden), the final (h, c) and the caches."""
    outs, caches = [], []
    for x in xs:
        h, c, cache = step(p, x, h, c)
        outs.append(h)
        caches.append(cache)
    return np.stack(outs), h, c, caches


def backward_layer(p: CellParams, caches: list[StepCache], douts: np.ndarray
                   ) -> tuple[CellParams, np.ndarray]:
    """BPTT: the parameter gradients and dL/d(input of every step) (steps, batch, inputs), given
    dL/d(hidden state of every step); the begin state is a constant (its gradient is dropped, as
    the trainer detaches it)."""
    grads = p.zeros_like()
    dh = np.zeros_like(douts[0])
    dc = np.zeros_like(douts[0]) if p.kind == "lstm" else None
    dxs = []
    for t in range(len(caches) - 1, -1, -1):
        dh, dc, dx = step_backward(p, grads, caches[t], dh + douts[t], dc)
        dxs.append(dx)
    return grads, np.stack(dxs[::-1])
