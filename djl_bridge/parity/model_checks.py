"""Parity of the models and the trainer: forward, gradients, clipping, training through
``TimeMachine.trainCh8`` (the TrainingSession loop), the carried state, prediction."""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from ..bridge import weights as W
from ..reference import TwinDataset, TwinModel
from ..reference import model as ref_model
from .core import (TOL_FORWARD, twin_impl, TOL_GRAD, TOL_TRAIN, CheckResult, Context, ParitySetup,
                   _count_mismatches, _exact, _numeric, variant)


def _random_state(ctx: Context, twin: TwinModel, batch_size: int) -> list[np.ndarray]:
    return [ctx.rng.normal(0.0, 0.5, s.shape) for s in twin.begin_state(batch_size)]


def _inputs(ctx: Context, batch_size: int, num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    v = len(ctx.vocab)
    return (ctx.rng.integers(0, v, (batch_size, num_steps)),
            ctx.rng.integers(0, v, (batch_size, num_steps)))


@dataclass
class _Case:
    """One random setup: a Java model and its twin with the same weights, inputs, labels and a
    random begin state (drawn in this order from the context's generator)."""

    net: Any
    twin: TwinModel
    x: np.ndarray
    y: np.ndarray
    state: list[np.ndarray]


def _twin(impl: str, kind: str, weights: Sequence[np.ndarray], layers: int,
          bidirectional: bool) -> TwinModel:
    return TwinModel(twin_impl(impl), kind, list(weights), layers=layers,
                     bidirectional=bidirectional)


@contextlib.contextmanager
def _random_case(ctx: Context, impl: str, kind: str, layers: int = 1,
                 bidirectional: bool = False) -> Iterator[_Case]:
    s = ctx.setup
    net = ctx.new_model(impl, kind, layers, bidirectional)
    try:
        w = ctx.random_weights(net)
        W.set_weights(net, w)
        twin = _twin(impl, kind, w, layers, bidirectional)
        x, y = _inputs(ctx, s.batch_size, s.num_steps)
        yield _Case(net, twin, x, y, _random_state(ctx, twin, s.batch_size))
    finally:
        ctx.java.close_model(net)


def _forward(ctx: Context, impl: str, kind: str, layers: int = 1,
             bidirectional: bool = False) -> CheckResult:
    with _random_case(ctx, impl, kind, layers, bidirectional) as c:
        net, x, state = c.net, c.x, c.state
        java_logits, java_state = ctx.java.forward(net, x, state)
        java = [java_logits, *java_state]
        logits, new_state, cache = c.twin.forward(x, state)
        ref = [logits, *new_state]
        what = "logits and final state"
        if impl == "concise":
            # The DJL layer alone too: its outputs (steps, batch, hidden) for one-hot inputs.
            onehot = np.eye(len(ctx.vocab))[x.T]
            java.append(ctx.java.layer_forward(net, onehot, state))
            ref.append(cache.hs)
            what += ", layer outputs"
        return _numeric(f"forward {impl} {kind}{variant(layers, bidirectional)}", java, ref,
                        TOL_FORWARD, what)


def _gradients(ctx: Context, impl: str, kind: str, layers: int = 1,
               bidirectional: bool = False) -> CheckResult:
    with _random_case(ctx, impl, kind, layers, bidirectional) as c:
        java_loss = ctx.java.backward(c.net, c.x, c.y, c.state)
        loss, grads, _ = c.twin.loss_and_grads(c.x, c.y, c.state)
        java = [np.array([java_loss])] + W.get_gradients(c.net)
        return _numeric(f"gradients {impl} {kind}{variant(layers, bidirectional)}", java,
                        [np.array([loss]), *grads], TOL_GRAD,
                        f"loss and {len(grads)} parameters, {ctx.setup.num_steps} steps")


def _clipping(ctx: Context, above: bool) -> CheckResult:
    """``TimeMachine.gradClipping`` after one backward, with theta below or above the norm."""
    with _random_case(ctx, "scratch", "gru") as c:
        _, grads, _ = c.twin.loss_and_grads(c.x, c.y, c.state)
        _, norm = ref_model.clip_gradients(grads, 1.0)
        theta = norm / 2 if above else norm * 2
        clipped, _ = ref_model.clip_gradients(grads, theta)
        ctx.java.backward(c.net, c.x, c.y, c.state)
        ctx.java.clip_gradients(c.net, theta)
        java = W.get_gradients(c.net)
        name = "clipping norm > theta" if above else "clipping norm < theta"
        return _numeric(name, java, clipped, TOL_GRAD, f"norm {norm:.4g}, theta {theta:.4g}")


def check_clipping_above(ctx: Context) -> CheckResult:
    return _clipping(ctx, True)


def check_clipping_below(ctx: Context) -> CheckResult:
    return _clipping(ctx, False)


def _training(ctx: Context, impl: str, kind: str, layers: int = 1,
              bidirectional: bool = False) -> CheckResult:
    """``TimeMachine.trainCh8`` for ``train_steps`` epochs of exactly one batch each, so that the
    perplexity its listener reports per epoch is the loss of one step: exp(loss)."""
    s = ctx.setup
    name = f"train {s.train_steps} steps {impl} {kind}{variant(layers, bidirectional)}"
    b, t = s.train_batch_size, s.train_num_steps
    # scratch and hybrid: random partition (a shuffle per epoch); concise: sequential
    random_iter = impl != "concise"
    # Exactly one batch per epoch in either partition, whatever offset in [0, t) an epoch draws.
    max_tokens = t + b * t
    java_ds = ctx.dataset(b, t, random_iter, max_tokens)
    twin_ds = TwinDataset(ctx.corpus[:max_tokens], b, t, random_iter, s.seed)
    if ctx.java.layout(java_ds)[1] != 1 or twin_ds.num_batches != 1:
        return CheckResult(name, math.inf, math.inf, TOL_TRAIN, False,
                           "setup: not one batch per epoch")
    net = ctx.new_model(impl, kind, layers, bidirectional)
    try:
        w = ctx.random_weights(net, scale=0.1)
        W.set_weights(net, w)
        perplexities = ctx.java.train_ch8(net, java_ds, s.lr, s.clip, s.train_steps, random_iter,
                                          listen=True)
        twin = _twin(impl, kind, w, layers, bidirectional)
        epochs = [list(twin_ds.next_epoch()) for _ in range(s.train_steps)]
        clipped = _count_clipped(_twin(impl, kind, w, layers, bidirectional), epochs, s)
        twin_ppl = ref_model.train_epochs(twin, epochs, s.lr, s.clip, random_iter)
        java = [np.log(perplexities), *W.get_weights(net)]
        return _numeric(name, java, [np.log(twin_ppl), *twin.params], TOL_TRAIN,
                        f"loss per step and final weights, "
                        f"{'random' if random_iter else 'sequential'}, {clipped} steps clipped")
    finally:
        ctx.java.close_model(net)


def _carried_state(ctx: Context, impl: str, layers: int = 1) -> CheckResult:
    """``trainCh8`` in the sequential partition over several batches per epoch, so that the state
    is carried (detached) from batch to batch: the perplexity of each epoch and the final weights.
    An LSTM, so that both H and C are carried (of every layer)."""
    s = ctx.setup
    b, t, epochs, max_tokens = s.train_batch_size, s.train_num_steps, 3, 200
    java_ds = ctx.dataset(b, t, False, max_tokens)
    twin_ds = TwinDataset(ctx.corpus[:max_tokens], b, t, False, s.seed)
    net = ctx.new_model(impl, "lstm", layers)
    try:
        w = ctx.random_weights(net, scale=0.1)
        W.set_weights(net, w)
        perplexities = ctx.java.train_ch8(net, java_ds, s.lr, s.clip, epochs, False, listen=False)
        java = [np.log(np.array(perplexities)), *W.get_weights(net)]
        twin = _twin(impl, "lstm", w, layers, False)
        twin_epochs = [list(twin_ds.next_epoch()) for _ in range(epochs)]  # an offset each
        twin_ppl = ref_model.train_epochs(twin, twin_epochs, s.lr, s.clip, False)
        return _numeric(f"train carried state {impl} lstm{variant(layers)}", java,
                        [np.log(twin_ppl), *twin.params],
                        TOL_TRAIN, f"log perplexity per epoch and final weights, {epochs} epochs "
                        f"of {'/'.join(str(len(e)) for e in twin_epochs)} batches")
    finally:
        ctx.java.close_model(net)


def check_carried_state_scratch(ctx: Context) -> CheckResult:
    return _carried_state(ctx, "scratch")


def check_carried_state_hybrid(ctx: Context) -> CheckResult:
    return _carried_state(ctx, "hybrid")


def check_carried_state_concise(ctx: Context) -> CheckResult:
    return _carried_state(ctx, "concise")


def _count_clipped(model: TwinModel, epochs: list[list[tuple[np.ndarray, np.ndarray]]],
                   s: ParitySetup) -> int:
    """How many of the twin's steps clip (so the report shows that clipping was exercised)."""
    clipped = 0
    for batches in epochs:
        for x, y in batches:
            _, grads, _ = model.loss_and_grads(x, y, model.begin_state(x.shape[0]))
            grads, norm = ref_model.clip_gradients(grads, s.clip)
            clipped += norm > s.clip
            model.params = ref_model.sgd(model.params, grads, s.lr)
    return clipped


def _prediction(ctx: Context, impl: str, kind: str, layers: int = 1,
                bidirectional: bool = False) -> CheckResult:
    net = ctx.new_model(impl, kind, layers, bidirectional)
    try:
        w = ctx.random_weights(net, scale=0.5)
        W.set_weights(net, w)
        twin = _twin(impl, kind, w, layers, bidirectional)
        mismatches, texts = 0, []
        for prefix in ctx.java.prefixes():
            java = ctx.java.predict(net, prefix, 50)
            ours = ref_model.predict(twin, ctx.vocab, prefix, 50)
            mismatches += _count_mismatches(list(java), list(ours))
            texts.append(java)
        return _exact(f"predict {impl} {kind}{variant(layers, bidirectional)}", mismatches,
                      " | ".join(texts))
    finally:
        ctx.java.close_model(net)



def _initialization(ctx: Context, impl: str, kind: str, layers: int = 1,
                    bidirectional: bool = False) -> CheckResult:
    """The text's initialization (weights N(0, 0.01), biases zero) by the role MXNet's operator
    gives each value of the joined parameter vector: all weights first, then all biases
    (``reference.model.mxnet_layout``); DJL 0.36's names say otherwise from layer 1 on. Counts
    the weights that start at zero and the biases that do not, the output layer's included."""
    net = ctx.new_model(impl, kind, layers, bidirectional)
    try:
        arrays = W.get_weights(net)
        rnn, (dense_w, dense_b) = arrays[:-2], arrays[-2:]
        flat = np.concatenate([a.reshape(-1) for a in rnn])
        n_weights = sum(a.size for a in rnn if a.ndim > 1)
        zero_weights = int(np.count_nonzero(flat[:n_weights] == 0)) + \
            int(np.count_nonzero(dense_w == 0))
        live_biases = int(np.count_nonzero(flat[n_weights:])) + int(np.count_nonzero(dense_b))
        return _exact(f"initialization {impl} {kind}{variant(layers, bidirectional)}",
                      zero_weights + live_biases,
                      f"{zero_weights} of {n_weights + dense_w.size} weights zero, "
                      f"{live_biases} of {flat.size - n_weights + dense_b.size} biases not")
    finally:
        ctx.java.close_model(net)
