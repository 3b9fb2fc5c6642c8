"""Cross-language parity: the numpy twin (:mod:`djl_bridge.reference`) against the production Java
classes, through JPype. Each check returns a :class:`CheckResult`; ``djl-bridge parity`` prints
them as a table and pytest runs each one as a test.

Error measures (per compared array ``java`` against the twin's ``ref``, then the maximum over all
arrays of the check)::

    max_abs_err = max_i |java_i - ref_i|
    max_rel_err = max_i |java_i - ref_i| / max(max_i |ref_i|, REL_FLOOR)

i.e. the worst element error relative to the array's own scale (a norm-wise measure, robust to
elements that are zero or tiny, such as the gradients of one-hot rows no input touched). Exact
checks (tokens, indices, batches, predicted text, random draws) report the number of mismatching
elements as ``max_abs_err`` and ``max_rel_err``, with tolerance 0.

The Java side computes in float32 and the twin in float64.
"""
from __future__ import annotations

import contextlib
import math
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import jpype
import numpy as np

from . import jvm
from . import weights as W
from .javaerrors import java_errors
from .reference import (JavaRandom, TwinDataset, TwinModel, Vocab, java_shuffle, load_corpus,
                        read_time_machine, tokenize)
from .reference import model as ref_model

#: The floor of the denominator of the relative error (so an all-zero reference does not divide
#: by zero).
REL_FLOOR = 1e-6

TOL_FORWARD = 1e-5
TOL_GRAD = 1e-4
TOL_TRAIN = 1e-4
KINDS = ("gru", "lstm", "rnn")
IMPLS = ("scratch", "concise")


@dataclass(frozen=True)
class CheckResult:
    """One row of the parity table."""

    name: str
    max_abs_err: float
    max_rel_err: float
    tol: float
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: name, max_abs_err, max_rel_err, tol, ok (and detail); an error that is
        not finite (a check that crashed or produced NaN) becomes null, which strict JSON allows."""
        d = asdict(self)
        for key in ("max_abs_err", "max_rel_err"):
            if not math.isfinite(d[key]):
                d[key] = None
        return d


@dataclass(frozen=True)
class ParitySetup:
    """The small random setup every check runs on."""

    data: Path
    seed: int = 9  # draws non-zero offsets for 8, 10 and 35 steps (seed 0 draws 0 for 10)
    hidden: int = 16
    batch_size: int = 3
    num_steps: int = 35
    weight_scale: float = 0.3
    train_steps: int = 20
    train_batch_size: int = 2
    train_num_steps: int = 8
    lr: float = 1.0
    clip: float = 0.25  # below the gradient norm of the first steps, above it later


def compare(java: Sequence[np.ndarray], ref: Sequence[np.ndarray]) -> tuple[float, float]:
    """(max abs error, max relative error) over pairs of arrays, as the module docstring says."""
    if len(java) != len(ref):
        raise ValueError(f"{len(java)} Java arrays against {len(ref)} reference arrays")
    worst_abs, worst_rel = 0.0, 0.0
    for a, b in zip(java, ref):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"shape mismatch: Java {a.shape}, reference {b.shape}")
        if a.size == 0:
            continue
        err = float(np.max(np.abs(a - b)))
        if not math.isfinite(err):
            return math.inf, math.inf
        worst_abs = max(worst_abs, err)
        worst_rel = max(worst_rel, err / max(float(np.max(np.abs(b))), REL_FLOOR))
    return worst_abs, worst_rel


def _numeric(name: str, java: Sequence[np.ndarray], ref: Sequence[np.ndarray], tol: float,
             detail: str = "") -> CheckResult:
    abs_err, rel_err = compare(java, ref)
    return CheckResult(name, abs_err, rel_err, tol, rel_err <= tol, detail)


def _exact(name: str, mismatches: int, detail: str = "") -> CheckResult:
    return CheckResult(name, float(mismatches), float(mismatches), 0.0, mismatches == 0, detail)


def _count_mismatches(a: Sequence[Any], b: Sequence[Any]) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def _to_int32(value: int) -> int:
    """Wraps a seed to Java's ``int``, as the trainer's ``(int) seed`` cast does."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


