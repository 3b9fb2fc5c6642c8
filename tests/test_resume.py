"""The resume rule lives in the library (djl_bridge.resume): the Python API obeys it exactly as
`train --resume` does, each in its own names (``TrainConfig.batch_size`` / ``--batch-size``)."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import ConfigError, RunOptions, TrainConfig, read_checkpoint

from .conftest import run_cli

SMALL = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=800)


@pytest.fixture(scope="module")
def trained(jvm: None, corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-epoch scratch GRU checkpoint, lr 0.5."""
    ck = tmp_path_factory.mktemp("resume") / "ck"
    djl_bridge.run(TrainConfig(epochs=2, lr=0.5, data=corpus, **SMALL),
                   RunOptions(checkpoint_dir=ck, save_every=1))
    return ck


def _line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.subprocess
def test_api_resume_with_another_batch_size_and_seed_is_refused_like_the_cli(
        trained: Path) -> None:
    ckpt = read_checkpoint(trained)
    changed = dataclasses.replace(ckpt.config, epochs=3, batch_size=8, seed=7)
    with pytest.raises(ConfigError) as api:
        djl_bridge.run(changed, RunOptions(checkpoint_dir=trained), resume_from=ckpt)
    proc = run_cli(["train", "--resume", str(trained), "--epochs", "3", "--batch-size", "8",
                    "--seed", "7"])
    assert proc.returncode == 1
    cli = _line(proc.stderr)
    assert str(api.value) == ("TrainConfig.batch_size 8 contradicts the checkpoint "
                              "(TrainConfig.batch_size 4): drop it to go on with "
                              f"{ckpt.path}, or start a new run with another "
                              "RunOptions.checkpoint_dir")
    # One rule, two spellings: the CLI's line is the API's message with flags for fields.
    spelled = re.sub(r"TrainConfig\.batch_size", "--batch-size", str(api.value))
    spelled = spelled.replace("RunOptions.checkpoint_dir", "--checkpoint-dir")
    assert cli == f"djl-bridge: error: {spelled}"
    assert read_checkpoint(trained).epochs_done == 2  # nothing was trained or written


def test_api_resume_keyword_form_refuses_and_applies(trained: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"TrainConfig\.seed 7 contradicts the checkpoint "
                                          r"\(TrainConfig\.seed 42\)"):
        djl_bridge.resume(trained, epochs=3, seed=7)
    with pytest.raises(ConfigError, match=r"already has 2 epochs, so TrainConfig\.epochs 2 "
                                          r"trains nothing: pass TrainConfig\.epochs N with N > 2"):
        djl_bridge.resume(trained, epochs=2)
    with pytest.raises(ConfigError, match=r"TrainConfig\.dropout is not a setting of a resumed run"):
        djl_bridge.resume(trained, epochs=3, dropout=0.5)
    with pytest.raises(ConfigError, match=r"TrainConfig\.layers 2 contradicts the checkpoint "
                                          r"\(TrainConfig\.layers 1\)"):
        djl_bridge.resume(trained, epochs=3, layers=2)
    out = tmp_path / "next"  # another directory: the original stays at epoch 2
    result = djl_bridge.resume(trained, RunOptions(checkpoint_dir=out), epochs=3, lr=1.0,
                               batch_size=4)  # equal to the checkpoint's: allowed
    assert result.extras["resumed_from_epoch"] == 2 and len(result.perplexity) == 3
    assert result.config.lr == 1.0
    assert read_checkpoint(out).config.lr == 1.0 and read_checkpoint(trained).epochs_done == 2


def test_a_whole_default_config_does_not_silently_resume_another_model(trained: Path) -> None:
    ckpt = read_checkpoint(trained)
    with pytest.raises(ConfigError, match=r"TrainConfig\.hidden 256 contradicts the checkpoint "
                                          r"\(TrainConfig\.hidden 16\)"):
        djl_bridge.run(TrainConfig(epochs=3), RunOptions(checkpoint_dir=trained), resume_from=ckpt)


def test_predict_and_resume_take_str_paths_and_numpy_numbers(trained: Path) -> None:
    import numpy as np

    text = djl_bridge.predict(str(trained), "time traveller", np.int64(5))
    assert text.startswith("time traveller") and len(text) == len("time traveller") + 5
    with pytest.raises(ConfigError, match=r"TrainConfig\.hidden 32 contradicts"):
        djl_bridge.resume(str(trained), epochs=np.int64(3), hidden=np.int64(32))
    with pytest.raises(ConfigError, match=r"TrainConfig\.hidden 256 contradicts"):
        djl_bridge.run(TrainConfig(epochs=3), resume_from=str(trained))
