"""The torch-free parts of benchmarks/torch_seq2seq.py (the PyTorch reference of the seq2seq
benchmark, D2L 9.5-9.7): the book's data pipeline on a tiny hand-made file, BLEU's checked
values, and the one-line errors that come before torch is imported. Needs neither torch, nor
Java, nor the real fra.txt."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "torch_seq2seq.py"

# english<TAB>french, with the book's oddities: no space before the punctuation, a narrow
# no-break space and a no-break space before '!', capitals, a trailing newline.
TINY = ("Go.\tVa !\nHi.\tSalut\u202f!\nRun!\tCours !\nWow, nice.\tÇa alors\xa0!\n"
        "I'm OK.\tJe vais bien.\n")


@pytest.fixture(scope="module")
def s2s() -> ModuleType:
    spec = importlib.util.spec_from_file_location("torch_seq2seq_ref", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "fra.txt"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_the_data_pipeline_and_bleu_run_where_torch_cannot_be_imported(tiny: Path) -> None:
    # A fresh interpreter in which `import torch` fails: loading the script, the pipeline and
    # bleu must still work (the tests and the lead's machine have no torch).
    code = (
        "import sys, importlib.util\n"
        "sys.modules['torch'] = None\n"
        f"spec = importlib.util.spec_from_file_location('s2s', {str(SCRIPT)!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['s2s'] = m\n"
        "spec.loader.exec_module(m)\n"
        f"d = m.load_data_nmt(__import__('pathlib').Path({str(tiny)!r}), 4)\n"
        "print(len(d.src_vocab), int(d.tgt_valid_len.sum()), round(m.bleu('a b', 'a b', 2), 3))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5", "17", "1.0"]


def test_preprocess_nmt(s2s: ModuleType, tiny: Path) -> None:
    text = s2s.preprocess_nmt(s2s.read_data_nmt(tiny))
    assert text == ("go .\tva !\nhi .\tsalut !\nrun !\tcours !\nwow , nice .\tça alors !\n"
                    "i'm ok .\tje vais bien .\n")


def test_tokenize_stops_when_i_exceeds_num_examples(s2s: ModuleType, tiny: Path) -> None:
    text = s2s.preprocess_nmt(s2s.read_data_nmt(tiny))
    source, target = s2s.tokenize_nmt(text, 2)
    assert len(source) == len(target) == 3  # i = 0, 1, 2: one more than num_examples
    assert source[2] == ["run", "!"] and target[2] == ["cours", "!"]
    source, target = s2s.tokenize_nmt(text)
    assert len(source) == 5  # the empty line after the last newline has one column: skipped
    assert source[3] == ["wow", ",", "nice", "."] and target[4] == ["je", "vais", "bien", "."]


def test_truncate_pad(s2s: ModuleType) -> None:
    assert s2s.truncate_pad([5, 6, 7], 5, 1) == [5, 6, 7, 1, 1]
    assert s2s.truncate_pad([5, 6, 7, 8, 9, 10, 11], 5, 1) == [5, 6, 7, 8, 9]
    assert s2s.truncate_pad([5, 6], 2, 1) == [5, 6]


def test_vocab_and_valid_lengths(s2s: ModuleType, tiny: Path) -> None:
    data = s2s.load_data_nmt(tiny, num_steps=4, num_examples=600)
    # '<unk>' first, the reserved tokens, then only '.' (source) / '!' (target) reach min_freq 2.
    assert data.src_vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "<eos>", "."]
    assert data.tgt_vocab.idx_to_token == ["<unk>", "<pad>", "<bos>", "<eos>", "!"]
    assert data.src.shape == data.tgt.shape == (5, 4)
    # 'go .' + <eos>; 'wow , nice .' + <eos> cut to 4 steps (the <eos> is lost, as in the book).
    assert data.src[0].tolist() == [0, 4, 3, 1]
    assert data.src[3].tolist() == [0, 0, 0, 4]
    assert data.src_valid_len.tolist() == [3, 3, 3, 4, 4]
    assert data.tgt_valid_len.tolist() == [3, 3, 3, 4, 4]
    assert int(data.tgt_valid_len.sum()) == 17


def test_the_books_zip_reads_as_its_fra_txt(s2s: ModuleType, tiny: Path, tmp_path: Path) -> None:
    archive = tmp_path / "fra-eng.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("fra-eng/_about.txt", "about")
        out.writestr("fra-eng/fra.txt", TINY)
    assert s2s.read_data_nmt(archive) == s2s.read_data_nmt(tiny) == TINY
    empty = tmp_path / "other.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("eng.txt", TINY)
    with pytest.raises(ValueError, match="holds no fra.txt"):
        s2s.read_data_nmt(empty)


def test_a_third_column_is_refused_not_skipped(s2s: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "fra.txt"
    path.write_text("Go.\tVa !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1 has 3 tab-separated columns"):
        s2s.load_data_nmt(path, num_steps=4)


@pytest.mark.parametrize(("pred", "label", "k", "expected"), [
    ("il est riche .", "il est calme .", 2, 0.658),  # the values the notes checked
    ("je suis en retard ?", "je suis chez moi .", 2, 0.447),
    ("va !", "va !", 2, 1.0),
    ("va", "va !", 2, 0.0),  # shorter than k: the book divides by zero; 0.0 here
    ("va", "va !", 1, 0.3679),  # brevity penalty exp(1 - 2/1), unigram precision 1
])
def test_bleu(s2s: ModuleType, pred: str, label: str, k: int, expected: float) -> None:
    assert s2s.bleu(pred, label, k) == pytest.approx(expected, abs=5e-4)


def test_bad_input_fails_with_one_line_before_torch(tmp_path: Path) -> None:
    bad = tmp_path / "fra.txt"
    bad.write_text("Go.\tVa !\tCC-BY\n", encoding="utf-8")
    for args, start in (
            (["--data", str(bad)], "djl-bridge: error: cannot read"),
            (["--data", str(tmp_path / "missing.txt")], "djl-bridge: error: data file not found"),
            (["--data", str(bad), "--hidden", "0"], "djl-bridge: error: --hidden must be a whole number > 0"),
            (["--data", str(bad), "--dropout", "1"], "djl-bridge: error: --dropout must be a finite number")):
        proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        assert proc.returncode == 1, args
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert proc.stderr.startswith(start), proc.stderr
