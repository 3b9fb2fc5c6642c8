"""Parity of D2L 9.5-9.7 (``djlbridge.seq2seq``) against the twin (:mod:`..reference.nmt`,
:mod:`..reference.seq2seq`, :mod:`..reference.bleu`): the data pipeline, the masked loss and its
gradient, BLEU, the encoder and decoder forward, one Adam step, greedy translation. Each row's
control (a twin with the Java text's or another convention) fails it: ``tests/test_seq2seq.py``.

The Java classes are looked up in :func:`java` only (one place, to move into the facade)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from .. import facade
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


def java() -> SimpleNamespace:
    """The Java classes of these rows."""
    return SimpleNamespace(
        NMT=facade.jclass("djlbridge.seq2seq.NMT"),
        Seq2Seq=facade.jclass("djlbridge.seq2seq.Seq2Seq"),
        Loss=facade.jclass("djlbridge.seq2seq.MaskedSoftmaxCELoss"),
        EncoderDecoder=facade.jclass("djlbridge.seq2seq.EncoderDecoder"),
        Encoder=facade.jclass("djlbridge.seq2seq.Seq2SeqEncoder"),
        Decoder=facade.jclass("djlbridge.seq2seq.Seq2SeqDecoder"),
    )


def _ints(arr: Any) -> np.ndarray:
    shape = tuple(int(d) for d in arr.getShape().getShape())
    return np.array(list(arr.toIntArray()), dtype=np.int64).reshape(shape)


def _java_data(ctx: Context) -> tuple[Any, Any, Any, list[np.ndarray]]:
    """loadDataNMT on SAMPLE: the data set, the vocabularies, X, X_valid_len, Y, Y_valid_len."""
    pair = java().NMT.loadDataNMT(SAMPLE, 2, NUM_STEPS, 0, ctx.manager)
    ds = pair.getKey()
    batch = ds.getByRange(ctx.manager, 0, ds.size())
    arrays = [_ints(batch.getData().get(i)) for i in (0, 1)]
    arrays += [_ints(batch.getLabels().get(i)) for i in (0, 1)]
    return ds, pair.getValue().getKey(), pair.getValue().getValue(), arrays


def check_nmt_data(ctx: Context) -> CheckResult:
    """``preprocessNMT``, ``tokenizeNMT`` (all and 3 examples), both vocabularies and the four
    arrays of ``loadDataNMT`` (every row, in order)."""
    j = java()
    mismatches = int(str(j.NMT.preprocessNMT(SAMPLE)) != ref_nmt.preprocess_nmt(SAMPLE))
    text = ref_nmt.preprocess_nmt(SAMPLE)
    for n in (0, 3):
        pair = j.NMT.tokenizeNMT(text, n)
        src, tgt = ref_nmt.tokenize_nmt(text, n)
        for jl, tl in ((pair.getKey(), src), (pair.getValue(), tgt)):
            mismatches += _count_mismatches([[str(t) for t in line] for line in jl], tl)
    _, jsrc, jtgt, arrays = _java_data(ctx)
    twin = ref_nmt.load_data_nmt(SAMPLE, NUM_STEPS)
    for jv, tv in ((jsrc, twin.src_vocab), (jtgt, twin.tgt_vocab)):
        mismatches += _count_mismatches([str(t) for t in jv.getIdxToToken()], tv.idx_to_token)
    for a, b in zip(arrays, (twin.src, twin.src_valid_len, twin.tgt, twin.tgt_valid_len)):
        mismatches += int(a.shape != b.shape) or int((a != b).sum())
    return _exact("seq2seq data", mismatches, f"{len(twin.src)} pairs, {NUM_STEPS} steps")


def check_masked_loss(ctx: Context) -> CheckResult:
    """``MaskedSoftmaxCELoss.evaluate`` per sentence and the gradient of its sum by the logits."""
    j, m = ctx.j, ctx.manager
    logits = ctx.rng.normal(0, 2, (4, 5, 7))
    label = ctx.rng.integers(0, 7, (4, 5))
    valid = np.array([5, 2, 0, 3])
    jl = facade.to_java(logits, m)
    jl.setRequiresGradient(True)
    with j.Engine.getInstance().newGradientCollector() as gc:
        loss = java().Loss().evaluate(
            j.NDList(facade.to_java_ints(label, m), facade.to_java_ints(valid, m)), j.NDList(jl))
        gc.backward(loss.sum())
    value, grad = ref.masked_softmax_ce(logits, label, valid)
    java_arrays = [facade.to_numpy(loss), facade.to_numpy(jl.getGradient())]
    return _numeric("seq2seq masked loss", java_arrays, [value, grad], TOL_GRAD,
                    "value and gradient, valid lengths 5 2 0 3")


BLEU_CASES = (("il est riche .", "il est calme .", 2),
              ("je suis en retard ?", "je suis chez moi .", 2),
              ("je suis", "je suis chez moi .", 2), ("va !", "va !", 2), ("a b c d", "a b", 3),
              ("il est il est", "il est calme .", 2), ("va", "va !", 2), ("il il il", "il", 1))


def check_bleu(ctx: Context) -> CheckResult:
    """``Seq2Seq.bleu`` on cases with shorter and longer predictions, repeats, k 1 to 3."""
    s2s = java().Seq2Seq
    got = [float(s2s.bleu(p, l, k)) for p, l, k in BLEU_CASES]
    want = [ref_bleu.bleu(p, l, k) for p, l, k in BLEU_CASES]
    return _numeric("seq2seq bleu", [np.array(got)], [np.array(want)], 1e-9,
                    f"{len(BLEU_CASES)} cases")


def _random_model(ctx: Context, v_src: int, v_tgt: int, scale: float
                  ) -> tuple[Any, list[np.ndarray]]:
    j = java()
    net = j.EncoderDecoder(j.Encoder(v_src, EMBED, HIDDEN, LAYERS, facade.jfloat(0)),
                           j.Decoder(v_tgt, EMBED, HIDDEN, LAYERS, facade.jfloat(0)))
    j.Seq2Seq.initialize(net, ctx.manager, NUM_STEPS, 0)
    weights = []
    for p in net.getParameters().values():
        arr = p.getArray()
        dims = tuple(int(d) for d in arr.getShape().getShape())
        w = ctx.rng.normal(0, scale if len(dims) > 1 else scale / 2, dims)
        arr.set(facade.float_buffer(w))
        weights.append(w)
    return net, weights


def check_forward(ctx: Context) -> CheckResult:
    """The encoder's outputs and state and the decoder's logits and state, 2 GRU layers, random
    weights and non-zero biases."""
    j = ctx.j
    net, weights = _random_model(ctx, 11, 13, 0.4)
    p = ref.Seq2SeqParams.of(weights, LAYERS)
    x = ctx.rng.integers(0, 11, (3, NUM_STEPS))
    y = ctx.rng.integers(0, 13, (3, NUM_STEPS))
    ps = j.ParameterStore(ctx.manager, False)
    enc = net.getEncoder().forward(ps, j.NDList(facade.to_java_ints(x, ctx.manager)), False)
    dec = net.getDecoder().forward(
        ps, j.NDList(facade.to_java_ints(y, ctx.manager), enc.get(1)), False)
    outs, state = ref.encode(p, x)
    logits, dec_state = ref.decode(p, y, state)
    java_arrays = [facade.to_numpy(a) for a in (enc.get(0), enc.get(1), dec.get(0), dec.get(1))]
    return _numeric("seq2seq forward", java_arrays, [outs, state, logits, dec_state], TOL_FORWARD,
                    f"{LAYERS} GRU layers, embed {EMBED}, hidden {HIDDEN}")


def check_adam(ctx: Context) -> CheckResult:
    """Three steps of ``Seq2Seq.adam`` (DJL's Adam) on one array against MXNet's adam_update."""
    lr = 0.005
    opt = java().Seq2Seq.adam(facade.jfloat(lr))
    w = ctx.rng.normal(0, 1, (4, 3))
    jw = facade.to_java(w, ctx.manager)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 4):
        g = ctx.rng.normal(0, 10.0 ** -t, w.shape)
        opt.update("w", jw, facade.to_java(g, ctx.manager))
        w, m, v = ref.adam_step(w, g, m, v, t, lr)
    return _numeric("seq2seq adam", [facade.to_numpy(jw)], [w], TOL_FORWARD, "3 steps, lr 0.005")


def check_greedy(ctx: Context) -> CheckResult:
    """``Seq2Seq.predictSeq2Seq`` against the twin's greedy translation, three models of random
    weights (large enough that the translations vary)."""
    _, jsrc, jtgt, _ = _java_data(ctx)
    twin = ref_nmt.load_data_nmt(SAMPLE, NUM_STEPS)
    sv, tv = twin.src_vocab, twin.tgt_vocab
    mismatches, tokens = 0, 0
    for _ in range(3):
        net, weights = _random_model(ctx, len(sv), len(tv), 1.2)
        p = ref.Seq2SeqParams.of(weights, LAYERS)
        for sentence in SENTENCES:
            got = str(java().Seq2Seq.predictSeq2Seq(net, sentence, jsrc, jtgt, NUM_STEPS,
                                                    ctx.manager))
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
