"""End to end through JPype: the JVM starts, the API trains for real, perplexity falls."""
from __future__ import annotations

import json

import numpy as np
import pytest

import djl_bridge
from djl_bridge import TrainConfig

from .conftest import run_cli

SMALL = dict(hidden=32, batch_size=8, num_steps=10, max_tokens=2000)


def test_jvm_starts_with_mxnet(jvm: None) -> None:
    import jpype

    engine = jpype.JClass("ai.djl.engine.Engine").getInstance()
    assert str(engine.getEngineName()) == "MXNet"
    assert jpype.JClass("java.lang.System").getProperty("ai.djl.offline") == "true"
    djl_bridge.start()  # a second start in the same process is a no-op


@pytest.mark.slow
@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_short_training_perplexity_falls(jvm: None, corpus, impl: str) -> None:
    seen: list[tuple[int, float]] = []
    cfg = TrainConfig(impl=impl, epochs=8, data=corpus, **SMALL)
    result = djl_bridge.train(cfg, on_epoch=lambda e, p, s: seen.append((e, p)))
    ppl = result.perplexity
    assert isinstance(ppl, np.ndarray) and ppl.shape == (8,)
    assert np.all(np.isfinite(ppl))
    assert ppl[-1] < ppl[0] * 0.9, ppl
    assert ppl[0] < 30  # starts below the vocabulary size (28): the loss is a real softmax CE
    assert [e for e, _ in seen] == list(range(1, 9))
    assert result.tokens_per_sec > 0 and result.device == "cpu()"
    assert set(result.predictions) == {"time traveller", "traveller"}
    assert result.predictions["time traveller"].startswith("time traveller")
    assert len(result.predictions["traveller"]) == len("traveller") + 50


def test_seeded_runs_repeat(jvm: None, corpus) -> None:
    cfg = TrainConfig(model="lstm", epochs=3, data=corpus, seed=7, random_iter=True, **SMALL)
    a = djl_bridge.train(cfg).perplexity
    b = djl_bridge.train(cfg).perplexity
    c = djl_bridge.train(TrainConfig(**{**cfg.__dict__, "seed": 8})).perplexity
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_listener_can_stop(jvm: None, corpus) -> None:
    cfg = TrainConfig(model="rnn", epochs=50, data=corpus, **SMALL)
    result = djl_bridge.train(cfg, on_epoch=lambda e, p, s: e < 2)
    assert result.perplexity.shape == (2,)


@pytest.mark.subprocess
def test_cli_json_contract(corpus) -> None:
    proc = run_cli(["train", "--model", "gru", "--impl", "concise", "--epochs", "2", "--hidden", "16",
                    "--batch-size", "4", "--num-steps", "5", "--max-tokens", "500", "--lr", "0.5",
                    "--data", str(corpus), "--seed", "3", "--device", "cpu", "--json"])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert len(out["perplexity"]) == 2 and all(p > 1 for p in out["perplexity"])
    assert out["tokens_per_sec"] > 0
    assert out["device"] == "cpu()"
    assert set(out["predictions"]) == {"time traveller", "traveller"}
    assert out["config"]["impl"] == "concise" and out["config"]["lr"] == 0.5


@pytest.mark.subprocess
def test_cli_rejects_bad_values_before_jvm(corpus) -> None:
    proc = run_cli(["train", "--epochs", "0", "--data", str(corpus)])
    assert proc.returncode == 1
    assert "--epochs must be a whole number > 0" in proc.stderr
    proc = run_cli(["train", "--lr", "nan", "--data", str(corpus)])
    assert proc.returncode == 1 and "--lr must be a finite number > 0" in proc.stderr


@pytest.mark.subprocess
def test_example_reads_like_the_java_text(corpus) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "gru_like_the_text.py"), "--data", str(corpus),
         "--epochs", "2", "--hidden", "16", "--max-tokens", "1500", "--batch-size", "8",
         "--num-steps", "10"],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for impl in ("scratch", "concise"):
        line = next(x for x in lines if x.startswith(f"{impl}: perplexity: "))
        ppl = float(line.split("perplexity: ")[1].split(",")[0])
        assert 1.0 < ppl < 28.0, line
    assert sum(x.startswith("time traveller") for x in lines) == 2


@pytest.mark.subprocess
@pytest.mark.slow
def test_hybridized_and_op_by_op_scratch_train_alike(corpus) -> None:
    """The default scratch model runs as one cached MXNet graph; --no-hybridize runs the text's
    op-by-op cells. Same seed, same numbers (the parity rows compare them at 1e-5)."""
    args = ["train", "--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens",
            "2000", "--epochs", "3", "--data", str(corpus), "--json"]
    hybrid, ops = (json.loads(run_cli(args + extra).stdout) for extra in ([], ["--no-hybridize"]))
    assert hybrid["config"]["hybridize"] is True and ops["config"]["hybridize"] is False
    np.testing.assert_allclose(hybrid["perplexity"], ops["perplexity"], rtol=1e-5)
    assert hybrid["predictions"] == ops["predictions"]
