"""Sequence to sequence (D2L 9.7) through the one training machinery: the API
(``train_seq2seq``), the callbacks (measure "loss"), the CLI (``train --section 9.7``), the
settings refused before the JVM starts. Tiny settings: 60 examples, 3 epochs."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

import djl_bridge
from djl_bridge import Callback, ConfigError, EpochRecord, Seq2SeqConfig
from djl_bridge.cli import main as cli_main

from .conftest import ROOT, run_cli

FRA = Path(os.environ.get("DJL_BRIDGE_FRA") or ROOT.parent / "shared/data/fra-eng/fra.txt")
needs_fra = pytest.mark.skipif(not FRA.is_file(), reason="fra.txt not found (set DJL_BRIDGE_FRA)")
TINY = dict(epochs=3, num_examples=60)


class Collect(Callback):
    def __init__(self) -> None:
        self.records: list[EpochRecord] = []
        self.started = ""

    def on_run_start(self, run: djl_bridge.RunInfo) -> None:
        self.started = run.measure

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        self.records.append(record)


@needs_fra
def test_api_returns_losses_speeds_and_four_translations(jvm: None) -> None:
    seen = Collect()
    shortcut: list[tuple[int, float]] = []
    result = djl_bridge.train_seq2seq(
        Seq2SeqConfig(data=FRA, **TINY), callbacks=[seen],
        on_epoch=lambda epoch, loss, speed: shortcut.append((epoch, loss)))
    assert result.loss.shape == (3,) and np.isfinite(result.loss).all()
    assert result.loss[-1] < result.loss[0]
    assert result.epoch_tokens_per_sec.shape == (3,) and result.tokens_per_sec > 0
    assert [t.source for t in result.translations] == ["go .", "i lost .", "he's calm .",
                                                       "i'm home ."]
    assert [t.reference for t in result.translations][1] == "j'ai perdu ."
    assert all(0.0 <= t.bleu <= 1.0 for t in result.translations)
    assert seen.started == "loss"
    assert [r.measure for r in seen.records] == ["loss"] * 3
    assert [r.value for r in seen.records] == pytest.approx(list(result.loss))
    assert [e for e, _ in shortcut] == [1, 2, 3]
    with pytest.raises(AttributeError, match="use .value"):
        seen.records[0].perplexity
    text = str(result)
    assert "3 epochs" in text and "loss" in text and "\n" not in text
    assert result.summary().splitlines()[1].startswith("go . => ")
    assert json.loads(result.to_json())["final_loss"] == pytest.approx(result.final_loss)


@needs_fra
def test_a_callback_that_returns_false_stops_after_its_epoch(jvm: None) -> None:
    result = djl_bridge.train_seq2seq(Seq2SeqConfig(data=FRA, **TINY),
                                      on_epoch=lambda epoch, loss, speed: epoch < 2)
    assert result.loss.shape == (2,)


@pytest.mark.subprocess
@needs_fra
def test_cli_section_97_json_is_one_object() -> None:
    proc = run_cli(["train", "--section", "9.7", "--epochs", "2", "--num-examples", "60",
                    "--data", str(FRA), "--json", "--threads", "1"])
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert len(d["loss"]) == 2 and math.isfinite(d["final_loss"])
    assert [t["source"] for t in d["translations"]][0] == "go ."
    assert d["config"]["embed"] == 32 and d["config"]["num_examples"] == 60
    assert "D2L 9.7" in proc.stderr


@pytest.mark.parametrize("config,field", [
    (Seq2SeqConfig(hidden=0), "Seq2SeqConfig.hidden"),
    (Seq2SeqConfig(dropout=1.0), "Seq2SeqConfig.dropout"),
    (Seq2SeqConfig(lr=float("nan")), "Seq2SeqConfig.lr"),
    (Seq2SeqConfig(num_examples=True), "Seq2SeqConfig.num_examples"),
    (Seq2SeqConfig(device="tpu"), "Seq2SeqConfig.device"),
])
def test_a_bad_setting_is_one_line_naming_the_field(config: Seq2SeqConfig, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")) as err:
        config.validate()
    assert "\n" not in str(err.value)


def test_bad_settings_are_refused_before_the_jvm_starts() -> None:
    code = ("import djl_bridge\n"
            "from djl_bridge import bridge\n"
            "for cfg, opts in ((djl_bridge.Seq2SeqConfig(embed=-1), None),\n"
            "                  (djl_bridge.Seq2SeqConfig(), djl_bridge.RunOptions("
            "save_every=0)),\n"
            "                  (djl_bridge.Seq2SeqConfig(data='/nonexistent/fra.txt'), None)):\n"
            "    try:\n"
            "        djl_bridge.train_seq2seq(cfg, opts)\n"
            "    except djl_bridge.BridgeError as e:\n"
            "        print(type(e).__name__, e)\n"
            "print('started', bridge.is_started())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ConfigError Seq2SeqConfig.embed must be"), proc.stdout
    assert lines[1].startswith("ConfigError RunOptions.save_every must be"), proc.stdout
    assert lines[2].startswith("DataError English-French data not found"), proc.stdout
    assert lines[3] == "started False"


@pytest.mark.parametrize("args,message", [
    (["--section", "9.7", "--clip", "2"], "--clip does not apply to section 9.7"),
    (["--section", "9.7", "--model", "lstm"], "--model does not apply to section 9.7"),
    (["--section", "9.7", "--save-every", "0"], "--save-every must be a whole number > 0"),
    (["--section", "9.7", "--dropout", "1.5"], "--dropout must be a number in [0, 1)"),
    (["--embed", "8"], "--embed applies only to section 9.7"),
    (["--num-examples", "8"], "--num-examples applies only to section 9.7"),
])
def test_cli_refuses_a_flag_in_one_line(capsys: pytest.CaptureFixture[str], args: list[str],
                                        message: str) -> None:
    assert cli_main(["train", *args]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
