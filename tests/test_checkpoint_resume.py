"""Checkpoints, resume, Ctrl-C, divergence and predict, through the real CLI (fresh JVMs); a
resume never ignores a flag. (The resume rule as a library function: test_resume.)"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import math
from pathlib import Path

import numpy as np
import pytest

from djl_bridge import checkpoint
from djl_bridge.config import TrainConfig

from .conftest import ROOT, TINY, cli_json, fake_params, one_error, run_cli



def _train_json(args: list[str]) -> dict:
    proc = run_cli(["train", *args, "--json"])
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("impl, model", [("scratch", "lstm"), ("concise", "gru")])
def test_resumed_run_matches_uninterrupted(corpus: Path, tmp_path: Path, impl: str,
                                           model: str) -> None:
    common = ["--impl", impl, "--model", model, *TINY, "--data", str(corpus), "--random-iter",
              "--seed", "11"]
    full = _train_json([*common, "--epochs", "4"])
    ckdir = tmp_path / "ck"
    first = _train_json([*common, "--epochs", "2", "--checkpoint-dir", str(ckdir)])
    assert first["perplexity"] == full["perplexity"][:2]
    resumed = _train_json(["--resume", str(ckdir), "--epochs", "4"])
    assert resumed["resumed_from_epoch"] == 2 and resumed["epochs_done"] == 4
    assert resumed["perplexity"] == full["perplexity"]  # bit for bit
    assert resumed["predictions"] == full["predictions"]
    assert (ckdir / "LATEST").read_text().strip() == "epoch-000004"


@pytest.mark.subprocess
def test_checkpoint_layout_and_formats(corpus: Path, tmp_path: Path) -> None:
    ckdir = tmp_path / "ck"
    _train_json(["--impl", "scratch", "--model", "gru", *TINY, "--data", str(corpus),
                 "--epochs", "5", "--save-every", "1", "--checkpoint-dir", str(ckdir)])
    names = sorted(p.name for p in ckdir.iterdir())
    assert names == ["LATEST", "epoch-000004", "epoch-000005"]  # the two newest are kept
    latest = ckdir / "epoch-000005"
    meta = json.loads((latest / "checkpoint.json").read_text())
    assert meta["format"] == "djl-bridge-checkpoint" and meta["epochs_done"] == 5
    assert len(meta["perplexity"]) == 5 and meta["params_format"] == "npz"
    vocab = json.loads((latest / "vocab.json").read_text())
    assert vocab[0] == "<unk>" and len(vocab) == 28
    with np.load(latest / "params.npz", allow_pickle=False) as npz:  # no pickle needed
        shapes = [npz[k].shape for k in npz.files]
    assert len(shapes) == 11 and (28, 16) in shapes and (16, 28) in shapes  # GRU: 3x3 + W_hq, b_q
    ck = checkpoint.read_checkpoint(ckdir)
    assert ck.epochs_done == 5 and ck.config.impl == "scratch" and ck.config.hidden == 16


def test_crash_while_writing_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    cfg = TrainConfig(impl="concise", data=tmp_path / "t.txt")
    first = fake_params(cfg, ["<unk>", "a"])
    checkpoint.write_checkpoint(tmp_path, cfg, 1, [9.0], [100.0], ["<unk>", "a"],
                                lambda f: f.write_bytes(first))

    def dies(f: Path) -> None:
        f.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        checkpoint.write_checkpoint(tmp_path, cfg, 2, [9.0, 8.0], [1.0, 1.0], ["<unk>", "a"], dies)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LATEST", "epoch-000001"]
    ck = checkpoint.read_checkpoint(tmp_path)
    assert ck.epochs_done == 1 and ck.params_file.read_bytes() == first == ck.params


@pytest.mark.subprocess
def test_predict_from_checkpoint(corpus: Path, tmp_path: Path) -> None:
    ckdir = tmp_path / "ck"
    trained = _train_json(["--impl", "concise", "--model", "lstm", *TINY, "--data", str(corpus),
                           "--epochs", "3", "--checkpoint-dir", str(ckdir)])
    proc = run_cli(["predict", "--checkpoint", str(ckdir), "--prefix", "time traveller",
                    "--num-preds", "50"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip("\n") == trained["predictions"]["time traveller"]
    bad = run_cli(["predict", "--checkpoint", str(ckdir), "--prefix", "Time!"])
    assert bad.returncode == 1 and "--prefix has characters the model never saw" in bad.stderr
    params = ckdir / "epoch-000003" / "model.params"
    params.write_bytes(params.read_bytes()[:100])
    broken = run_cli(["predict", "--checkpoint", str(ckdir)])
    assert broken.returncode == 1
    assert f"{params} is damaged (100 bytes, " in broken.stderr  # by its size, before Java
    assert "Traceback" not in broken.stderr and len(broken.stderr.strip().splitlines()) == 1


@pytest.mark.subprocess
def test_divergence_stops_and_keeps_last_good(corpus: Path, tmp_path: Path) -> None:
    ckdir = tmp_path / "ck"
    proc = run_cli(["train", "--impl", "scratch", "--model", "rnn", "--hidden", "16",
                    "--batch-size", "4", "--num-steps", "5", "--max-tokens", "500", "--lr", "400",
                    "--epochs", "8", "--data", str(corpus), "--checkpoint-dir", str(ckdir),
                    "--save-every", "100"])
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith("djl-bridge: error: training diverged at epoch 2: the perplexity is ")
    assert "lower the learning rate (--lr 400.0 is too large)" in err
    assert f"The last good checkpoint (epoch 1) is in {ckdir / 'epoch-000001'}" in err
    ck = checkpoint.read_checkpoint(ckdir)
    assert ck.epochs_done == 1 and np.isfinite(ck.perplexity).all()


@pytest.mark.subprocess
@pytest.mark.slow
def test_ctrl_c_saves_exits_130_and_resumes_exactly(corpus: Path, tmp_path: Path) -> None:
    ckdir = tmp_path / "ck"
    common = ["--impl", "scratch", "--model", "gru", *TINY, "--data", str(corpus), "--seed", "5",
              "--random-iter"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "djl_bridge.cli", "train", *common, "--epochs", "100000",
         "--save-every", "100000", "--checkpoint-dir", str(ckdir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines: list[str] = []
    training = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("epoch 1/"):
                training.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert training.wait(120), "".join(lines)
        time.sleep(1.0)  # well inside a later epoch
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(10)
    err = "".join(lines)
    assert returncode == 130, err
    assert "Traceback" not in err and "\tat " not in err and "Exception" not in err
    assert "djl-bridge: interrupted by Ctrl-C during epoch" in err
    assert f"go on with `djl-bridge train --resume {ckdir}`" in err
    done = checkpoint.read_checkpoint(ckdir).epochs_done
    assert done >= 1
    target = str(done + 2)
    resumed = _train_json(["--resume", str(ckdir), "--epochs", target])
    full = _train_json([*common, "--epochs", target])
    assert resumed["perplexity"] == full["perplexity"]


def test_api_run_and_java_errors_in_process(jvm: None, corpus: Path, tmp_path: Path) -> None:
    import djl_bridge
    from djl_bridge.errors import CheckpointError, JavaError

    cfg = TrainConfig(impl="concise", model="rnn", hidden=8, batch_size=4, num_steps=5,
                      max_tokens=500, epochs=6, data=corpus)
    opts = djl_bridge.RunOptions(checkpoint_dir=tmp_path / "ck", save_every=100)
    result = djl_bridge.run(cfg, opts, on_epoch=lambda e, p, s: e < 2)  # the callback stops it
    assert result.perplexity.shape == (2,) and result.extras["epochs_done"] == 2
    assert djl_bridge.read_checkpoint(tmp_path / "ck").epochs_done == 2
    text = djl_bridge.predict(tmp_path / "ck", "traveller", 10)
    assert text.startswith("traveller") and len(text) == len("traveller") + 10
    params = tmp_path / "ck" / "epoch-000002" / "model.params"
    garbage = b"garbage!" * (params.stat().st_size // 8) + b"?" * (params.stat().st_size % 8)
    params.write_bytes(garbage)  # of the right size, so that only its sum is wrong
    with pytest.raises(CheckpointError, match="model.params is damaged"):  # the SHA-256 sees it
        djl_bridge.predict(tmp_path / "ck", "traveller", 10)
    meta_file = params.parent / "checkpoint.json"  # record the garbage's sum: now Java sees it
    meta = json.loads(meta_file.read_text())
    meta["files"]["model.params"]["sha256"] = hashlib.sha256(garbage).hexdigest()
    meta[checkpoint.layout.MANIFEST_KEY] = checkpoint.layout.manifest_digest(meta)
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(JavaError) as info:  # a Java IOException, as a Python exception
        djl_bridge.predict(tmp_path / "ck", "traveller", 10)
    assert info.value.java_class == "ai.djl.MalformedModelException"  # the root cause
    assert "does not hold the parameters of a concise rnn" in str(info.value)
    assert "djlbridge.training.TrainingSession" in info.value.java_trace  # kept for --debug


@pytest.mark.subprocess
def test_resume_refuses_contradicting_flags(corpus: Path, tmp_path: Path) -> None:
    ckdir = tmp_path / "ck"
    _train_json(["--impl", "concise", *TINY, "--data", str(corpus), "--epochs", "1",
                 "--checkpoint-dir", str(ckdir)])
    proc = run_cli(["train", "--resume", str(ckdir), "--epochs", "3", "--hidden", "64"])
    assert proc.returncode == 1
    assert "--hidden 64 contradicts the checkpoint (--hidden 16): drop it" in proc.stderr
    assert checkpoint.read_checkpoint(ckdir).epochs_done == 1  # nothing touched


# ------------------------------------------------------------------ resume never ignores a flag

@pytest.mark.subprocess
def test_resume_refuses_model_flags_that_equal_their_defaults(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", "--model", "lstm", "--lr", "0.5", *TINY, "--epochs", "2",
                      "--data", str(corpus), "--checkpoint-dir", str(ck), "--json"]))
    # --model gru and --hidden 256 are the defaults: the old CLI took them as "not given" and
    # trained the lstm at lr 0.5 with exit 0.
    line = one_error(run_cli(["train", "--resume", str(ck), "--epochs", "6", "--model", "gru",
                              "--lr", "1", "--hidden", "256", "--json"]))
    assert "--model gru contradicts the checkpoint (--model lstm)" in line


@pytest.mark.subprocess
def test_resume_applies_schedule_flags_even_when_equal_to_defaults(corpus: Path,
                                                                   tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", "--model", "rnn", "--lr", "0.5", "--clip", "0.5", *TINY,
                      "--epochs", "2", "--data", str(corpus), "--checkpoint-dir", str(ck),
                      "--json"]))
    proc = run_cli(["train", "--resume", str(ck), "--epochs", "3", "--lr", "1", "--clip", "1",
                    "--json"])
    out = cli_json(proc)
    assert out["config"]["lr"] == 1.0 and out["config"]["clip"] == 1.0
    assert out["epochs_done"] == 3 and out["resumed_from_epoch"] == 2
    assert "--lr 0.5 -> 1.0" in proc.stderr and "--clip 0.5 -> 1.0" in proc.stderr
    # The checkpoint now records the new schedule.
    assert checkpoint.read_checkpoint(ck).config.lr == 1.0


@pytest.mark.subprocess
def test_a_diverged_run_goes_on_with_a_lower_lr(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    proc = run_cli(["train", "--impl", "scratch", "--model", "rnn", "--hidden", "16",
                    "--batch-size", "4", "--num-steps", "5", "--max-tokens", "500", "--lr", "400",
                    "--epochs", "8", "--data", str(corpus), "--checkpoint-dir", str(ck)])
    assert proc.returncode == 1 and "training diverged at epoch 2" in proc.stderr
    out = cli_json(run_cli(["train", "--resume", str(ck), "--lr", "1", "--epochs", "3", "--json"]))
    assert out["resumed_from_epoch"] == 1 and len(out["perplexity"]) == 3
    assert all(math.isfinite(p) for p in out["perplexity"])  # the old CLI refused any --lr


@pytest.mark.subprocess
def test_resume_epochs_not_above_done_is_one_line(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", *TINY, "--epochs", "2", "--data", str(corpus), "--checkpoint-dir",
                      str(ck), "--json"]))
    line = one_error(run_cli(["train", "--resume", str(ck), "--epochs", "2"]))
    assert "already has 2 epochs, so --epochs 2 trains nothing: pass --epochs N with N > 2" in line
    line = one_error(run_cli(["train", "--resume", str(ck)]))  # its own --epochs 2
    assert "pass --epochs N with N > 2" in line
