"""What the parity checks (:mod:`djl_bridge.parity`) ask of the Java side, component by component:
each method calls the production Java classes and hands back Python values (numpy arrays, lists,
str), so the checks compare without touching Java themselves. Models and datasets come back as
handles, to be passed to the other methods and closed with :meth:`JavaComponents.close_model`.

Every array of a check lives on :attr:`JavaComponents.manager`, a sub-manager of the base one
during :meth:`JavaComponents.check` and freed after it.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional, Sequence

import numpy as np

from . import weights
from .classes import Classes
from .convert import java_path, jfloat, jint, strings, to_java, to_java_ints
from .errors import java_errors
from .session import epoch_callback


def to_int32(value: int) -> int:
    """Wraps a seed to Java's ``int``, as the trainer's ``(int) seed`` cast does."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


class JavaComponents:
    """The Java side of the parity checks on the corpus the JVM reads as ``data`` (a name from
    :func:`.files.readable_by_java`), with DJL's engine seeded by ``seed``. Close it."""

    def __init__(self, data: str, seed: int) -> None:
        with java_errors():
            self._j = Classes()
            self.data = data
            self.seed = seed
            self.device = self._j.Device.cpu()
            self.base = self._j.NDManager.newBaseManager(self.device)
            self.manager = self.base
            self._j.Engine.getInstance().setRandomSeed(to_int32(seed))
            #: The whole corpus, one step a batch: its vocabulary is the one every model uses.
            self.full = self.dataset(batch_size=1, num_steps=1, random=False, max_tokens=0)

    @contextlib.contextmanager
    def check(self) -> Iterator[None]:
        """One check's arrays on a sub-manager, freed when the block ends; Java exceptions
        become Python ones."""
        self.manager = self.base.newSubManager()
        try:
            with java_errors():
                yield
        finally:
            self.manager.close()
            self.manager = self.base

    def close(self) -> None:
        """Frees every array of the checks."""
        with java_errors():
            self.base.close()

    # ------------------------------------------------------------------ the JDK and the text

    def java_random(self, seed: int, bounds: Sequence[int], rounds: int,
                    sizes: Sequence[int]) -> tuple[list[int], list[list[int]]]:
        """One ``java.util.Random(seed)``: ``nextInt(b)`` for each bound, ``rounds`` times,
        then ``Collections.shuffle`` of ``0..n-1`` for each size, with that same generator."""
        with java_errors():
            jr = self._j.Random(seed)
            draws = [int(jr.nextInt(b)) for _ in range(rounds) for b in bounds]
            shuffles = []
            for size in sizes:
                jl = self._j.ArrayList()
                for i in range(size):
                    jl.add(jint(i))
                self._j.Collections.shuffle(jl, jr)
                shuffles.append([int(v) for v in jl])
            return draws, shuffles

    def text(self, token: str, min_freq: int,
             reserved: Sequence[str]) -> tuple[list[str], list[list[str]], list[str]]:
        """``TimeMachine.readTimeMachine`` lines, ``tokenize(lines, token)``, and the tokens of a
        ``Vocab(words, min_freq, reserved)``."""
        with java_errors():
            tm = self._j.TimeMachine
            lines = tm.readTimeMachine(java_path(self.data))
            words = tm.tokenize(lines, token)
            vocab = self._j.Vocab(words, min_freq, strings(reserved))
            return ([str(line) for line in lines], [[str(w) for w in line] for line in words],
                    [str(t) for t in vocab.getIdxToToken()])

    def vocab(self) -> tuple[list[str], list[tuple[str, int]]]:
        """The corpus vocabulary: tokens by index, and (token, count) in the Java order."""
        with java_errors():
            jv = self.full.getVocab()
            return ([str(t) for t in jv.getIdxToToken()],
                    [(str(e.getKey()), int(e.getValue())) for e in jv.getTokenFreqs()])

    def corpus(self) -> np.ndarray:
        """The whole corpus as indices."""
        with java_errors():
            return np.array(self.full.getCorpus(), dtype=np.int64)

    def prefixes(self) -> list[str]:
        """``TimeMachine.PREFIXES``."""
        with java_errors():
            return [str(p) for p in self._j.TimeMachine.PREFIXES]

    # --------------------------------------------------------------------------- datasets

    def dataset(self, batch_size: int, num_steps: int, random: bool, max_tokens: int,
                seed: Optional[int] = None) -> Any:
        """A prepared Java ``TimeMachineDataset`` (a handle)."""
        with java_errors():
            ds = (self._j.TimeMachineDataset.builder().setManager(self.manager)
                  .setMaxTokens(max_tokens).setSampling(batch_size, random).setSteps(num_steps)
                  .setDataPath(java_path(self.data))
                  .optSeed(self.seed if seed is None else seed).build())
            ds.prepare()
            return ds

    def layout(self, ds: Any) -> tuple[int, int]:
        """The dataset's current offset and number of batches."""
        with java_errors():
            return int(ds.getOffset()), int(ds.getNumBatches())

    def epoch(self, ds: Any) -> list[tuple[np.ndarray, np.ndarray]]:
        """One epoch's batches, (inputs, labels) each."""
        out = []
        with java_errors():
            for batch in ds.getData(self.manager):
                with batch:
                    x = batch.getData().head()
                    y = batch.getLabels().head()
                    shape = tuple(int(d) for d in x.getShape().getShape())
                    out.append((np.array(x.toIntArray()).reshape(shape),
                                np.array(y.toIntArray()).reshape(shape)))
        return out

    # ----------------------------------------------------------------------------- models

    def new_model(self, impl: str, kind: str, vocab_size: int, hidden: int, layers: int = 1,
                  bidirectional: bool = False) -> Any:
        """A fresh Java model (a handle): the text's one-layer factories, or a stack of
        ``layers`` (the concise one ``bidirectional`` or not); "hybrid" is the scratch model run
        as one cached MXNet graph."""
        v, h, j = vocab_size, hidden, self._j
        with java_errors():
            if impl == "concise":
                model = j.RNNModel.of(kind, v, h) if layers == 1 and not bidirectional else \
                    j.RNNModel.of(kind, v, h, layers, bidirectional)
                return model.initialize(self.manager, self.device)
            if bidirectional:
                raise ValueError("only the concise models run both directions")
            if layers == 1:
                return j.RNNModelScratch.of(kind, v, h, self.device, self.manager,
                                            impl == "hybrid")
            return j.RNNModelScratch.of(j.ModelKind.of(kind), v, h, layers, self.device,
                                        self.manager, impl == "hybrid")

    def close_model(self, net: Any) -> None:
        with java_errors():
            net.close()

    def _state(self, state: Sequence[np.ndarray]) -> Any:
        return self._j.NDList(*[to_java(s, self.manager) for s in state])

    def forward(self, net: Any, x: np.ndarray,
                state: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The model's forward pass (not training): logits, and the new state."""
        with java_errors():
            out = net.forward(to_java_ints(x, self.manager), self._state(state), False)
            return (weights.to_numpy(out.getKey()),
                    [weights.to_numpy(a) for a in out.getValue()])

    def layer_forward(self, net: Any, onehot: np.ndarray,
                      state: Sequence[np.ndarray]) -> np.ndarray:
        """A concise model's DJL layer alone: its outputs (steps, batch, hidden) for ``onehot``
        inputs."""
        with java_errors():
            store = self._j.ParameterStore(self.manager, False)
            layer_in = self._j.NDList(to_java(onehot, self.manager))
            layer_in.addAll(self._state(state))
            return weights.to_numpy(net.getRnnLayer().forward(store, layer_in, False).get(0))

    def backward(self, net: Any, x: np.ndarray, y: np.ndarray,
                 state: Sequence[np.ndarray]) -> float:
        """One recorded forward and backward of the trainer's loss; the loss."""
        with java_errors():
            labels = to_java_ints(np.asarray(y).T.reshape(-1), self.manager)
            loss = self._j.SoftmaxCrossEntropyLoss()
            with self._j.Engine.getInstance().newGradientCollector() as gc:
                out = net.forward(to_java_ints(x, self.manager), self._state(state), True)
                value = loss.evaluate(self._j.NDList(labels), self._j.NDList(out.getKey())).mean()
                gc.backward(value)
            return float(value.getFloat())

    def clip_gradients(self, net: Any, theta: float) -> None:
        """``TimeMachine.gradClipping(net, theta, manager)``."""
        with java_errors():
            self._j.TimeMachine.gradClipping(net, jfloat(theta), self.manager)

    def train_ch8(self, net: Any, ds: Any, lr: float, clip: float, epochs: int,
                  random_iter: bool, listen: bool) -> list[float]:
        """``TimeMachine.trainCh8`` with the corpus vocabulary; the perplexity of each epoch, as
        its ``SessionListener`` hears it (``listen``) or as its result reports it."""
        heard: list[float] = []

        def collect(epoch: int, perplexity: float, speed: float) -> bool:
            heard.append(perplexity)
            return True

        with java_errors():
            result = self._j.TimeMachine.trainCh8(
                net, ds, self.full.getVocab(), jfloat(lr), jfloat(clip), epochs, self.device,
                random_iter, self.manager, epoch_callback(collect) if listen else None)
            return heard if listen else [float(p) for p in result.getMeasure()]

    def predict(self, net: Any, prefix: str, num_preds: int) -> str:
        """``TimeMachine.predictCh8`` with the corpus vocabulary."""
        with java_errors():
            return str(self._j.TimeMachine.predictCh8(prefix, num_preds, net,
                                                      self.full.getVocab(), self.device,
                                                      self.manager))
