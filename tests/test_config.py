"""Bad hyper-parameters and options: one error line naming the flag and its valid range, exit 1,
and all of it before the JVM starts (the classpath is pointed at a missing file, so any JVM start
would fail with another message). Python's and Java's defaults are one set."""
from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path

import pytest

from djl_bridge import TrainConfig, checkpoint, settings
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


@pytest.mark.subprocess
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
    if field == "hidden":  # Java's largest int, but a model no checkpoint holds (issue 25)
        with pytest.raises(ConfigError, match="more than a checkpoint's parameter file holds"):
            TrainConfig(hidden=2**31 - 1).validate()
    else:
        assert TrainConfig(**{field: 2**31 - 1}).validate()  # Java's largest int is allowed
    with pytest.raises(ConfigError, match=r"in 1\.\.2147483647, got 2147483648$"):
        TrainConfig(**{field: 2**31}).validate()
    for wrong in (True, 2.0, "3"):  # bools, floats and strings are no whole numbers
        with pytest.raises(ConfigError, match="must be a whole number > 0"):
            TrainConfig(**{field: wrong}).validate()


@pytest.mark.subprocess
def test_cli_unknown_model_is_a_usage_error() -> None:
    proc = run_cli(["train", "--model", "transformer"], env=NO_JVM)
    assert proc.returncode == 2
    assert "invalid choice: 'transformer'" in proc.stderr


@pytest.mark.subprocess
def test_tiny_corpus_is_rejected(tmp_path: Path) -> None:
    text = tmp_path / "tiny.txt"
    text.write_text("the time machine\n")
    proc = run_cli(["train", "--data", str(text), "--no-verify-data", "--batch-size", "2",
                    "--num-steps", "10"], env=NO_JVM)
    assert proc.returncode == 1
    # 16 tokens in all: a larger --max-tokens gives no more (issue 25: it was suggested)
    assert "the corpus (16 tokens in all) is too small for one batch of 2 x 10 steps" in proc.stderr
    assert proc.stderr.rstrip().endswith("lower --batch-size or --num-steps, or use a longer text")


@pytest.mark.subprocess
def test_resume_from_nowhere(tmp_path: Path) -> None:
    proc = run_cli(["train", "--resume", str(tmp_path / "none")], env=NO_JVM)
    assert proc.returncode == 1
    assert f"checkpoint directory not found: {tmp_path / 'none'}" in proc.stderr
    (tmp_path / "empty").mkdir()
    proc = run_cli(["train", "--resume", str(tmp_path / "empty")], env=NO_JVM)
    assert proc.returncode == 1 and "no checkpoint in" in proc.stderr


# ------------------------------------------------- the Python API as a library (numpy, str paths)

def test_api_takes_numpy_scalars_and_str_paths(tmp_path: Path) -> None:
    import numpy as np

    from djl_bridge import RunOptions

    cfg = TrainConfig(hidden=np.int64(16), lr=np.float32(0.5), clip=np.float64(1),
                      epochs=np.int32(3), random_iter=np.bool_(True), data=str(tmp_path / "t.txt"),
                      seed=np.int64(-5)).validate()
    assert cfg == TrainConfig(hidden=16, lr=0.5, clip=1.0, epochs=3, random_iter=True,
                              data=tmp_path / "t.txt", seed=-5)
    assert type(cfg.hidden) is int and type(cfg.lr) is float and type(cfg.random_iter) is bool
    opts = RunOptions(checkpoint_dir=str(tmp_path / "ck"), save_every=np.int64(2)).validate()
    assert opts.checkpoint_dir == tmp_path / "ck" and opts.save_every == 2


