"""What the parity rows of D2L 9.5-9.7 (:mod:`djl_bridge.parity.seq2seq_checks`) ask of the
Java classes of ``djlbridge.seq2seq``, as Python values: the data pipeline, the masked loss and
its gradient, BLEU, the encoder-decoder's forward, Adam's steps, greedy translation. Models and
vocabularies come back as handles to pass to the other methods; every array lives on the
current check's manager (:attr:`.parity.JavaComponents.manager`)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import names as N
from .classes import jclass
from .convert import float_buffer, jfloat, to_java, to_java_ints, to_numpy
from .errors import java_errors


def _ints(arr: Any) -> np.ndarray:
    shape = tuple(int(d) for d in arr.getShape().getShape())
    return np.array(list(arr.toIntArray()), dtype=np.int64).reshape(shape)


class Seq2SeqJava:
    """The Java side of the sequence-to-sequence rows; ``components`` is the parity checks'
    :class:`~.parity.JavaComponents`, whose manager holds each check's arrays."""

    def __init__(self, components: Any) -> None:
        self._c = components

    @property
    def _m(self) -> Any:
        return self._c.manager

    def preprocess(self, text: str) -> str:
        """``NMT.preprocessNMT``."""
        with java_errors():
            return str(jclass(N.NMT).preprocessNMT(text))

    def tokenize(self, text: str, num_examples: int) -> tuple[list[list[str]], list[list[str]]]:
        """``NMT.tokenizeNMT``: source and target lines as token lists."""
        with java_errors():
            pair = jclass(N.NMT).tokenizeNMT(text, num_examples)
            return ([[str(t) for t in line] for line in pair.getKey()],
                    [[str(t) for t in line] for line in pair.getValue()])

    def load_data(self, text: str, batch_size: int, num_steps: int
                  ) -> tuple[Any, Any, list[str], list[str], list[np.ndarray]]:
        """``NMT.loadDataNMT`` on ``text`` (all of it): the source and target vocabularies (as
        handles and as index-to-token lists) and the arrays X, X_valid_len, Y, Y_valid_len."""
        with java_errors():
            pair = jclass(N.NMT).loadDataNMT(text, batch_size, num_steps, 0, self._m)
            ds = pair.getKey()
            batch = ds.getByRange(self._m, 0, ds.size())
            arrays = [_ints(batch.getData().get(i)) for i in (0, 1)]
            arrays += [_ints(batch.getLabels().get(i)) for i in (0, 1)]
            src, tgt = pair.getValue().getKey(), pair.getValue().getValue()
            return (src, tgt, [str(t) for t in src.getIdxToToken()],
                    [str(t) for t in tgt.getIdxToToken()], arrays)

    def masked_loss(self, logits: np.ndarray, label: np.ndarray, valid: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """``MaskedSoftmaxCELoss.evaluate`` per sentence, and the gradient of its sum by the
        logits."""
        with java_errors():
            nd_list = jclass(N.NDLIST)
            jl = to_java(logits, self._m)
            jl.setRequiresGradient(True)
            with jclass(N.ENGINE).getInstance().newGradientCollector() as gc:
                loss = jclass(N.MASKED_SOFTMAX_CE_LOSS)().evaluate(
                    nd_list(to_java_ints(label, self._m), to_java_ints(valid, self._m)),
                    nd_list(jl))
                gc.backward(loss.sum())
            return to_numpy(loss), to_numpy(jl.getGradient())

    def bleu(self, cases: Sequence[tuple[str, str, int]]) -> list[float]:
        """``Seq2Seq.bleu(prediction, label, k)`` of each case."""
        with java_errors():
            fn = jclass(N.SEQ2SEQ).bleu
            return [float(fn(p, label, k)) for p, label, k in cases]

    def new_model(self, v_src: int, v_tgt: int, embed: int, hidden: int, layers: int,
                  num_steps: int, draw: Callable[[tuple[int, ...]], np.ndarray]
                  ) -> tuple[Any, list[np.ndarray]]:
        """An initialized ``EncoderDecoder`` of ``Seq2SeqEncoder``/``Seq2SeqDecoder`` (no
        dropout) whose parameters are then set to ``draw(shape)``, in DJL's order; returns the
        model (a handle) and the values set."""
        with java_errors():
            net = jclass(N.ENCODER_DECODER)(
                jclass(N.SEQ2SEQ_ENCODER)(v_src, embed, hidden, layers, jfloat(0)),
                jclass(N.SEQ2SEQ_DECODER)(v_tgt, embed, hidden, layers, jfloat(0)))
            jclass(N.SEQ2SEQ).initialize(net, self._m, num_steps, 0)
            weights = []
            for p in net.getParameters().values():
                arr = p.getArray()
                w = draw(tuple(int(d) for d in arr.getShape().getShape()))
                arr.set(float_buffer(w))
                weights.append(w)
            return net, weights

    def forward(self, net: Any, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """The encoder's outputs and state on ``x``, then the decoder's logits and state on
        ``y`` from that state (inference mode)."""
        with java_errors():
            nd_list = jclass(N.NDLIST)
            ps = jclass(N.PARAMETER_STORE)(self._m, False)
            enc = net.getEncoder().forward(ps, nd_list(to_java_ints(x, self._m)), False)
            dec = net.getDecoder().forward(
                ps, nd_list(to_java_ints(y, self._m), enc.get(1)), False)
            return [to_numpy(a) for a in (enc.get(0), enc.get(1), dec.get(0), dec.get(1))]

    def adam(self, lr: float, w: np.ndarray, grads: Sequence[np.ndarray]) -> np.ndarray:
        """``Seq2Seq.adam(lr)`` stepped once per gradient on one array starting at ``w``."""
        with java_errors():
            opt = jclass(N.SEQ2SEQ).adam(jfloat(lr))
            jw = to_java(w, self._m)
            for g in grads:
                opt.update("w", jw, to_java(g, self._m))
            return to_numpy(jw)

    def greedy(self, net: Any, sentence: str, src_vocab: Any, tgt_vocab: Any,
               num_steps: int) -> str:
        """``Seq2Seq.predictSeq2Seq``: the greedy translation of ``sentence``."""
        with java_errors():
            return str(jclass(N.SEQ2SEQ).predictSeq2Seq(net, sentence, src_vocab, tgt_vocab,
                                                         num_steps, self._m))
