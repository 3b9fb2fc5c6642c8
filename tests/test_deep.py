"""Deep (D2L 9.3) and bidirectional (9.4) RNNs through the library and the CLI: the settings and
their checks, the text's sections by name, the resume rule for the new model flags, checkpoints
of every age, the one-line note on a bidirectional model's predictions, and the bench.
(The numbers of the models themselves: the parity rows, tests/test_parity.py, and JUnit.)"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import warnings
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import ConfigError, PredictionWarning, RunOptions, TrainConfig, checkpoint
from djl_bridge.cli import build_parser
from djl_bridge.config import BIDIRECTIONAL_NOTE, CLI_NAMES, SECTION_NAMES, SECTIONS
from djl_bridge.resume import FIXED_ON_RESUME, plan_resume

from .conftest import run_cli as _run_cli

TINY = ["--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800"]
SMALL = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=800)
NO_JVM = {"DJL_BRIDGE_CLASSPATH": "/nonexistent/classpath.txt"}


def run_cli(args: list[str], env: dict[str, str] | None = None) -> "subprocess.CompletedProcess[str]":
    """``djl-bridge ARGS`` in a fresh process with one OpenMP thread: quick on a shared machine,
    and no note on stderr about a busy one."""
    return _run_cli(args, env={"OMP_NUM_THREADS": "1", **(env or {})})


def _json(args: list[str]) -> dict:
    proc = run_cli(["train", *args, "--json"])
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _one_error(args: list[str], env: dict[str, str] | None = None) -> str:
    proc = run_cli(args, env=env)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    return lines[0]


# ----------------------------------------------------------------------- settings and checks

def test_layers_and_bidirectional_are_checked_in_the_callers_names() -> None:
    with pytest.raises(ConfigError, match=r"^TrainConfig\.layers must be a whole number > 0, "
                                          r"got 0$"):
        TrainConfig(layers=0).validate()
    with pytest.raises(ConfigError, match=r"^--layers must be a whole number > 0, got 0$"):
        TrainConfig(layers=0).validate(CLI_NAMES)
    with pytest.raises(ConfigError, match=r"^TrainConfig\.bidirectional must be True or False"):
        TrainConfig(impl="concise", bidirectional=1).validate()  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as api:
        TrainConfig(bidirectional=True).validate()
    assert str(api.value) == ("TrainConfig.bidirectional needs TrainConfig.impl concise: the "
                              "text's scratch cells run one direction (D2L 9.4 trains DJL's "
                              "bidirectional layer)")
    import numpy as np

    config = TrainConfig(layers=np.int64(3), impl="concise", bidirectional=np.bool_(True))
    assert config.validate().layers == 3 and config.bidirectional is True


@pytest.mark.subprocess
@pytest.mark.parametrize("args, message", [
    (["--layers", "0"], "--layers must be a whole number > 0, got 0"),
    (["--layers", "2147483648"], "--layers must be a whole number in 1..2147483647, got 2147483648"),
    (["--bidirectional"], "--bidirectional needs --impl concise: the text's scratch cells run "
                          "one direction"),
    (["--section", "9.4", "--impl", "scratch"],
     "--section 9.4 trains a bidirectional model, which needs --impl concise"),
])
def test_cli_rejects_before_jvm(corpus: Path, args: list[str], message: str) -> None:
    line = _one_error(["train", "--epochs", "2", "--data", str(corpus), *args], env=NO_JVM)
    assert message in line


def test_describe_says_layers_and_directions() -> None:
    assert TrainConfig().describe() == "scratch gru, 256 hidden"
    assert TrainConfig(layers=2).describe() == "scratch gru, 2 layers of 256 hidden"
    assert TrainConfig.for_section("9.4").describe() == \
        "concise lstm, 2 bidirectional layers of 256 hidden"
    assert TrainConfig(impl="concise", bidirectional=True).describe() == \
        "concise gru, 1 bidirectional layer of 256 hidden"


# ---------------------------------------------------------------------- the text's sections

def test_sections_hold_the_texts_runs() -> None:
    deep = TrainConfig.for_section("9.3")
    assert (deep.model, deep.impl, deep.layers, deep.bidirectional, deep.lr, deep.epochs,
            deep.hidden, deep.batch_size, deep.num_steps) == \
        ("lstm", "concise", 2, False, 2.0, 500, 256, 32, 35)
    bi = TrainConfig.for_section(9.4)  # a number works too
    assert (bi.model, bi.impl, bi.layers, bi.bidirectional, bi.lr) == ("lstm", "concise", 2, True, 1.0)
    assert TrainConfig.for_section("9.1") == TrainConfig()  # the Java text's default run
    assert TrainConfig.for_section("8.5").hidden == 512  # the text's RNN from scratch
    for section in SECTIONS:  # every section's run is a valid config
        TrainConfig.for_section(section.number).validate()
    changed = TrainConfig.for_section("9.3", epochs=50, impl="scratch")
    assert (changed.epochs, changed.impl, changed.layers, changed.lr) == (50, "scratch", 2, 2.0)
    with pytest.raises(ConfigError, match=r"^unknown section '9\.9' \(TrainConfig\.for_section\): "
                                          r"use one of 8\.5, 8\.6, 9\.1, 9\.2, 9\.3, 9\.4$"):
        TrainConfig.for_section("9.9")
    with pytest.raises(ConfigError, match=r"^TrainConfig\.dropout is not a field of TrainConfig"):
        TrainConfig.for_section("9.3", dropout=0.5)


def test_cli_section_choices_are_the_librarys() -> None:
    train = build_parser()._subparsers._group_actions[0].choices["train"]  # type: ignore[union-attr]
    section = next(a for a in train._actions if a.dest == "section")
    from djl_bridge.nmt import SHOW_SECTIONS
    from djl_bridge.seq2seq_config import SECTION as SEQ2SEQ_SECTION

    # the language model's sections, then 9.5/9.6 (shown) and 9.7 (sequence to sequence)
    assert tuple(section.choices) == SECTION_NAMES + SHOW_SECTIONS + (SEQ2SEQ_SECTION,)
    assert SHOW_SECTIONS + (SEQ2SEQ_SECTION,) == ("9.5", "9.6", "9.7")


@pytest.mark.subprocess
def test_train_section_runs_the_sections_model_and_flags_change_it(corpus: Path) -> None:
    proc = run_cli(["train", "--section", "9.3", *TINY, "--epochs", "1", "--data", str(corpus),
                    "--json"])
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)["config"]
    assert (config["model"], config["impl"], config["layers"], config["bidirectional"],
            config["lr"], config["hidden"]) == ("lstm", "concise", 2, False, 2.0, 16)
    assert "djl-bridge: D2L 9.3 Deep Recurrent Neural Networks: concise lstm, 2 layers of 16 " \
           "hidden, lr 2, 1 epochs" in proc.stderr
    # exercise 1 of 9.3: the same run with the stack from scratch
    out = _json(["--section", "9.3", "--impl", "scratch", "--lr", "1", *TINY, "--epochs", "1",
                 "--data", str(corpus)])
    assert (out["config"]["impl"], out["config"]["layers"], out["config"]["lr"]) == \
        ("scratch", 2, 1.0)


# ---------------------------------------------------------------------------- the resume rule

def test_layers_and_direction_must_match_the_checkpoint(tmp_path: Path) -> None:
    assert {"layers", "bidirectional"} <= set(FIXED_ON_RESUME)
    saved = TrainConfig.for_section("9.4", data=tmp_path / "t.txt", **SMALL)
    ckpt = checkpoint.Checkpoint(tmp_path / "epoch-000002", saved, 2, [9.0, 8.0], [1.0, 1.0],
                                 ["<unk>", "a"])
    with pytest.raises(ConfigError) as info:
        plan_resume(ckpt, {"layers": 1, "epochs": 3}, CLI_NAMES)
    assert str(info.value).startswith("--layers 1 contradicts the checkpoint (--layers 2)")
    with pytest.raises(ConfigError, match=r"^TrainConfig\.bidirectional False contradicts the "
                                          r"checkpoint \(TrainConfig\.bidirectional True\)"):
        plan_resume(ckpt, {"bidirectional": False, "epochs": 3})
    plan = plan_resume(ckpt, {"layers": 2, "bidirectional": True, "epochs": 3})  # equal: fine
    assert plan.config.layers == 2 and plan.config.bidirectional
    assert plan.changes == ("TrainConfig.epochs 500 -> 3",)


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("extra", [
    ["--impl", "scratch", "--model", "gru", "--layers", "2"],  # hybridized, all layers one graph
    ["--section", "9.4"],  # two bidirectional concise LSTM layers
])
def test_a_resumed_deep_run_goes_on_bit_for_bit(corpus: Path, tmp_path: Path,
                                                extra: list[str]) -> None:
    common = [*extra, *TINY, "--data", str(corpus), "--seed", "7"]
    full = _json([*common, "--epochs", "3"])
    ck = tmp_path / "ck"
    first = _json([*common, "--epochs", "2", "--checkpoint-dir", str(ck)])
    assert first["perplexity"] == full["perplexity"][:2]
    line = _one_error(["train", "--resume", str(ck), "--epochs", "3", "--layers", "1"])
    assert "--layers 1 contradicts the checkpoint (--layers 2)" in line
    resumed = _json(["--resume", str(ck), "--epochs", "3", "--layers", "2"])
    assert resumed["resumed_from_epoch"] == 2 and resumed["perplexity"] == full["perplexity"]
    assert resumed["predictions"] == full["predictions"]
    assert checkpoint.read_checkpoint(ck).config.layers == 2


# ------------------------------------------------------------------ checkpoints of every age

@pytest.mark.subprocess
@pytest.mark.slow
def test_an_old_one_layer_checkpoint_resumes_and_predicts(corpus: Path, tmp_path: Path) -> None:
    """A checkpoint as djl-bridge wrote it before layers (version 2, no layers or bidirectional
    in its config) is a one-layer model: it resumes, predicts, and goes on as version 3."""
    ck = tmp_path / "ck"
    trained = _json(["--impl", "concise", "--model", "gru", *TINY, "--data", str(corpus),
                     "--epochs", "2", "--checkpoint-dir", str(ck)])
    meta_file = ck / "epoch-000002" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    old = {k: v for k, v in meta["config"].items() if k not in ("layers", "bidirectional")}
    meta_file.write_text(json.dumps({**meta, "version": 2, "config": old}))
    assert checkpoint.read_checkpoint(ck).config.layers == 1
    proc = run_cli(["predict", "--checkpoint", str(ck)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip("\n") == trained["predictions"]["time traveller"]
    assert "note:" not in proc.stderr
    resumed = _json(["--resume", str(ck), "--epochs", "3"])
    assert resumed["config"]["layers"] == 1 and len(resumed["perplexity"]) == 3
    assert json.loads((ck / "epoch-000003" / "checkpoint.json").read_text())["version"] == 3


@pytest.mark.subprocess
@pytest.mark.slow
def test_another_runs_directory_is_described_with_its_layers(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(["--impl", "scratch", "--layers", "2", *TINY, "--data", str(corpus), "--epochs", "1",
           "--checkpoint-dir", str(ck)])
    line = _one_error(["train", *TINY, "--data", str(corpus), "--epochs", "1",
                       "--checkpoint-dir", str(ck)])
    assert "(epoch 1, scratch gru, 2 layers of 16 hidden)" in line


# ------------------------------------------------- a bidirectional model's text means nothing

@pytest.mark.subprocess
def test_predictions_of_a_bidirectional_model_carry_one_note(jvm: None, corpus: Path,
                                                             tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    config = TrainConfig.for_section("9.4", epochs=1, data=corpus, **SMALL)
    with pytest.warns(PredictionWarning, match="^this model is bidirectional"):
        result = djl_bridge.run(config, RunOptions(checkpoint_dir=ck))
    assert result.extras["prediction_note"] == BIDIRECTIONAL_NOTE
    assert result.to_dict()["prediction_note"] == BIDIRECTIONAL_NOTE
    with pytest.warns(PredictionWarning):
        text = djl_bridge.predict(ck, "time traveller", 10)
    assert text.startswith("time traveller") and len(text) == len("time traveller") + 10
    with warnings.catch_warnings():  # a one-direction model: no note
        warnings.simplefilter("error", PredictionWarning)
        plain = TrainConfig(impl="concise", layers=2, epochs=1, data=corpus, **SMALL)
        assert "prediction_note" not in djl_bridge.train(plain).extras
    proc = run_cli(["predict", "--checkpoint", str(ck), "--num-preds", "10"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == text + "\n"
    notes = [ln for ln in proc.stderr.splitlines() if "bidirectional" in ln]
    assert notes == [f"djl-bridge: note: {BIDIRECTIONAL_NOTE}"]
    proc = run_cli(["train", "--resume", str(ck), "--epochs", "2"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count(f"djl-bridge: note: {BIDIRECTIONAL_NOTE}") == 1
    assert "time traveller" in proc.stdout  # the text's printout is unchanged


def test_the_note_points_at_the_line_that_trained(jvm: None, corpus: Path, tmp_path: Path) -> None:
    # Through train() -> run() and resume() -> run() as well: the warning names the caller's line
    # (a notebook shows that cell), not one of djl_bridge's own.
    config = TrainConfig.for_section("9.4", epochs=1, data=corpus, **SMALL)
    with pytest.warns(PredictionWarning) as trained:
        djl_bridge.train(config)
    with pytest.warns(PredictionWarning) as run:
        djl_bridge.run(config, RunOptions(checkpoint_dir=tmp_path / "ck"))
    with pytest.warns(PredictionWarning) as resumed:
        djl_bridge.resume(tmp_path / "ck", epochs=2)
    with pytest.warns(PredictionWarning) as predicted:
        djl_bridge.predict(tmp_path / "ck", "time traveller", 5)
    assert [w.filename for w in [*trained, *run, *resumed, *predicted]] == [__file__] * 4


# ------------------------------------------------------------------------------------ bench

@pytest.mark.subprocess
@pytest.mark.slow
def test_bench_runs_two_layers_through_both_launchers(corpus: Path) -> None:
    proc = run_cli(["bench", "--json", "--models", "lstm", "--impls", "scratch,concise",
                    "--layers", "2", "--rounds", "1", "--epochs", "2", "--hidden", "12",
                    "--batch-size", "8", "--num-steps", "10", "--max-tokens", "1000",
                    "--data", str(corpus)])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    rows = out["rows"]
    assert [(r["impl"], r["launcher"], r["layers"], r["bidirectional"]) for r in rows] == [
        ("scratch", "bridge", 2, False), ("scratch", "java", 2, False),
        ("concise", "bridge", 2, False), ("concise", "java", 2, False)]
    for bridge, java in (rows[:2], rows[2:]):  # the same training behind both launchers
        assert bridge["final_perplexity"] == pytest.approx(java["final_perplexity"], rel=1e-5)
    from djl_bridge.bench import BenchRow, format_table

    table = format_table([BenchRow.from_dict(r) for r in rows])
    assert table.count("\nlstm (2 layers) ") == 4


@pytest.mark.subprocess
def test_bench_bidirectional_needs_the_concise_models(corpus: Path) -> None:
    line = _one_error(["bench", "--bidirectional", "--data", str(corpus)], env=NO_JVM)
    assert line == ("djl-bridge: error: --bidirectional is for the concise models only (the "
                    "text's scratch cells run one direction): pass --impls concise")


def test_every_launcher_gets_the_layers_and_torch_ref_reads_them(corpus: Path) -> None:
    from djl_bridge.bench import TORCH_SCRIPT, command, train_args

    cfg = TrainConfig.for_section("9.4", data=corpus)
    shared = train_args(cfg)
    assert shared[shared.index("--layers") + 1] == "2" and "--bidirectional" in shared
    assert "--layers" in command("torch", cfg, torch_python=Path("python3"))
    import importlib.util

    spec = importlib.util.spec_from_file_location("torch_ref", TORCH_SCRIPT)
    assert spec is not None and spec.loader is not None
    torch_ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(torch_ref)  # argument parsing needs no torch
    args = torch_ref.parse_args(shared)
    assert (args.layers, args.bidirectional, args.impl) == (2, True, "concise")
    with pytest.raises(SystemExit):
        torch_ref.parse_args([*train_args(dataclasses.replace(cfg, impl="scratch",
                                                               bidirectional=False)),
                              "--bidirectional"])