class Context:
    """The JVM objects and twin data the checks share: a base NDManager (``manager`` is a fresh
    sub-manager of it during each check, closed after it by :func:`run_check`), the full corpus
    and vocabulary on both sides."""

    def __init__(self, setup: ParitySetup) -> None:
        jvm.start()
        self.setup = setup
        self.j = _Java()
        self.device = self.j.Device.cpu()
        self.base = self.j.NDManager.newBaseManager(self.device)
        self.manager = self.base
        self.j.Engine.getInstance().setRandomSeed(_to_int32(setup.seed))
        self.java_full = self.dataset(batch_size=1, num_steps=1, random=False, max_tokens=0)
        self.corpus, self.vocab = load_corpus(setup.data, max_tokens=0)
        self.rng = np.random.default_rng(setup.seed & 0xFFFFFFFFFFFFFFFF)

    def dataset(self, batch_size: int, num_steps: int, random: bool, max_tokens: int,
                seed: Optional[int] = None) -> Any:
        """A prepared Java ``TimeMachineDataset``."""
        ds = (self.j.TimeMachineDataset.builder().setManager(self.manager)
              .setMaxTokens(max_tokens).setSampling(batch_size, random).setSteps(num_steps)
              .setDataPath(jpype.JClass("java.nio.file.Paths").get(str(self.setup.data)))
              .optSeed(self.setup.seed if seed is None else seed).build())
        ds.prepare()
        return ds

    def new_model(self, impl: str, kind: str) -> Any:
        """A fresh Java model with the vocabulary of the corpus."""
        v, h = len(self.vocab), self.setup.hidden
        if impl == "concise":
            return self.j.RNNModel.of(kind, v, h).initialize(self.manager, self.device)
        return self.j.RNNModelScratch.of(kind, v, h, self.device, self.manager)

    def random_weights(self, net: Any, scale: Optional[float] = None) -> list[np.ndarray]:
        """Random weights (N(0, scale)) and biases (N(0, scale / 3)) shaped as the model's
        parameters; the biases are not zero so that the bias layout matters."""
        s = self.setup.weight_scale if scale is None else scale
        out = []
        for p in W.get_weights(net):
            out.append(self.rng.normal(0.0, s if p.ndim > 1 else s / 3, p.shape))
        return out

    def ints(self, values: np.ndarray) -> Any:
        """An int32 NDArray of ``values``."""
        shape = self.j.Shape(*[int(d) for d in values.shape])
        return self.manager.create(jpype.JArray(jpype.JInt)(np.ascontiguousarray(values, np.int32).ravel()),
                                   shape)

    def close(self) -> None:
        """Frees every array of the checks."""
        self.base.close()


class _Java:
    """The Java classes the checks use."""

    def __init__(self) -> None:
        c = jpype.JClass
        self.Device = c("ai.djl.Device")
        self.Engine = c("ai.djl.engine.Engine")
        self.NDList = c("ai.djl.ndarray.NDList")
        self.NDManager = c("ai.djl.ndarray.NDManager")
        self.Shape = c("ai.djl.ndarray.types.Shape")
        self.SoftmaxCrossEntropyLoss = c("ai.djl.training.loss.SoftmaxCrossEntropyLoss")
        self.TimeMachine = c("djlbridge.TimeMachine")
        self.TimeMachineDataset = c("djlbridge.TimeMachineDataset")
        self.RNNModel = c("djlbridge.RNNModel")
        self.RNNModelScratch = c("djlbridge.RNNModelScratch")
        self.Vocab = c("djlbridge.Vocab")
        self.Random = c("java.util.Random")
        self.ArrayList = c("java.util.ArrayList")
        self.Collections = c("java.util.Collections")


# -- the checks ------------------------------------------------------------------------------

def check_java_random(ctx: Context) -> CheckResult:
    """``java.util.Random.nextInt`` (power-of-two and rejection branches) and
    ``Collections.shuffle`` against the twin, draw for draw."""
    bounds = [1, 2, 7, 10, 35, 64, 1000, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, 1_500_000_000]
    mismatches, draws = 0, 0
    for seed in (ctx.setup.seed, -12345, 2 ** 40 + 3):
        jr, tr = ctx.j.Random(seed), JavaRandom(seed)
        for _ in range(20):
            for b in bounds:
                mismatches += int(jr.nextInt(b)) != tr.next_int(b)
                draws += 1
        for size in (1, 2, 5, 17, 100):
            jl = ctx.j.ArrayList()
            for i in range(size):
                jl.add(jpype.JInt(i))
            ctx.j.Collections.shuffle(jl, jr)
            tl = list(range(size))
            java_shuffle(tl, tr)
            mismatches += _count_mismatches([int(v) for v in jl], tl)
            draws += size
    return _exact("java.util.Random + shuffle", mismatches, f"{draws} draws")


