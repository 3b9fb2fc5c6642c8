"""Parity of D2L 9.5-9.7 (``djlbridge.seq2seq``) against the twin (:mod:`..reference.nmt`,
:mod:`..reference.seq2seq`, :mod:`..reference.bleu`): the data pipeline, the masked loss and its
gradient, BLEU, the encoder and decoder forward, one Adam step, greedy translation. Each row's
control (a twin with the Java text's or another convention) fails it: ``tests/test_seq2seq.py``.

Every Java call goes through :class:`djl_bridge.bridge.seq2seq_parity.Seq2SeqJava`."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..bridge.seq2seq_parity import Seq2SeqJava
from ..reference import bleu as ref_bleu, nmt as ref_nmt, seq2seq as ref
from .core import TOL_FORWARD, TOL_GRAD, CheckResult, Context, _count_mismatches, _exact, _numeric

#: Pairs in the layout of fra.txt (the first ones after tatoeba.org via manythings.org/anki,
#: CC-BY 2.0 FR, plus made-up cases): narrow and plain no-break spaces, double and trailing
#: spaces, a line without a tab, one with three columns, a line longer than the steps.
SAMPLE = ("Go.\tVa !\nHi.\tSalut !\nRun!\tCours\u202f!\nRun!\tCourez !\nWho?\tQui ?\n"
          "Wow!\tÇa alors\u00a0!\nI lost.\tJ'ai perdu.\nHe's calm.\tIl est calme.\n"
          "I'm home.\tJe suis chez moi.\nGo  on. \tVa, vas-y !\nno tab here\n"
          "Go.\tVa !\textra\nI lost it all, I'm home.\tJ'ai tout perdu, je suis chez moi.\n"
          "He's home.\tIl est chez lui.\nI'm calm.\tJe suis calme.\n")
NUM_STEPS = 6
EMBED, HIDDEN, LAYERS = 5, 7, 2
#: The greedy rows' sources.
SENTENCES = ("go .", "i lost .", "he's calm .", "i'm home .", "run !", "who ?")


def java(ctx: Context) -> Seq2SeqJava:
    """The Java side of these rows (through the bridge)."""
    return Seq2SeqJava(ctx.java)


def _java_data(ctx: Context) -> tuple[Any, Any, list[str], list[str], list[np.ndarray]]:
    """loadDataNMT on SAMPLE: the vocabularies (handles, tokens), X, X_valid_len, Y,
    Y_valid_len."""
    return java(ctx).load_data(SAMPLE, 2, NUM_STEPS)


def check_nmt_data(ctx: Context) -> CheckResult:
    """``preprocessNMT``, ``tokenizeNMT`` (all and 3 examples), both vocabularies and the four
    arrays of ``loadDataNMT`` (every row, in order)."""
    j = java(ctx)
    mismatches = int(j.preprocess(SAMPLE) != ref_nmt.preprocess_nmt(SAMPLE))
    text = ref_nmt.preprocess_nmt(SAMPLE)
    for n in (0, 3):
        jsrc_lines, jtgt_lines = j.tokenize(text, n)
        src, tgt = ref_nmt.tokenize_nmt(text, n)
        for jl, tl in ((jsrc_lines, src), (jtgt_lines, tgt)):
            mismatches += _count_mismatches(jl, tl)
    _, _, jsrc, jtgt, arrays = _java_data(ctx)
    twin = ref_nmt.load_data_nmt(SAMPLE, NUM_STEPS)
    for jv, tv in ((jsrc, twin.src_vocab), (jtgt, twin.tgt_vocab)):
        mismatches += _count_mismatches(jv, tv.idx_to_token)
    for a, b in zip(arrays, (twin.src, twin.src_valid_len, twin.tgt, twin.tgt_valid_len)):
        mismatches += int(a.shape != b.shape) or int((a != b).sum())
    return _exact("seq2seq data", mismatches, f"{len(twin.src)} pairs, {NUM_STEPS} steps")


def check_masked_loss(ctx: Context) -> CheckResult:
    """``MaskedSoftmaxCELoss.evaluate`` per sentence and the gradient of its sum by the logits."""
    logits = ctx.rng.normal(0, 2, (4, 5, 7))
    label = ctx.rng.integers(0, 7, (4, 5))
    valid = np.array([5, 2, 0, 3])
    java_arrays = list(java(ctx).masked_loss(logits, label, valid))
    value, grad = ref.masked_softmax_ce(logits, label, valid)
    return _numeric("seq2seq masked loss", java_arrays, [value, grad], TOL_GRAD,
                    "value and gradient, valid lengths 5 2 0 3")


BLEU_CASES = (("il est riche .", "il est calme .", 2),
              ("je suis en retard ?", "je suis chez moi .", 2),
              ("je suis", "je suis chez moi .", 2), ("va !", "va !", 2), ("a b c d", "a b", 3),
              ("il est il est", "il est calme .", 2), ("va", "va !", 2), ("il il il", "il", 1))


def check_bleu(ctx: Context) -> CheckResult:
    """``Seq2Seq.bleu`` on cases with shorter and longer predictions, repeats, k 1 to 3."""
    got = java(ctx).bleu(BLEU_CASES)
    want = [ref_bleu.bleu(p, l, k) for p, l, k in BLEU_CASES]
    return _numeric("seq2seq bleu", [np.array(got)], [np.array(want)], 1e-9,
                    f"{len(BLEU_CASES)} cases")


def _random_model(ctx: Context, v_src: int, v_tgt: int, scale: float
                  ) -> tuple[Any, list[np.ndarray]]:
    def draw(dims: tuple[int, ...]) -> np.ndarray:
        return ctx.rng.normal(0, scale if len(dims) > 1 else scale / 2, dims)

    return java(ctx).new_model(v_src, v_tgt, EMBED, HIDDEN, LAYERS, NUM_STEPS, draw)


def check_forward(ctx: Context) -> CheckResult:
    """The encoder's outputs and state and the decoder's logits and state, 2 GRU layers, random
    weights and non-zero biases."""
    net, weights = _random_model(ctx, 11, 13, 0.4)
    p = ref.Seq2SeqParams.of(weights, LAYERS)
    x = ctx.rng.integers(0, 11, (3, NUM_STEPS))
    y = ctx.rng.integers(0, 13, (3, NUM_STEPS))
    java_arrays = java(ctx).forward(net, x, y)
    outs, state = ref.encode(p, x)
    logits, dec_state = ref.decode(p, y, state)
    return _numeric("seq2seq forward", java_arrays, [outs, state, logits, dec_state], TOL_FORWARD,
                    f"{LAYERS} GRU layers, embed {EMBED}, hidden {HIDDEN}")


def check_adam(ctx: Context) -> CheckResult:
    """Three steps of ``Seq2Seq.adam`` (DJL's Adam) on one array against MXNet's adam_update."""
    lr = 0.005
    w = ctx.rng.normal(0, 1, (4, 3))
    start = w
    m, v = np.zeros_like(w), np.zeros_like(w)
    grads = []
    for t in range(1, 4):
        g = ctx.rng.normal(0, 10.0 ** -t, w.shape)
        grads.append(g)
        w, m, v = ref.adam_step(w, g, m, v, t, lr)
    got = java(ctx).adam(lr, start, grads)
    return _numeric("seq2seq adam", [got], [w], TOL_FORWARD, "3 steps, lr 0.005")


def check_greedy(ctx: Context) -> CheckResult:
    """``Seq2Seq.predictSeq2Seq`` against the twin's greedy translation, three models of random
    weights (large enough that the translations vary)."""
    jsrc, jtgt, _, _, _ = _java_data(ctx)
    twin = ref_nmt.load_data_nmt(SAMPLE, NUM_STEPS)
    sv, tv = twin.src_vocab, twin.tgt_vocab
    mismatches, tokens = 0, 0
    for _ in range(3):
        net, weights = _random_model(ctx, len(sv), len(tv), 1.2)
        p = ref.Seq2SeqParams.of(weights, LAYERS)
        for sentence in SENTENCES:
            got = java(ctx).greedy(net, sentence, jsrc, jtgt, NUM_STEPS)
            src = ref_nmt.truncate_pad([sv.idx(t) for t in sentence.lower().split(" ")]
                                       + [sv.idx("<eos>")], NUM_STEPS, sv.idx("<pad>"))
            ids = ref.predict_greedy(p, src, tv.idx("<bos>"), tv.idx("<eos>"), NUM_STEPS)
            want = tv.to_tokens(ids)
            mismatches += _count_mismatches(got.split(" ") if got else [], want)
            tokens += len(want)
    return _exact("seq2seq greedy", mismatches,
                  f"3 models, {len(SENTENCES)} sentences, {tokens} tokens")


#: The rows, by id (registered in :data:`djl_bridge.parity.CHECKS`).
SEQ2SEQ_CHECKS: list[tuple[str, Callable[[Context], CheckResult]]] = [
    ("seq2seq data", check_nmt_data),
    ("seq2seq masked loss", check_masked_loss),
    ("seq2seq bleu", check_bleu),
    ("seq2seq forward", check_forward),
    ("seq2seq adam", check_adam),
    ("seq2seq greedy", check_greedy),
]
