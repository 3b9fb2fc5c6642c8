"""Cross-language parity (issue 3): every row of ``djl-bridge parity`` as a test against the real
Java classes, plus proofs that the checks are sharp -- a twin with a wrong convention (gate order,
reset placement, shuffle, clipping, SGD) fails them."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from djl_bridge import cli, parity
from djl_bridge.bridge import weights as W
from djl_bridge.reference import JavaRandom, model as ref_model, sampling

from .conftest import run_cli


@pytest.fixture(scope="module")
def ctx(jvm: None, corpus: Path) -> Iterator[parity.Context]:
    context = parity.Context(parity.ParitySetup(data=corpus))
    yield context
    context.close()


@pytest.mark.parametrize("check_id", parity.check_ids())
def test_parity_row(ctx: parity.Context, check_id: str) -> None:
    result = parity.run_check(ctx, check_id)
    assert result.ok, result
    assert math.isfinite(result.max_rel_err) and result.max_rel_err <= result.tol


def test_every_component_has_a_row() -> None:
    ids = parity.check_ids()
    assert len(ids) == len(set(ids))
    for part in ("forward", "gradients", "training", "prediction"):
        for impl in parity.IMPLS:
            for kind in parity.KINDS:
                assert f"{part} {impl} {kind}" in ids
    for name in ("java random", "vocab", "text", "corpus", "batches sequential", "batches random",
                 "clipping above", "clipping below", "carried state scratch",
                 "carried state hybrid", "carried state concise"):
        assert name in ids
    # D2L 9.3: every part of every model with two layers; 9.4: the bidirectional concise ones
    for part in ("forward", "gradients", "training", "prediction"):
        for impl in parity.IMPLS:
            for kind in parity.KINDS:
                assert f"{part} {impl} {kind} 2 layers" in ids
    for impl in parity.IMPLS:
        assert f"carried state {impl} 2 layers" in ids
    for part in ("forward", "gradients", "prediction"):
        for kind in parity.KINDS:
            assert f"{part} concise {kind} 2 layers bidirectional" in ids


# -- the checks fail when a convention is broken ---------------------------------------------

@pytest.mark.parametrize("kind,wrong", [
    ("gru", ("z", "r", "n")),          # update and reset swapped
    ("gru", ("n", "z", "r")),
    ("lstm", ("i", "f", "o", "g")),    # the scratch text's order, not MXNet's
    ("lstm", ("f", "i", "g", "o")),
])
def test_wrong_gate_order_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch,
                                kind: str, wrong: tuple[str, ...]) -> None:
    monkeypatch.setitem(ref_model.MXNET_GATE_ORDER, kind, wrong)
    for part in ("forward", "gradients"):
        result = parity.run_check(ctx, f"{part} concise {kind}")
        assert not result.ok and result.max_rel_err > 1e-2, result


def test_gru_reset_placement(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """MXNet resets after the hidden matmul, the scratch text before: each twin fails the other's
    check (the random biases make b_hn matter)."""
    monkeypatch.setattr(ref_model, "MXNET_RESET_AFTER", False)
    assert not parity.run_check(ctx, "forward concise gru").ok
    monkeypatch.setattr(ref_model, "MXNET_RESET_AFTER", True)
    monkeypatch.setattr(ref_model, "SCRATCH_RESET_AFTER", True)
    assert not parity.run_check(ctx, "forward scratch gru").ok
    assert parity.run_check(ctx, "forward concise gru").ok


def test_gru_candidate_bias_outside_reset_fails(ctx: parity.Context,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The two MXNet biases are not interchangeable for the GRU candidate: moving b_hn out of
    r * (W_hn h + b_hn) into the input side breaks the match."""
    right = ref_model.TwinModel.cells

    def merged(self: ref_model.TwinModel) -> object:
        cells = right(self)
        if self.impl == "concise" and self.kind == "gru":
            for p in (c for row in cells for c in row):
                p.bx["n"], p.bh["n"] = p.bx["n"] + p.bh["n"], 0.0 * p.bh["n"]
        return cells

    monkeypatch.setattr(ref_model.TwinModel, "cells", merged)
    assert not parity.run_check(ctx, "forward concise gru").ok
    assert parity.run_check(ctx, "forward scratch gru").ok


# -- stacked layers (D2L 9.3) and both directions (9.4): a wrong wiring fails -----------------

@pytest.mark.parametrize("impl", parity.IMPLS)
def test_layer_fed_the_previous_step_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch,
                                           impl: str) -> None:
    """Layer 2 reads layer 1's hidden state of the step before (the wiring off by one step):
    every 2-layer forward row fails, the one-layer rows (which have no second layer) pass."""
    def previous_step(outputs: np.ndarray) -> np.ndarray:
        return np.concatenate([np.zeros_like(outputs[:1]), outputs[:-1]])

    monkeypatch.setattr(ref_model, "next_layer_input", previous_step)
    for kind in parity.KINDS:
        result = parity.run_check(ctx, f"forward {impl} {kind} 2 layers")
        assert not result.ok and result.max_rel_err > 1e-2, result
    assert parity.run_check(ctx, f"forward {impl} gru").ok