def check_vocab(ctx: Context) -> CheckResult:
    """Vocabulary tokens and order, and the token counts."""
    jv = ctx.java_full.getVocab()
    java_tokens = [str(t) for t in jv.getIdxToToken()]
    java_freqs = [(str(e.getKey()), int(e.getValue())) for e in jv.getTokenFreqs()]
    mismatches = _count_mismatches(java_tokens, ctx.vocab.idx_to_token)
    mismatches += _count_mismatches(java_freqs, ctx.vocab.token_freqs)
    return _exact("vocab tokens and order", mismatches, f"{len(java_tokens)} tokens")


def check_text(ctx: Context) -> CheckResult:
    """``TimeMachine.readTimeMachine`` lines, ``tokenize(lines, "word")``, and a word ``Vocab``
    with ``minFreq`` 3 and two reserved tokens (many words tie in count: their order is first
    appearance)."""
    path = jpype.JClass("java.nio.file.Paths").get(str(ctx.setup.data))
    java_lines = ctx.j.TimeMachine.readTimeMachine(path)
    lines = read_time_machine(ctx.setup.data)
    mismatches = _count_mismatches([str(line) for line in java_lines], lines)
    java_words = ctx.j.TimeMachine.tokenize(java_lines, "word")
    words = tokenize(lines, "word")
    mismatches += _count_mismatches([[str(w) for w in line] for line in java_words], words)
    reserved = ["<pad>", "<bos>"]
    java_vocab = ctx.j.Vocab(java_words, 3, jpype.JArray(jpype.JString)(reserved))
    vocab = Vocab(words, min_freq=3, reserved_tokens=reserved)
    mismatches += _count_mismatches([str(t) for t in java_vocab.getIdxToToken()], vocab.idx_to_token)
    return _exact("text lines, word tokens, word vocab", mismatches,
                  f"{len(lines)} lines, {len(vocab)} words")


def check_corpus(ctx: Context) -> CheckResult:
    """The whole corpus as indices."""
    java = np.array(ctx.java_full.getCorpus(), dtype=np.int64)
    mismatches = _count_mismatches(java.tolist(), ctx.corpus.tolist())
    return _exact("corpus indices", mismatches, f"{java.size} tokens")


def _check_batches(ctx: Context, random: bool) -> CheckResult:
    """Every batch of several epochs, and each epoch's offset and number of batches (every epoch
    draws its own offset)."""
    b, t, max_tokens, epochs = 4, 10, 1500, 4
    java_ds = ctx.dataset(b, t, random, max_tokens)
    twin = TwinDataset(ctx.corpus[:max_tokens], b, t, random, ctx.setup.seed)
    mismatches = int(int(java_ds.getOffset()) != twin.offset)
    mismatches += int(int(java_ds.getNumBatches()) != twin.num_batches)
    count, offsets = 0, []
    for _ in range(epochs):
        twin_batches = list(twin.next_epoch())
        java_batches = []
        for batch in java_ds.getData(ctx.manager):
            with batch:
                x = batch.getData().head()
                y = batch.getLabels().head()
                shape = tuple(int(d) for d in x.getShape().getShape())
                java_batches.append((np.array(x.toIntArray()).reshape(shape),
                                     np.array(y.toIntArray()).reshape(shape)))
        offsets.append(twin.offset)
        mismatches += int(int(java_ds.getOffset()) != twin.offset)
        mismatches += int(int(java_ds.getNumBatches()) != twin.num_batches)
        mismatches += abs(len(java_batches) - len(twin_batches))
        for (jx, jy), (tx, ty) in zip(java_batches, twin_batches):
            if jx.shape != tx.shape:
                mismatches += max(jx.size, tx.size)
                continue
            mismatches += int(np.sum(jx != tx) + np.sum(jy != ty))
            count += 1
    mode = "random" if random else "sequential"
    return _exact(f"batches {mode}", mismatches,
                  f"offsets {'/'.join(map(str, offsets))}, {count} batches over {epochs} epochs")


def check_batches_sequential(ctx: Context) -> CheckResult:
    return _check_batches(ctx, False)


def check_batches_random(ctx: Context) -> CheckResult:
    return _check_batches(ctx, True)


def _random_state(ctx: Context, twin: TwinModel, batch_size: int) -> list[np.ndarray]:
    return [ctx.rng.normal(0.0, 0.5, s.shape) for s in twin.begin_state(batch_size)]


