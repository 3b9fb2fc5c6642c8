"""D2L 9.5 as data (issue 24): the data set from the Java NMT as numpy, the book's BLEU, and
``train --section 9.5/9.6``."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import djl_bridge
from djl_bridge import nmtdata
from djl_bridge.errors import ConfigError, DataError

from .conftest import ROOT, run_cli

REAL = Path(os.environ.get(nmtdata.ENV_VAR) or ROOT.parent / "shared/data/fra-eng/fra.txt")
needs_real = pytest.mark.skipif(not REAL.is_file(), reason="fra.txt not beside the checkout")
TINY = ("Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\nRun!\tCourez !\nGo.\tVa !\n"
        "I lost.\tJ'ai perdu.\nI lost it all.\tJ'ai tout perdu.\n")


def test_bleu_the_books_values() -> None:
    assert djl_bridge.bleu("il est riche .", "il est calme .") == pytest.approx(0.658, abs=5e-4)
    assert djl_bridge.bleu("je suis en retard ?", "je suis chez moi .", k=2) == pytest.approx(
        0.447, abs=5e-4)
    assert djl_bridge.bleu("va !", "va !") == 1.0


def test_bleu_of_a_prediction_shorter_than_k_is_zero() -> None:
    # The book divides by zero here; the Java Seq2Seq.bleu and its twin return 0.
    assert djl_bridge.bleu("va", "va !", k=2) == 0.0
    assert djl_bridge.bleu("va", "va !", k=1) > 0.0


@pytest.mark.parametrize("args, field", [(("a", "a", 0), "k"), (("a", "a", True), "k"),
                                         (("a", "a", 1.5), "k"), ((["a"], "a", 2), "pred_seq"),
                                         (("a", None, 2), "label_seq")])
def test_bleu_bad_arguments_one_line(args: tuple, field: str) -> None:
    with pytest.raises(ConfigError, match=f"bleu: {field} must be"):
        djl_bridge.bleu(*args)


def test_bleu_equals_javas(jvm: None) -> None:
    from djl_bridge.bridge import nmt as jnmt, thread

    for pred, label, k in (("il est riche .", "il est calme .", 2), ("je suis", "je suis chez "
                           "moi .", 2), ("a b c d", "a b c d e f", 3), ("va", "va !", 2)):
        java = thread.call(lambda: jnmt.bleu(pred, label, k))
        assert djl_bridge.bleu(pred, label, k) == pytest.approx(java, abs=1e-12)


def test_the_data_set_from_java_equals_the_twin(tmp_path: Path, jvm: None) -> None:
    from djl_bridge.reference import nmt as ref

    path = tmp_path / "fra.txt"
    path.write_text(TINY, encoding="utf-8")
    ds = djl_bridge.nmt_dataset(path, batch_size=2, num_steps=4, num_examples=0, verify=False)
    twin = ref.load_data_nmt(TINY, 4)
    assert ds.source_vocab == twin.src_vocab.idx_to_token
    assert ds.target_vocab == twin.tgt_vocab.idx_to_token
    for got, want in ((ds.X, twin.src), (ds.X_valid_len, twin.src_valid_len), (ds.Y, twin.tgt),
                      (ds.Y_valid_len, twin.tgt_valid_len)):
        assert isinstance(got, np.ndarray) and np.array_equal(got, want)
    assert len(ds) == 7 and not ds.verified and "tatoeba.org" in ds.attribution
    assert json.loads(json.dumps(ds.to_dict()))["X"] == twin.src.tolist()


def test_the_data_set_refuses_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="num_steps must be a whole number from 1"):
        djl_bridge.nmt_dataset(tmp_path, num_steps=0)
    with pytest.raises(DataError, match="is a directory"):
        djl_bridge.nmt_dataset(tmp_path)


@needs_real
def test_the_books_data_set(jvm: None) -> None:
    ds = djl_bridge.nmt_dataset(REAL)
    assert ds.verified and ds.X.shape == (601, 10) and ds.Y.shape == (601, 10)
    assert (len(ds.source_vocab), len(ds.target_vocab)) == (184, 201)
    assert ds.source_vocab[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"]
    assert int(ds.Y_valid_len.sum()) == 2541  # the target tokens of an epoch (notes)


@pytest.mark.subprocess
@needs_real
def test_cli_section_9_5_prints_the_texts_output() -> None:
    proc = run_cli(["train", "--section", "9.5", "--data", str(REAL)])
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Go.\tVa !\nHi.\tSalut !") and "go .\tva !\nhi .\tsalut !" in out
    assert "len(src_vocab): 10012" in out
    assert "truncate_pad(source[0], 10): [47, 4, 1, 1, 1, 1, 1, 1, 1, 1]" in out
    assert "valid lengths for X: [3, 3]" in out and "CC-BY 2.0 FR" in out
    proc = run_cli(["train", "--section", "9.5", "--json"], env={nmtdata.ENV_VAR: str(REAL)})
    shown = json.loads(proc.stdout)
    assert shown["source_vocab_size"] == 10012 and shown["verified"]
    assert shown["source"][5] == ["wow", "!"] and len(shown["batch"]["X"][0]) == 8


@pytest.mark.subprocess
def test_cli_section_9_5_bad_data_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "fra.txt"
    bad.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n", encoding="utf-8")
    proc = run_cli(["train", "--section", "9.5", "--data", str(bad)])
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "has 3 columns" in proc.stderr
    proc = run_cli(["train", "--section", "9.5", "--data", str(tmp_path / "x.txt")],
                   env={nmtdata.ENV_VAR: ""})
    assert proc.returncode == 1 and "--data PATH" in proc.stderr and "fra-eng.zip" in proc.stderr


@pytest.mark.subprocess
def test_cli_section_9_6_runs_nothing_and_says_so() -> None:
    proc = run_cli(["train", "--section", "9.6", "--json"])
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["runs"] is None and "9.7" in json.loads(proc.stdout)["note"]


def test_cli_section_9_5_refuses_a_training_flag_in_one_line(capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    from djl_bridge.cli import main

    assert main(["train", "--section", "9.5", "--hidden", "8"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--hidden does not apply to section 9.5 (it trains nothing" in err[0]
    assert main(["train", "--section", "9.6", "--checkpoint-dir", "x"]) == 1
    assert "--checkpoint-dir does not apply to section 9.6" in capsys.readouterr().err
