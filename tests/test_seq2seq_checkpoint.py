"""Sequence-to-sequence checkpoints and ``translate`` (issue 24): the language model's trust
(atomic, manifest, read once, the kind recorded), resume, and one line for each bad input.
Tiny settings on a tiny made-up fra.txt (verify_data False)."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import checkpoint
from djl_bridge.checkpoint.seq2seq import read_seq2seq_checkpoint
from djl_bridge.config import TrainConfig
from djl_bridge.errors import CheckpointError, ConfigError
from djl_bridge.seq2seq import train_seq2seq
from djl_bridge.seq2seq_config import Seq2SeqConfig
from djl_bridge.session import RunOptions

from .conftest import fake_params, run_cli

PAIRS = ["Go.\tVa !", "Hi.\tSalut !", "Run!\tCours !", "I lost.\tJ'ai perdu.",
         "He's calm.\tIl est calme.", "I'm home.\tJe suis chez moi."] * 2


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seq2SeqConfig]:
    """Two epochs of a tiny model, checkpointed every epoch."""
    import djl_bridge.bridge as bridge

    bridge.start()
    tmp = tmp_path_factory.mktemp("s2s")
    data = tmp / "fra.txt"
    data.write_text("".join(p + "\n" for p in PAIRS), encoding="utf-8")
    config = Seq2SeqConfig(embed=8, hidden=8, batch_size=4, num_steps=6, epochs=2, data=data,
                           verify_data=False, num_examples=100)
    result = train_seq2seq(config, RunOptions(checkpoint_dir=tmp / "ck", save_every=1,
                                              progress=False))
    assert result.extras["checkpoint"] == str(tmp / "ck" / "epoch-000002")
    return tmp / "ck", config


def test_the_checkpoint_records_its_kind_and_every_files_sum(trained: tuple[Path, Seq2SeqConfig]
                                                              ) -> None:
    root, config = trained
    assert (root / "LATEST").read_text().strip() == "epoch-000002"
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("epoch-")) == [
        "epoch-000001", "epoch-000002"]
    meta = json.loads((root / "epoch-000002" / "checkpoint.json").read_text())
    assert meta["kind"] == "seq2seq" and meta["version"] == checkpoint.layout.SEQ2SEQ_VERSION
    assert set(meta["files"]) == {"model.params", "source_vocab.json", "target_vocab.json"}
    assert meta["manifest_sha256"] == checkpoint.layout.manifest_digest(meta)
    ck = read_seq2seq_checkpoint(root)
    assert ck.epochs_done == 2 and len(ck.loss) == 2 and ck.config.hidden == 8
    assert ck.source_vocab[:4] == ["<unk>", "<pad>", "<bos>", "<eos>"] and "go" in ck.source_vocab
    assert checkpoint.layout.checkpoint_kind(root) == "seq2seq"


def test_translate_one_sentence_or_several(trained: tuple[Path, Seq2SeqConfig]) -> None:
    root, _ = trained
    one = djl_bridge.translate(root, "Go.")  # prepared as the book's data: "go ."
    assert isinstance(one, str)
    both = djl_bridge.translate(root / "epoch-000001", ["go .", "i lost ."])
    assert isinstance(both, list) and len(both) == 2
    assert djl_bridge.translate(root, ["go ."]) == [one]


def test_unknown_words_become_unk_with_a_note(trained: tuple[Path, Seq2SeqConfig]) -> None:
    root, _ = trained
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        djl_bridge.translate(root, "he's zzz .")
    assert [str(w.message) for w in caught] == [
        "'zzz' of \"he's zzz .\" not in the model's vocabulary: translated as <unk>"]
    assert issubclass(caught[0].category, djl_bridge.UnknownWordsWarning)


@pytest.mark.parametrize("sentence, expected", [
    ("", "sentence is empty"), ("   ", "sentence is empty"),
    (" ?! ", "holds only punctuation"), (".", "holds only punctuation"),
    ("go go go go go go", "has 6 tokens (punctuation counts), more than the 5 this model reads"),
    ("go go go go go go", "train with a larger Seq2SeqConfig.num_steps"),
    (["go .", 3], "sentence must be a str, got int"), ([], "no sentence given"),
])
def test_bad_sentences_one_line_before_any_java(trained: tuple[Path, Seq2SeqConfig],
                                                 sentence: object, expected: str) -> None:
    root, _ = trained
    with pytest.raises(ConfigError) as info:
        djl_bridge.translate(root, sentence)  # type: ignore[arg-type]
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_each_task_refuses_the_others_checkpoint(trained: tuple[Path, Seq2SeqConfig],
                                                 tmp_path: Path) -> None:
    root, _ = trained
    with pytest.raises(CheckpointError, match="is a sequence-to-sequence checkpoint .* "
                                              "translate with it"):
        djl_bridge.predict(root, "time", 5)
    with pytest.raises(CheckpointError, match="is a sequence-to-sequence checkpoint"):
        djl_bridge.resume(root, epochs=5)
    lm = tmp_path / "lm"
    config = TrainConfig(hidden=8, epochs=1)
    vocab = ["<unk>", " ", "a", "b"]
    checkpoint.write_checkpoint(lm, config, 1, [5.0], [100.0], vocab,
                                lambda p: p.write_bytes(fake_params(config, vocab)))
    with pytest.raises(CheckpointError, match="is a language model's checkpoint .* generate "
                                              "text with it .*djl-bridge predict"):
        djl_bridge.translate(lm, "go .")
    assert checkpoint.layout.checkpoint_kind(lm) == "language-model"


def test_a_changed_file_is_refused(trained: tuple[Path, Seq2SeqConfig], tmp_path: Path) -> None:
    import shutil

    root, _ = trained
    copy = tmp_path / "ck"
    shutil.copytree(root, copy)
    params = copy / "epoch-000002" / "model.params"
    data = bytearray(params.read_bytes())
    data[-1] ^= 0xFF
    params.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="model.params"):
        read_seq2seq_checkpoint(copy)
    vocab = copy / "epoch-000002" / "target_vocab.json"
    vocab.write_text(vocab.read_text().replace("va", "vz"))
    with pytest.raises(CheckpointError, match="target_vocab.json"):
        read_seq2seq_checkpoint(copy / "epoch-000002")


def test_resume_goes_on_and_refuses_a_model_change(trained: tuple[Path, Seq2SeqConfig],
                                                   tmp_path: Path) -> None:
    import shutil

    root, config = trained
    copy = tmp_path / "ck"
    shutil.copytree(root, copy)
    with pytest.raises(ConfigError, match="Seq2SeqConfig.hidden is 16, but the checkpoint"):
        train_seq2seq(Seq2SeqConfig(**{**config.__dict__, "hidden": 16, "epochs": 3}),
                      RunOptions(checkpoint_dir=copy, progress=False), resume_from=copy)
    with pytest.raises(ConfigError, match="has done 2 epochs: give a larger total"):
        train_seq2seq(config, RunOptions(checkpoint_dir=copy, progress=False), resume_from=copy)
    result = train_seq2seq(Seq2SeqConfig(**{**config.__dict__, "epochs": 3}),
                           RunOptions(checkpoint_dir=copy, progress=False), resume_from=copy)
    ck = read_seq2seq_checkpoint(copy)
    assert ck.epochs_done == 3 and ck.loss[:2] == read_seq2seq_checkpoint(root).loss
    assert list(result.loss[:2]) == ck.loss[:2]


def test_a_new_run_keeps_another_runs_checkpoints(trained: tuple[Path, Seq2SeqConfig]) -> None:
    root, config = trained
    with pytest.raises(CheckpointError, match=r"already holds the checkpoints of another run "
                                              r"\(epoch 2, seq2seq GRU encoder-decoder"):
        train_seq2seq(config, RunOptions(checkpoint_dir=root, progress=False))


def test_a_kind_this_version_does_not_know_is_refused(trained: tuple[Path, Seq2SeqConfig],
                                                      tmp_path: Path) -> None:
    import shutil

    root, _ = trained
    copy = tmp_path / "ck"
    shutil.copytree(root, copy)
    meta_file = copy / "epoch-000002" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    meta["kind"] = "transformer"
    meta["manifest_sha256"] = checkpoint.layout.manifest_digest(meta)
    meta_file.write_text(json.dumps(meta))
    for read in (read_seq2seq_checkpoint, checkpoint.read_checkpoint):
        with pytest.raises(CheckpointError, match="holds a kind of checkpoint this djl-bridge "
                                                  r"does not know \('transformer', version 4\)"):
            read(copy)


@pytest.mark.subprocess
def test_cli_translate(trained: tuple[Path, Seq2SeqConfig]) -> None:
    root, _ = trained
    proc = run_cli(["translate", "--checkpoint", str(root), "go .", "he's zzz .", "--json"])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [t["source"] for t in out["translations"]] == ["go .", "he's zzz ."]
    assert out["translations"][1]["unknown"] == ["zzz"] and "translated as <unk>" in proc.stderr
    proc = run_cli(["translate", "--checkpoint", str(root), "?"])
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.count("\n") == 1
    assert "holds only punctuation" in proc.stderr


@pytest.mark.subprocess
def test_cli_resume_of_a_seq2seq_checkpoint(trained: tuple[Path, Seq2SeqConfig],
                                            tmp_path: Path) -> None:
    import shutil

    root, _ = trained
    copy = tmp_path / "ck"
    shutil.copytree(root, copy)
    proc = run_cli(["train", "--resume", str(copy), "--hidden", "16"])
    assert proc.returncode == 1 and "--hidden is 16, but the checkpoint" in proc.stderr
    proc = run_cli(["train", "--resume", str(copy), "--epochs", "3", "--json"])
    assert proc.returncode == 0, proc.stderr
    assert "resumed from epoch 2" in proc.stderr
    assert json.loads(proc.stdout)["checkpoint"] == str(copy / "epoch-000003")
    proc = run_cli(["predict", "--checkpoint", str(copy)])
    assert proc.returncode == 1 and "is a sequence-to-sequence checkpoint" in proc.stderr


def test_java_trains_on_the_bytes_python_verified(trained: tuple[Path, Seq2SeqConfig],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # The file is replaced after Python read and checked it: the run still trains on what was
    # checked (Java is handed those bytes; it opens no path again).
    import djl_bridge.seq2seq as s2s

    _, config = trained
    data = tmp_path / "fra.txt"
    data.write_bytes(config.data.read_bytes())
    real = s2s.read_fra

    def read_then_replace(*args: object, **kwargs: object) -> object:
        fra = real(*args, **kwargs)
        data.write_text("Go.\tVa !\tCC-BY 2.0 (France)\n", encoding="utf-8")
        return fra

    monkeypatch.setattr(s2s, "read_fra", read_then_replace)
    result = train_seq2seq(Seq2SeqConfig(**{**config.__dict__, "data": data, "epochs": 1}),
                           RunOptions(progress=False))
    assert len(result.loss) == 1
