"""D2L 9.5-9.7 (issue 24): the numpy twin against the book's checked numbers, every seq2seq parity
row against the Java classes, and a control per row: a twin with the Java text's (or another)
convention fails it."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from djl_bridge import parity
from djl_bridge.parity.seq2seq_checks import SEQ2SEQ_CHECKS
from djl_bridge.reference import bleu as ref_bleu, nmt as ref_nmt, seq2seq as ref_s2s

#: fra.txt: $DJL_BRIDGE_FRA, else the shared data folder beside the checkout.
FRA = Path(os.environ.get("DJL_BRIDGE_FRA",
                          Path(__file__).resolve().parents[2] / "shared/data/fra-eng/fra.txt"))


def test_bleu_as_the_book() -> None:
    assert ref_bleu.bleu("il est riche .", "il est calme .", 2) == pytest.approx(0.658, abs=5e-4)
    assert ref_bleu.bleu("je suis en retard ?", "je suis chez moi .", 2) == \
        pytest.approx(0.447, abs=5e-4)
    # shorter than k: the book raises ZeroDivisionError, the project says 0
    assert ref_bleu.bleu("va", "va !", 2) == 0.0


def test_bleu_int_division_is_the_java_texts_departure(monkeypatch: pytest.MonkeyPatch) -> None:
    book = ref_bleu.bleu("je suis", "je suis chez moi .", 2)
    monkeypatch.setattr(ref_bleu, "FLOAT_DIVISION", False)
    text = ref_bleu.bleu("je suis", "je suis chez moi .", 2)
    assert book == pytest.approx(np.exp(1 - 5 / 2)) and text == pytest.approx(np.exp(-1))


def test_mask_and_loss_as_the_book() -> None:
    x = np.array([[1, 2, 3], [4, 5, 6]])
    assert ref_s2s.sequence_mask(x, np.array([1, 2])).tolist() == [[1, 0, 0], [4, 5, 0]]
    loss, _ = ref_s2s.masked_softmax_ce(np.ones((3, 4, 10)), np.ones((3, 4), int),
                                        np.array([4, 2, 0]))
    assert loss == pytest.approx([2.3026, 1.1513, 0.0], abs=1e-4)


def test_masked_loss_gradient_by_finite_differences() -> None:
    rng = np.random.default_rng(1)
    logits, label, valid = rng.normal(size=(2, 3, 5)), rng.integers(0, 5, (2, 3)), np.array([1, 3])
    loss, grad = ref_s2s.masked_softmax_ce(logits, label, valid)
    eps = 1e-6
    for idx in [(0, 0, 1), (0, 2, 3), (1, 1, 2), (1, 2, 0)]:
        bumped = logits.copy()
        bumped[idx] += eps
        num = (ref_s2s.masked_softmax_ce(bumped, label, valid)[0].sum() - loss.sum()) / eps
        assert num == pytest.approx(grad[idx], abs=1e-5)


def test_tokenize_keeps_empty_strings_and_reads_lines_up_to_num_examples() -> None:
    src, _ = ref_nmt.tokenize_nmt("a  b \tc\nno tab\nd\te\nf\tg\n", 2)
    assert src == [["a", "", "b", ""], ["d"]]


@pytest.mark.skipif(not FRA.is_file(), reason="fra.txt not beside the checkout")
def test_the_real_file_as_the_book_counts_it() -> None:
    text = FRA.read_text(encoding="utf-8")
    data = ref_nmt.load_data_nmt(text, 10, 600)
    assert len(data.src) == 601 and len(data.src_vocab) == 184 and len(data.tgt_vocab) == 201
    assert int(data.tgt_valid_len.sum()) == 2541


@pytest.fixture(scope="module")
def ctx(jvm: None, corpus: Path) -> Iterator[parity.Context]:
    context = parity.Context(parity.ParitySetup(data=corpus))
    yield context
    context.close()


@pytest.mark.parametrize("check_id", [i for i, _ in SEQ2SEQ_CHECKS])
def test_seq2seq_row(ctx: parity.Context, check_id: str) -> None:
    assert check_id in parity.check_ids()
    result = parity.run_check(ctx, check_id)
    assert result.ok, result


@pytest.mark.parametrize("check_id,module,flag,value", [
    ("seq2seq data", ref_nmt, "KEEP_EMPTY_TOKENS", False),            # Java's split(" ")
    ("seq2seq masked loss", ref_s2s, "PER_TOKEN_MASK", False),        # the Java text's loss
    ("seq2seq bleu", ref_bleu, "FLOAT_DIVISION", False),              # the Java text's bleu
    ("seq2seq forward", ref_s2s, "GRU_ONE_LAYER_BLOCKS", False),      # one DJL stacked GRU
    ("seq2seq adam", ref_s2s, "ADAM_BIAS_CORRECTION", False),
    ("seq2seq greedy", ref_s2s, "KEEP_ENCODER_CONTEXT", True),        # d2l 1.0's prediction
])
def test_control_fails(ctx: parity.Context, monkeypatch: pytest.MonkeyPatch, check_id: str,
                       module: object, flag: str, value: bool) -> None:
    monkeypatch.setattr(module, flag, value)
    result = parity.run_check(ctx, check_id)
    assert not result.ok, result