@pytest.mark.parametrize("field, value, words", [
    ("lr", True, "TrainConfig.lr must be a finite number > 0, got True"),
    ("hidden", True, "TrainConfig.hidden must be a whole number > 0, got True"),
    ("random_iter", 1, "TrainConfig.random_iter must be True or False, got 1"),
    ("verify_data", "no", "TrainConfig.verify_data must be True or False, got 'no'"),
    ("hybridize", None, "TrainConfig.hybridize must be True or False, got None"),
    ("data", 123, "TrainConfig.data must be a path (a str or pathlib.Path) or None, got 123"),
    ("model", 3, "TrainConfig.model must be a str, got 3"),
    ("seed", 1.5, "TrainConfig.seed must be an integer"),
])
def test_api_refuses_wrong_types_naming_the_field(field: str, value: object, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(**{field: value}).validate()
    assert str(info.value).startswith(words)


def test_api_calls_with_wrong_arguments_are_config_errors(tmp_path: Path) -> None:
    import djl_bridge
    from djl_bridge import CheckpointError, RunOptions

    with pytest.raises(ConfigError, match="config must be a djl_bridge.TrainConfig"):
        djl_bridge.run({"epochs": 3})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="options must be a djl_bridge.RunOptions"):
        djl_bridge.run(TrainConfig(), {"save_every": 1})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"RunOptions\.save_every must be a whole number > 0"):
        RunOptions(save_every=True).validate()
    with pytest.raises(ConfigError, match=r"RunOptions\.checkpoint_dir must be a path"):
        RunOptions(checkpoint_dir=5).validate()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^checkpoint must be a path"):
        djl_bridge.predict(None, "time", 5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"^num_preds must be a whole number"):
        djl_bridge.predict(str(tmp_path), "time", 2.5)  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match="checkpoint directory not found"):
        djl_bridge.read_checkpoint(str(tmp_path / "nothing"))


def test_python_and_java_read_one_settings_file(jvm: None) -> None:
    """The defaults, choices and checks are settings.json's: the jar carries the very file the
    package reads, Java's builder starts from its defaults, and every setting Java has goes
    through the builder setter the file names."""
    import jpype

    spec = jpype.JClass("djlbridge.SettingsSpec").get()
    assert str(spec.getText()) == settings.SPEC_FILE.read_text(encoding="utf-8")
    assert [str(n) for n in spec.getNames()] == [s.name for s in settings.SETTINGS] \
        == [f.name for f in fields(TrainConfig)]
    built = jpype.JClass("djlbridge.TrainSettings").builder().setDataPath("x").build()
    java_has = {s.name for s in settings.SETTINGS if s.java is not None}
    java = json.loads(str(built.toJsonObject().toString()))
    assert java == {**{name: settings.DEFAULTS[name] for name in java_has}, "data": "x"}
    assert TrainConfig().to_dict() == settings.DEFAULTS
    for setting in settings.SETTINGS:
        if setting.check == "choice":
            assert tuple(str(c) for c in spec.getChoices(setting.name)) == setting.choices
    # The builder that the bridge's train_settings fills through those setters gives the config back.
    from djl_bridge.bridge.session import train_settings

    config = TrainConfig(model="lstm", impl="concise", epochs=7, lr=0.5, clip=2.0, hidden=9,
                         layers=2, bidirectional=True, batch_size=3, num_steps=4, max_tokens=99,
                         random_iter=True, seed=-5, device="cpu", hybridize=False)
    again = json.loads(str(train_settings(config, "x").toJsonObject().toString()))
    assert again == {**{name: config.to_dict()[name] for name in java_has}, "data": "x"}
    # Other values both sides hold: the parameter file names a checkpoint holds, and the text's
    # prediction length.
    files = jpype.JClass("djlbridge.training.ParameterFiles")
    assert checkpoint.PARAMS == {impl: str(files.fileName(impl)) for impl in ("scratch", "concise")}
    from djl_bridge.cli import build_parser

    predict_args = build_parser().parse_args(["predict", "--checkpoint", "x"])
    assert predict_args.num_preds == int(jpype.JClass("djlbridge.TimeMachine").PREDICT_LENGTH)
