"""Issue 25 item 1: a model's memory is estimated from its settings and refused before any JVM,
in one line naming the setting to lower: parameters beyond a checkpoint's parameter file (the
reader's 2 GiB), or training beyond the machine's memory."""
from __future__ import annotations

import time

import pytest

from djl_bridge import ConfigError, TrainConfig
from djl_bridge.config import CLI_NAMES
from djl_bridge.reference.kinds import elements, parameter_count, parameter_shapes
from djl_bridge.sizing import check_trainable, estimate

from .conftest import run_cli


@pytest.mark.parametrize("model", ["gru", "lstm", "rnn"])
@pytest.mark.parametrize("impl,layers,bidirectional", [
    ("scratch", 1, False), ("scratch", 3, False), ("concise", 1, False), ("concise", 3, False),
    ("concise", 1, True), ("concise", 3, True)])
def test_the_closed_form_count_is_the_shapes_sum(model: str, impl: str, layers: int,
                                                 bidirectional: bool) -> None:
    shapes = parameter_shapes(model, impl, 28, 7, layers, bidirectional)
    assert parameter_count(model, impl, 28, 7, layers, bidirectional) == \
        sum(elements(s) for _, s in shapes)


def test_two_billion_layers_are_refused_at_once_naming_layers() -> None:
    start = time.monotonic()
    with pytest.raises(ConfigError) as err:
        TrainConfig(layers=2147483647, hidden=16, epochs=2).validate()
    assert time.monotonic() - start < 1.0
    assert str(err.value).startswith(
        "the model (scratch gru, 2147483647 layers of 16 hidden) has 3,401,614,097,900 "
        "parameters")
    assert str(err.value).endswith("more than a checkpoint's parameter file holds (2 GiB): "
                                   "lower TrainConfig.layers (or TrainConfig.hidden)")


@pytest.mark.subprocess
def test_a_wide_stack_is_refused_naming_hidden_in_the_cli() -> None:
    proc = run_cli(["train", "--hidden", "30000", "--layers", "3", "--epochs", "1"], timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "djl-bridge: error: the model (scratch gru, 3 layers of 30000 hidden) has "
        "13,503,630,028 parameters, 50.3 GiB as float32: more than a checkpoint's parameter "
        "file holds (2 GiB): lower --hidden (or --layers)"]


def test_the_largest_saveable_model_passes_and_one_more_unit_does_not() -> None:
    TrainConfig(impl="concise", hidden=13_000).validate()  # 2.03e9 bytes: under 2 GiB
    with pytest.raises(ConfigError, match=r"lower TrainConfig\.hidden$"):
        TrainConfig(impl="concise", hidden=14_000).validate()


def test_training_beyond_the_machines_memory_names_the_batch_or_the_model() -> None:
    big_batch = TrainConfig(batch_size=100_000, num_steps=20_000)
    with pytest.raises(ConfigError, match=r"needs at least 8,255\.2 GiB, more than this "
                                          r"machine's memory \(16\.0 GiB\): lower --batch-size "
                                          r"or --num-steps$"):
        check_trainable(big_batch, CLI_NAMES, memory=16 << 30)
    wide = TrainConfig(hidden=5_000, layers=2)  # 225 M parameters, one layer 75 M
    assert estimate(wide).parameter_bytes < 1 << 30
    with pytest.raises(ConfigError, match=r"lower --layers \(or --hidden\)$"):
        check_trainable(wide, CLI_NAMES, memory=2 << 30)
    with pytest.raises(ConfigError, match=r"lower --hidden \(or --layers\)$"):
        check_trainable(wide, CLI_NAMES, memory=512 << 20)
    check_trainable(TrainConfig(), CLI_NAMES, memory=1 << 30)  # the text's run fits 1 GiB


@pytest.mark.subprocess
def test_the_cli_refuses_a_batch_beyond_this_machine() -> None:
    proc = run_cli(["train", "--batch-size", "2000000000", "--num-steps", "2000000000",
                    "--epochs", "1"], timeout=60)
    assert proc.returncode == 1
    assert len(proc.stderr.splitlines()) == 1
    assert "more than this machine's memory" in proc.stderr and \
        proc.stderr.rstrip().endswith("lower --batch-size or --num-steps")


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_a_model_the_bound_accepts_has_a_file_the_reader_accepts(impl: str) -> None:
    """The largest hidden size the bound accepts: its parameter file, with the format's own
    bytes, still fits the reader's limit (numbers alone just under 2 GiB did not)."""
    from djl_bridge.checkpoint.layout import PARAMS_MAX_BYTES, params_size_range

    low, high = 1, 20_000
    while low < high:  # the largest accepted hidden size, by bisection
        mid = (low + high + 1) // 2
        try:
            TrainConfig(impl=impl, hidden=mid, layers=2).validate()
            low = mid
        except ConfigError:
            high = mid - 1
    shapes = parameter_shapes("gru", impl, 28, low, 2)
    assert params_size_range(impl, shapes)[1] <= PARAMS_MAX_BYTES