def _java_state(ctx: Context, state: Sequence[np.ndarray]) -> Any:
    return ctx.j.NDList(*[W.to_java(s, ctx.manager) for s in state])


def _inputs(ctx: Context, batch_size: int, num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    v = len(ctx.vocab)
    return (ctx.rng.integers(0, v, (batch_size, num_steps)),
            ctx.rng.integers(0, v, (batch_size, num_steps)))


@dataclass
class _Case:
    """One random setup: a Java model and its twin with the same weights, inputs, labels and a
    random begin state (drawn in this order from the context's generator)."""

    net: Any
    twin: TwinModel
    x: np.ndarray
    y: np.ndarray
    state: list[np.ndarray]


@contextlib.contextmanager
def _random_case(ctx: Context, impl: str, kind: str) -> Iterator[_Case]:
    s = ctx.setup
    net = ctx.new_model(impl, kind)
    try:
        w = ctx.random_weights(net)
        W.set_weights(net, w)
        twin = TwinModel(impl, kind, w)
        x, y = _inputs(ctx, s.batch_size, s.num_steps)
        yield _Case(net, twin, x, y, _random_state(ctx, twin, s.batch_size))
    finally:
        net.close()


def _forward(ctx: Context, impl: str, kind: str) -> CheckResult:
    with _random_case(ctx, impl, kind) as c:
        net, x, state = c.net, c.x, c.state
        out = net.forward(ctx.ints(x), _java_state(ctx, state), False)
        java = [W.to_numpy(out.getKey())] + [W.to_numpy(a) for a in out.getValue()]
        logits, new_state, cache = c.twin.forward(x, state)
        ref = [logits, *new_state]
        what = "logits and final state"
        if impl == "concise":
            # The DJL layer alone too: its outputs (steps, batch, hidden) for one-hot inputs.
            onehot = np.eye(len(ctx.vocab))[x.T]
            store = jpype.JClass("ai.djl.training.ParameterStore")(ctx.manager, False)
            layer_in = ctx.j.NDList(W.to_java(onehot, ctx.manager))
            layer_in.addAll(_java_state(ctx, state))
            java.append(W.to_numpy(net.getRnnLayer().forward(store, layer_in, False).get(0)))
            ref.append(cache.hs)
            what += ", layer outputs"
        return _numeric(f"forward {impl} {kind}", java, ref, TOL_FORWARD, what)


def _java_backward(ctx: Context, net: Any, x: np.ndarray, y: np.ndarray,
                   state: Sequence[np.ndarray]) -> float:
    """One recorded forward and backward of the trainer's loss on the Java side."""
    labels = ctx.ints(np.asarray(y).T.reshape(-1))
    loss = ctx.j.SoftmaxCrossEntropyLoss()
    with ctx.j.Engine.getInstance().newGradientCollector() as gc:
        out = net.forward(ctx.ints(x), _java_state(ctx, state), True)
        value = loss.evaluate(ctx.j.NDList(labels), ctx.j.NDList(out.getKey())).mean()
        gc.backward(value)
    return float(value.getFloat())


def _gradients(ctx: Context, impl: str, kind: str) -> CheckResult:
    with _random_case(ctx, impl, kind) as c:
        java_loss = _java_backward(ctx, c.net, c.x, c.y, c.state)
        loss, grads, _ = c.twin.loss_and_grads(c.x, c.y, c.state)
        java = [np.array([java_loss])] + W.get_gradients(c.net)
        return _numeric(f"gradients {impl} {kind}", java, [np.array([loss]), *grads], TOL_GRAD,
                        f"loss and {len(grads)} parameters, {ctx.setup.num_steps} steps")


def _clipping(ctx: Context, above: bool) -> CheckResult:
    """``TimeMachine.gradClipping`` after one backward, with theta below or above the norm."""
    with _random_case(ctx, "scratch", "gru") as c:
        _, grads, _ = c.twin.loss_and_grads(c.x, c.y, c.state)
        _, norm = ref_model.clip_gradients(grads, 1.0)
        theta = norm / 2 if above else norm * 2
        clipped, _ = ref_model.clip_gradients(grads, theta)
        _java_backward(ctx, c.net, c.x, c.y, c.state)
        ctx.j.TimeMachine.gradClipping(c.net, jpype.JFloat(theta), ctx.manager)
        java = W.get_gradients(c.net)
        name = "clipping norm > theta" if above else "clipping norm < theta"
        return _numeric(name, java, clipped, TOL_GRAD, f"norm {norm:.4g}, theta {theta:.4g}")


def check_clipping_above(ctx: Context) -> CheckResult:
    return _clipping(ctx, True)


def check_clipping_below(ctx: Context) -> CheckResult:
    return _clipping(ctx, False)


def _training(ctx: Context, impl: str, kind: str) -> CheckResult:
    """``TimeMachine.trainCh8`` for ``train_steps`` epochs of exactly one batch each, so that the
    perplexity its listener reports per epoch is the loss of one step: exp(loss)."""
    s = ctx.setup
    b, t = s.train_batch_size, s.train_num_steps
    random_iter = impl == "scratch"  # scratch: random partition (a shuffle per epoch); concise: sequential
    # Exactly one batch per epoch in either partition, whatever offset in [0, t) an epoch draws.
    max_tokens = t + b * t
    java_ds = ctx.dataset(b, t, random_iter, max_tokens)
    twin_ds = TwinDataset(ctx.corpus[:max_tokens], b, t, random_iter, s.seed)
    if int(java_ds.getNumBatches()) != 1 or twin_ds.num_batches != 1:
        return CheckResult(f"train {s.train_steps} steps {impl} {kind}", math.inf, math.inf,
                           TOL_TRAIN, False, "setup: not one batch per epoch")
    net = ctx.new_model(impl, kind)
    try:
        w = ctx.random_weights(net, scale=0.1)
        W.set_weights(net, w)
        perplexities: list[float] = []

        @jpype.JImplements("djlbridge.EpochListener")
        class Collect:
            @jpype.JOverride
            def onEpoch(self, epoch: int, perplexity: float, speed: float) -> bool:  # noqa: N802
                perplexities.append(float(perplexity))
                return True

        ctx.j.TimeMachine.trainCh8(net, java_ds, ctx.java_full.getVocab(), jpype.JFloat(s.lr),
                                   jpype.JFloat(s.clip), s.train_steps, ctx.device, random_iter,
                                   ctx.manager, Collect())
        twin = TwinModel(impl, kind, w)
        epochs = [list(twin_ds.next_epoch()) for _ in range(s.train_steps)]
        clipped = _count_clipped(TwinModel(impl, kind, w), epochs, s)
        twin_ppl = ref_model.train_epochs(twin, epochs, s.lr, s.clip, random_iter)
        java = [np.log(perplexities), *W.get_weights(net)]
        return _numeric(f"train {s.train_steps} steps {impl} {kind}", java,
                        [np.log(twin_ppl), *twin.params], TOL_TRAIN,
                        f"loss per step and final weights, "
                        f"{'random' if random_iter else 'sequential'}, {clipped} steps clipped")
    finally:
        net.close()


def _carried_state(ctx: Context, impl: str) -> CheckResult:
    """``trainCh8`` in the sequential partition over several batches per epoch, so that the state
    is carried (detached) from batch to batch: the perplexity of each epoch and the final weights.
    An LSTM, so that both H and C are carried."""
    s = ctx.setup
    b, t, epochs, max_tokens = s.train_batch_size, s.train_num_steps, 3, 200
    java_ds = ctx.dataset(b, t, False, max_tokens)
    twin_ds = TwinDataset(ctx.corpus[:max_tokens], b, t, False, s.seed)
    net = ctx.new_model(impl, "lstm")
    try:
        w = ctx.random_weights(net, scale=0.1)
        W.set_weights(net, w)
        result = ctx.j.TimeMachine.trainCh8(net, java_ds, ctx.java_full.getVocab(),
                                            jpype.JFloat(s.lr), jpype.JFloat(s.clip), epochs,
                                            ctx.device, False, ctx.manager, None)
        java = [np.log(np.array(list(result.getPerplexity()))), *W.get_weights(net)]
        twin = TwinModel(impl, "lstm", w)
        twin_epochs = [list(twin_ds.next_epoch()) for _ in range(epochs)]  # an offset each
        twin_ppl = ref_model.train_epochs(twin, twin_epochs, s.lr, s.clip, False)
        return _numeric(f"train carried state {impl} lstm", java, [np.log(twin_ppl), *twin.params],
                        TOL_TRAIN, f"log perplexity per epoch and final weights, {epochs} epochs "
                        f"of {'/'.join(str(len(e)) for e in twin_epochs)} batches")
    finally:
        net.close()


def check_carried_state_scratch(ctx: Context) -> CheckResult:
    return _carried_state(ctx, "scratch")


def check_carried_state_concise(ctx: Context) -> CheckResult:
    return _carried_state(ctx, "concise")


def _count_clipped(model: TwinModel, epochs: list[list[tuple[np.ndarray, np.ndarray]]],
                   s: ParitySetup) -> int:
    """How many of the twin's steps clip (so the report shows that clipping was exercised)."""
    clipped = 0
    for batches in epochs:
        for x, y in batches:
            _, grads, _ = model.loss_and_grads(x, y, model.begin_state(x.shape[0]))
            grads, norm = ref_model.clip_gradients(grads, s.clip)
            clipped += norm > s.clip
            model.params = ref_model.sgd(model.params, grads, s.lr)
    return clipped


def _prediction(ctx: Context, impl: str, kind: str) -> CheckResult:
    net = ctx.new_model(impl, kind)
    try:
        w = ctx.random_weights(net, scale=0.5)
        W.set_weights(net, w)
        twin = TwinModel(impl, kind, w)
        jv = ctx.java_full.getVocab()
        mismatches, texts = 0, []
        for prefix in ctx.j.TimeMachine.PREFIXES:
            java = str(ctx.j.TimeMachine.predictCh8(prefix, 50, net, jv, ctx.device, ctx.manager))
            ours = ref_model.predict(twin, ctx.vocab, str(prefix), 50)
            mismatches += _count_mismatches(list(java), list(ours))
            texts.append(java)
        return _exact(f"predict {impl} {kind}", mismatches, " | ".join(texts))
    finally:
        net.close()


def _per_model(fn: Callable[[Context, str, str], CheckResult]
               ) -> list[tuple[str, Callable[[Context], CheckResult]]]:
    return [(f"{fn.__name__.strip('_')} {impl} {kind}",
             (lambda ctx, i=impl, k=kind: fn(ctx, i, k))) for impl in IMPLS for kind in KINDS]


#: Every check, by a stable id (pytest parametrizes over these).
CHECKS: list[tuple[str, Callable[[Context], CheckResult]]] = [
    ("java random", check_java_random),
    ("vocab", check_vocab),
    ("text", check_text),
    ("corpus", check_corpus),
    ("batches sequential", check_batches_sequential),
    ("batches random", check_batches_random),
    *_per_model(_forward),
    *_per_model(_gradients),
    ("clipping above", check_clipping_above),
    ("clipping below", check_clipping_below),
    *_per_model(_training),
    ("carried state scratch", check_carried_state_scratch),
    ("carried state concise", check_carried_state_concise),
    *_per_model(_prediction),
]


def check_ids() -> list[str]:
    """The ids of every check, in table order."""
    return [name for name, _ in CHECKS]


def run_check(ctx: Context, check_id: str) -> CheckResult:
    """Runs one check by id; a Java exception becomes a failed row carrying its message."""
    fn = dict(CHECKS)[check_id]
    # Each check draws from its own generator, so a row does not depend on which ran before it.
    ctx.rng = np.random.default_rng([ctx.setup.seed & 0xFFFFFFFFFFFFFFFF,
                                    zlib.crc32(check_id.encode())])
    ctx.manager = ctx.base.newSubManager()
    try:
        with java_errors():
            return fn(ctx)
    except Exception as exc:  # noqa: BLE001 - a broken check is a failed row, not a crash
        return CheckResult(check_id, math.inf, math.inf, 0.0, False, f"error: {exc}")
    finally:
        ctx.manager.close()
        ctx.manager = ctx.base


def run_checks(setup: ParitySetup, ids: Optional[Sequence[str]] = None) -> list[CheckResult]:
    """Runs the checks (all by default) on one shared context."""
    ctx = Context(setup)
    try:
        return [run_check(ctx, i) for i in (ids if ids is not None else check_ids())]
    finally:
        ctx.close()


def format_table(results: Sequence[CheckResult]) -> str:
    """The results as a text table: component, max abs error, max rel error, tolerance, result."""
    rows = [("component", "max abs err", "max rel err", "tol", "result", "")]
    for r in results:
        rows.append((r.name, f"{r.max_abs_err:.3g}", f"{r.max_rel_err:.3g}", f"{r.tol:g}",
                     "pass" if r.ok else "FAIL", r.detail))
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5]
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)
