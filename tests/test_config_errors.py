"""Bad hyper-parameters and options: one error line naming the flag and its valid range, exit 1,
and all of it before the JVM starts (the classpath is pointed at a missing file, so any JVM start
would fail with another message)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from djl_bridge import TrainConfig
from djl_bridge.config import CLI_NAMES
from djl_bridge.errors import ConfigError

from .conftest import run_cli

NO_JVM = {"DJL_BRIDGE_CLASSPATH": "/nonexistent/classpath.txt"}


@pytest.mark.parametrize("field, value, flag", [
    ("epochs", 0, "--epochs"), ("epochs", -3, "--epochs"), ("hidden", 0, "--hidden"),
    ("batch_size", 0, "--batch-size"), ("num_steps", -1, "--num-steps"),
    ("max_tokens", 0, "--max-tokens"), ("lr", 0.0, "--lr"), ("lr", -0.5, "--lr"),
    ("lr", math.nan, "--lr"), ("lr", math.inf, "--lr"), ("clip", 0.0, "--clip"),
    ("model", "transformer", "unknown model"), ("impl", "fast", "unknown impl"),
    ("device", "tpu", "unknown device"),
])
def test_config_rejects(field: str, value: object, flag: str) -> None:
    # The API names the field; the same rule spelled for the CLI names the flag.
    with pytest.raises(ConfigError, match=rf"TrainConfig\.{field}\b") as api:
        TrainConfig(**{field: value}).validate()
    assert "--" not in str(api.value)
    with pytest.raises(ConfigError, match=flag):
        TrainConfig(**{field: value}).validate(CLI_NAMES)


@pytest.mark.parametrize("args, message", [
    (["--hidden", "0"], "--hidden must be a whole number > 0, got 0"),
    (["--batch-size", "-2"], "--batch-size must be a whole number > 0, got -2"),
    (["--num-steps", "0"], "--num-steps must be a whole number > 0, got 0"),
    (["--max-tokens", "0"], "--max-tokens must be a whole number > 0, got 0"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--lr", "-1"], "--lr must be a finite number > 0, got -1.0"),
    (["--save-every", "0"], "--save-every must be a whole number > 0, got 0"),
    # Above Java's int range: the Java setters take an int, so these used to end in a JPype
    # OverflowError traceback.
    (["--epochs", "3000000000"], "--epochs must be a whole number in 1..2147483647, got 3000000000"),
    (["--hidden", "2147483648"], "--hidden must be a whole number in 1..2147483647, got 2147483648"),
    (["--max-tokens", "99999999999"],
     "--max-tokens must be a whole number in 1..2147483647, got 99999999999"),
    (["--batch-size", "4294967296"],
     "--batch-size must be a whole number in 1..2147483647, got 4294967296"),
    (["--num-steps", "2147483648"],
     "--num-steps must be a whole number in 1..2147483647, got 2147483648"),
    (["--max-tokens", "100", "--batch-size", "8", "--num-steps", "20"],
     "is too small for one batch of 8 x 20 steps"),
    (["--plot", "curve.jpg"], "the file name must end in .png"),
])
def test_cli_rejects_before_jvm(corpus: Path, args: list[str], message: str) -> None:
    proc = run_cli(["train", "--epochs", "2", "--data", str(corpus), *args], env=NO_JVM)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    assert message in lines[0]


@pytest.mark.parametrize("field", ["epochs", "hidden", "batch_size", "num_steps", "max_tokens"])
def test_config_int_range(field: str) -> None:
    assert TrainConfig(**{field: 2**31 - 1}).validate()  # Java's largest int is allowed
    with pytest.raises(ConfigError, match=r"in 1\.\.2147483647, got 2147483648$"):
        TrainConfig(**{field: 2**31}).validate()
    for wrong in (True, 2.0, "3"):  # bools, floats and strings are no whole numbers
        with pytest.raises(ConfigError, match="must be a whole number > 0"):
            TrainConfig(**{field: wrong}).validate()


def test_cli_unknown_model_is_a_usage_error() -> None:
    proc = run_cli(["train", "--model", "transformer"], env=NO_JVM)
    assert proc.returncode == 2
    assert "invalid choice: 'transformer'" in proc.stderr


def test_tiny_corpus_is_rejected(tmp_path: Path) -> None:
    text = tmp_path / "tiny.txt"
    text.write_text("the time machine\n")
    proc = run_cli(["train", "--data", str(text), "--no-verify-data", "--batch-size", "2",
                    "--num-steps", "10"], env=NO_JVM)
    assert proc.returncode == 1
    assert "the corpus (16 tokens used) is too small for one batch of 2 x 10 steps" in proc.stderr
    assert "lower --batch-size or --num-steps, or raise --max-tokens" in proc.stderr


def test_resume_from_nowhere(tmp_path: Path) -> None:
    proc = run_cli(["train", "--resume", str(tmp_path / "none")], env=NO_JVM)
    assert proc.returncode == 1
    assert f"checkpoint directory not found: {tmp_path / 'none'}" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_cli(["train", "--resume", str(tmp_path / "empty")], env=NO_JVM)
    assert proc.returncode == 1 and "no checkpoint in" in proc.stderr
