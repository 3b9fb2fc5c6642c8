"""Issue 25, the Java-message UX items: a learning rate or clip that float32 cannot hold is
refused naming the flag or field (the Java side said "must be > 0, got Infinity"); the Java
side's own checks name flags (respelled as fields for the API); a corpus shorter than one batch
is not told to raise --max-tokens; a run on a corpus without a prefix's characters leaves that
prediction out (literal <unk>s before), as ``predict`` refuses such a prefix."""
from __future__ import annotations

from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import ConfigError, TrainConfig
from djl_bridge.config import CLI_NAMES

from .conftest import run_cli


@pytest.mark.parametrize("field,value", [("lr", 1e39), ("clip", 1e39), ("clip", 1e-46)])
def test_rates_outside_float32_are_refused_naming_the_setting(field: str, value: float) -> None:
    with pytest.raises(ConfigError) as api:
        TrainConfig(**{field: value}).validate()
    assert str(api.value) == (f"TrainConfig.{field} must be a number from 1.4e-45 to 3.4e+38 "
                              f"(float32, as the Java side computes), got {value!r}")
    with pytest.raises(ConfigError, match=f"^--{field} must be a number from"):
        TrainConfig(**{field: value}).validate(CLI_NAMES)
    TrainConfig(**{field: 3.0e38}).validate()
    TrainConfig(**{field: 1e-44}).validate()


@pytest.mark.subprocess
def test_the_cli_says_it_in_one_line() -> None:
    proc = run_cli(["train", "--lr", "1e39", "--epochs", "1"], timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "djl-bridge: error: --lr must be a number from 1.4e-45 to 3.4e+38 (float32, as the Java "
        "side computes), got 1e+39"]


def test_java_settings_messages_name_the_field_for_the_api(jvm: None) -> None:
    from djl_bridge.bridge import java_errors, train_settings

    with pytest.raises(ConfigError, match=r"^TrainConfig\.lr must be a finite number > 0 "
                                          r"\(float32\), got Infinity"):
        with java_errors():
            train_settings(TrainConfig(lr=1e39), "x")


def test_a_corpus_shorter_than_its_max_tokens_is_not_told_to_raise_them(tmp_path: Path) -> None:
    text = tmp_path / "short.txt"
    text.write_text("the time machine " * 10)
    with pytest.raises(ConfigError) as err:
        djl_bridge.train(TrainConfig(data=text, verify_data=False, batch_size=32, num_steps=35,
                                     max_tokens=10_000))
    assert str(err.value) == ("the corpus (169 tokens in all) is too small for one batch of 32 x "
                              "35 steps: lower TrainConfig.batch_size or TrainConfig.num_steps, or "
                              "use a longer text")
    with pytest.raises(ConfigError, match=r"\(100 tokens used\) .* or raise "
                                          r"TrainConfig\.max_tokens$"):
        djl_bridge.train(TrainConfig(data=text, verify_data=False, batch_size=32, num_steps=35,
                                     max_tokens=100))


def test_no_unk_predictions_from_a_corpus_without_the_prefix(jvm: None, tmp_path: Path) -> None:
    text = tmp_path / "no_v.txt"  # "time traveller" needs a "v"
    text.write_text("the time machine is a tale of a man and his machine " * 40)
    result = djl_bridge.train(TrainConfig(data=text, verify_data=False, epochs=1, hidden=16,
                                          batch_size=4, num_steps=5, max_tokens=800))
    assert "<unk>" not in "".join(result.predictions.values()), result.predictions
    assert "time traveller" not in result.predictions


def test_the_out_of_heap_hint_names_layers_too(jvm: None) -> None:
    import jpype

    from djl_bridge.errors import ResourceError
    from djl_bridge.bridge import java_errors

    with pytest.raises(ResourceError, match=r"lower --max-tokens, --hidden, --layers or "
                                            r"--batch-size, or give the JVM more heap"):
        with java_errors(CLI_NAMES):
            raise jpype.JClass("java.lang.OutOfMemoryError")("Java heap space")