def test_layer_fed_the_input_instead_of_the_layer_below_fails(
        ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Layer 2 fed the one-hot input instead of layer 1's state: with the layer's weights cut to
    the input's width the wiring is well-formed, and the forward and gradient rows fail."""
    right = ref_model.TwinModel.forward

    def skip_layer_1(self: ref_model.TwinModel, x: np.ndarray, state: list) -> object:
        inputs = np.eye(self.vocab_size)[np.asarray(x).T]

        def from_input(outputs: np.ndarray) -> np.ndarray:
            width = outputs.shape[-1]
            fed = np.zeros_like(outputs)
            fed[..., :min(width, inputs.shape[-1])] = inputs[..., :width]
            return fed

        monkeypatch.setattr(ref_model, "next_layer_input", from_input)
        return right(self, x, state)

    monkeypatch.setattr(ref_model.TwinModel, "forward", skip_layer_1)
    for part in ("forward", "gradients"):
        result = parity.run_check(ctx, f"{part} scratch lstm 2 layers")
        assert not result.ok and result.max_rel_err > 1e-2, result


def test_layers_states_swapped_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    """Layer 1 started from layer 2's state and the other way round: the forward rows of random
    begin states, and the carried state over batches, fail."""
    right = ref_model.TwinModel._split_state

    def swapped(self: ref_model.TwinModel, state: list, batch: int) -> dict:
        split = right(self, state, batch)
        return {(layer, d): split[(self.layers - 1 - layer, d)] for layer, d in split}

    monkeypatch.setattr(ref_model.TwinModel, "_split_state", swapped)
    for name in ("forward scratch lstm 2 layers", "forward concise gru 2 layers",
                 "carried state hybrid 2 layers"):
        assert not parity.run_check(ctx, name).ok, name
    assert parity.run_check(ctx, "forward scratch lstm").ok


def test_djl_names_are_not_what_mxnet_reads_beyond_layer_0(ctx: parity.Context,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """DJL 0.36 joins a stack's parameters layer by layer, MXNet reads all weights, then all
    biases: a twin that takes each array for what its DJL name says fails the 2-layer concise
    rows and passes the one-layer ones, where the two orders agree."""
    monkeypatch.setattr(ref_model, "PACKED_BY_POSITION", False)
    for name in ("forward concise lstm 2 layers", "gradients concise gru 2 layers",
                 "forward concise rnn 2 layers bidirectional"):
        result = parity.run_check(ctx, name)
        assert not result.ok and result.max_rel_err > 1e-2, result
    assert parity.run_check(ctx, "forward concise lstm").ok


def test_backward_direction_run_forwards_fails(ctx: parity.Context,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The bidirectional rows see the direction of the second half of each layer: a twin whose
    backward direction reads the sequence in time order fails them."""
    from djl_bridge.reference import cells

    right = cells.run_layer
    calls: list[int] = []

    def in_order(p: object, xs: np.ndarray, h: np.ndarray, c: object) -> object:
        calls.append(1)
        # the backward direction is called on the reversed inputs: turn them back
        hs, h_last, c_last, caches = right(p, xs[::-1] if len(calls) % 2 == 0 else xs, h, c)
        return (hs[::-1] if len(calls) % 2 == 0 else hs), h_last, c_last, caches

    monkeypatch.setattr(ref_model, "run_layer", in_order)
    result = parity.run_check(ctx, "forward concise lstm 2 layers bidirectional")
    assert not result.ok and result.max_rel_err > 1e-2, result


def test_off_by_one_shuffle_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def sattolo(items: list, rnd: JavaRandom) -> None:  # swap(i, nextInt(i)): a classic slip
        for i in range(len(items) - 1, 0, -1):
            j = rnd.next_int(i)
            items[i], items[j] = items[j], items[i]

    monkeypatch.setattr(sampling, "java_shuffle", sattolo)
    assert not parity.run_check(ctx, "batches random").ok
    assert parity.run_check(ctx, "batches sequential").ok


def test_unstable_vocab_order_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from djl_bridge.reference import text

    def last_first(items: object, key: object) -> list:  # ties in reverse order of appearance
        return sorted(list(items)[::-1], key=key)  # type: ignore[call-overload]

    monkeypatch.setattr(text, "sorted", last_first, raising=False)
    assert not parity.run_check(ctx, "text").ok


def test_wrong_sequential_layout_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def start_of(self: sampling.TwinDataset, index: int) -> int:  # rows and batches swapped
        row, b = divmod(index, self.batch_size)
        return self.offset + row * self.row_length + b * self.num_steps

    monkeypatch.setattr(sampling.TwinDataset, "start_of", start_of)
    assert not parity.run_check(ctx, "batches sequential").ok


def test_clipping_that_always_rescales_fails(ctx: parity.Context,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    right = ref_model.clip_gradients

    def always(grads: list, theta: float) -> tuple[list, float]:
        _, norm = right(grads, theta)
        return [g * theta / norm for g in grads], norm

    monkeypatch.setattr(ref_model, "clip_gradients", always)
    assert parity.run_check(ctx, "clipping above").ok  # the same when the norm exceeds theta
    assert not parity.run_check(ctx, "clipping below").ok


def test_sgd_off_by_one_percent_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    right = ref_model.sgd
    monkeypatch.setattr(ref_model, "sgd", lambda p, g, lr, b=1: right(p, g, lr * 1.01, b))
    result = parity.run_check(ctx, "training scratch gru")
    assert not result.ok and result.max_rel_err > parity.TOL_TRAIN, result


def test_fresh_state_instead_of_carried_fails(ctx: parity.Context,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    right = ref_model.train_epochs
    monkeypatch.setattr(ref_model, "train_epochs",
                        lambda m, e, lr, theta, use_random_iter: right(m, e, lr, theta, True))
    for impl in parity.IMPLS:
        assert not parity.run_check(ctx, f"carried state {impl}").ok


def test_perturbed_weight_fails_forward_and_gradients(ctx: parity.Context,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    right = W.set_weights

    def perturbed(model: object, weights: list) -> None:
        weights = [w.copy() for w in weights]
        weights[0].flat[0] += 1.0
        right(model, weights)

    monkeypatch.setattr(W, "set_weights", perturbed)
    assert not parity.run_check(ctx, "forward scratch rnn").ok
    assert not parity.run_check(ctx, "gradients concise lstm").ok


# -- the pieces the checks stand on ----------------------------------------------------------

def test_relative_error_definition() -> None:
    ref = [np.array([0.0, 2.0, -4.0]), np.zeros(3)]
    got = [np.array([0.001, 2.0, -4.002]), np.zeros(3)]
    abs_err, rel_err = parity.compare(got, ref)
    assert abs_err == pytest.approx(0.002)
    assert rel_err == pytest.approx(0.002 / 4.0)  # scaled by the array's largest |ref|
    _, rel_zero = parity.compare([np.array([1e-9])], [np.array([0.0])])
    assert rel_zero == pytest.approx(1e-9 / parity.REL_FLOOR)
    assert parity.compare([np.array([np.nan])], [np.array([1.0])]) == (math.inf, math.inf)
    with pytest.raises(ValueError):
        parity.compare([np.zeros(2)], [np.zeros(3)])


def test_weights_round_trip(ctx: parity.Context) -> None:
    for impl in parity.IMPLS:
        net = ctx.new_model(impl, "lstm")
        try:
            w = ctx.random_weights(net)
            W.set_weights(net, w)
            back = W.get_weights(net)
            assert [b.shape for b in back] == [a.shape for a in w]
            for a, b in zip(w, back):
                np.testing.assert_array_equal(b, a.astype(np.float32))
            assert all(p.hasGradient() for p in net.getParams())
            with pytest.raises(ValueError, match="shape"):
                W.set_weights(net, [a.T for a in w])
        finally:
            net.close()


# -- the command -----------------------------------------------------------------------------

@pytest.mark.subprocess
@pytest.mark.slow
def test_cli_parity_table_passes(corpus: Path) -> None:
    proc = run_cli(["parity", "--data", str(corpus)], timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["component", "max"]
    assert len(lines) == 1 + len(parity.check_ids()) + 1
    assert "FAIL" not in proc.stdout and lines[-1].startswith(f"{len(parity.check_ids())}/")


def test_cli_parity_json_and_exit_code(ctx: parity.Context, corpus: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    subset = [c for c in parity.CHECKS if c[0] in ("vocab", "forward concise gru")]
    monkeypatch.setattr(parity, "CHECKS", subset)
    assert cli.main(["parity", "--json", "--data", str(corpus)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in out["checks"]] == ["vocab tokens and order", "forward concise gru"]
    for c in out["checks"]:
        assert {"name", "max_abs_err", "max_rel_err", "tol", "ok"} <= set(c)
        assert c["ok"] is True
    monkeypatch.setitem(ref_model.MXNET_GATE_ORDER, "gru", ("z", "r", "n"))
    assert cli.main(["parity", "--json", "--data", str(corpus)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [c["ok"] for c in out["checks"]] == [True, False]


def test_any_long_seed_works(jvm: None, corpus: Path) -> None:
    """Seeds are Java longs: negative and above 2**32 ones set up and pass too."""
    for seed in (-5, 2 ** 33 + 1):
        results = parity.run_checks(parity.ParitySetup(data=corpus, seed=seed),
                                    ["batches random", "forward concise lstm"])
        assert all(r.ok for r in results), results


def test_java_exception_is_a_failed_row(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(c: parity.Context) -> parity.CheckResult:
        net = c.new_model("scratch", "rnn")
        try:
            c.java.predict(net, "", 5)
        finally:
            c.java.close_model(net)
        raise AssertionError("predictCh8 accepted an empty prefix")

    monkeypatch.setattr(parity, "CHECKS", [("broken", broken)])
    result = parity.run_check(ctx, "broken")
    assert not result.ok and "prefix must not be empty" in result.detail
    assert result.to_dict()["max_rel_err"] is None
    assert "FAIL" in parity.format_table([result])
