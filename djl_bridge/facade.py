"""The one module that talks to the Java side (Pyserini's ``pyclass.py`` idea).

Every Java class Python uses is named here, once; every call into Java runs inside
:func:`~djl_bridge.javaerrors.java_errors`, so only Python exceptions leave this module; the
conversions (paths, arrays, lists, JSON) are here. The rest of the package imports no ``jpype``:
``session`` trains through :class:`Session`, ``parity`` gets its classes from :func:`classes`,
``weights`` moves arrays with :func:`to_numpy`/:func:`to_java`, ``doctor`` asks
:func:`engine_facts`, ``bench`` starts :data:`MAIN` in a plain ``java``. (Starting the JVM is
:mod:`djl_bridge.jvm`'s business; the translation rules are :mod:`djl_bridge.javaerrors`'.)
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence, TypeVar

import jpype
import numpy as np

from . import javathread
from .config import API_NAMES, Names
from .errors import BridgeError, DataError
from .javaerrors import java_errors, translate, translated

T = TypeVar("T")

# ------------------------------------------------------------------------------- class names

#: The text's classes (package ``djlbridge``).
TIME_MACHINE = "djlbridge.TimeMachine"
TIME_MACHINE_DATASET = "djlbridge.TimeMachineDataset"
VOCAB = "djlbridge.Vocab"
RNN_MODEL = "djlbridge.RNNModel"
RNN_MODEL_SCRATCH = "djlbridge.RNNModelScratch"
MODEL_KIND = "djlbridge.ModelKind"
#: The machinery around the text (package ``djlbridge.training``).
TRAIN_SETTINGS = "djlbridge.training.TrainSettings"
TRAINING_SESSION = "djlbridge.training.TrainingSession"
TRAINING_CONTROL = "djlbridge.training.TrainingControl"
PARAMETER_FILES = "djlbridge.training.ParameterFiles"
EPOCH_CALLBACK = "djlbridge.training.EpochCallback"
THREAD_POLICY = "djlbridge.training.ThreadPolicy"
#: The plain-java launcher (``java -cp … djlbridge.training.Main``), used by the bench.
MAIN = "djlbridge.training.Main"
#: DJL and the JDK.
DEVICE = "ai.djl.Device"
ENGINE = "ai.djl.engine.Engine"
CUDA_UTILS = "ai.djl.util.cuda.CudaUtils"
NDLIST = "ai.djl.ndarray.NDList"
NDMANAGER = "ai.djl.ndarray.NDManager"
SHAPE = "ai.djl.ndarray.types.Shape"
SOFTMAX_CE_LOSS = "ai.djl.training.loss.SoftmaxCrossEntropyLoss"
PARAMETER_STORE = "ai.djl.training.ParameterStore"
JAVA_PATHS = "java.nio.file.Paths"
JAVA_SYSTEM = "java.lang.System"
JAVA_RANDOM = "java.util.Random"
JAVA_ARRAY_LIST = "java.util.ArrayList"
JAVA_COLLECTIONS = "java.util.Collections"
FLOAT_BUFFER = "java.nio.FloatBuffer"


@functools.lru_cache(maxsize=None)
def jclass(name: str) -> Any:
    """The Java class ``name`` (the JVM must run: :func:`djl_bridge.start`)."""
    with java_errors():
        return jpype.JClass(name)


def is_java_exception(exc: BaseException) -> bool:
    """Whether ``exc`` is a Java exception that escaped a call made outside this module."""
    return isinstance(exc, jpype.JException)


__all__ = ["translate"]  # re-exported for the CLI's last net, with is_java_exception

# -------------------------------------------------------------------------------- conversions


def java_path(path: Path) -> Any:
    """A ``java.nio.file.Path``."""
    with java_errors():
        return jclass(JAVA_PATHS).get(str(path))


def java_bytes(data: bytes) -> Any:
    """A Java ``byte[]`` holding ``data``."""
    return jpype.JArray(jpype.JByte)(data)


@contextlib.contextmanager
def readable_by_java(path: Path, fd: Optional[int] = None) -> Iterator[str]:
    """A name under which the JVM reads the file ``path`` whatever the locale: the JVM turns file
    names into bytes with the locale's charset, so under ``LC_ALL=C`` it cannot name ``dätä.txt``.
    Python opens the file and the JVM reads ``/proc/self/fd/N`` (ASCII), for as long as the
    block runs; a Java message that names it is given back ``path``. Where ``/proc`` is not
    mounted, the name itself. ``fd``: a descriptor already open on what the JVM must read
    (``data.snapshot``'s copy of ``path``), used and left open."""
    owned = fd is None
    if fd is None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise DataError(f"cannot open {path} ({exc.strerror or exc}): check that it is "
                            "still there and readable") from None
    try:
        name = f"/proc/self/fd/{fd}"
        if not os.path.exists(name):
            name = str(path)
        try:
            yield name
        except BridgeError as exc:
            if exc.args and isinstance(exc.args[0], str) and name in exc.args[0]:
                exc.args = (exc.args[0].replace(name, str(path)),) + exc.args[1:]
            raise
    finally:
        if owned:
            os.close(fd)


def doubles(values: Sequence[float]) -> Any:
    """A Java ``double[]``."""
    return jpype.JArray(jpype.JDouble)([float(v) for v in values])


def jfloat(value: float) -> Any:
    """A Java ``float`` (for an overload that takes one)."""
    return jpype.JFloat(float(value))


def jint(value: int) -> Any:
    """A Java ``int``, boxed where a collection needs an object."""
    return jpype.JInt(int(value))


def strings(values: Sequence[str]) -> Any:
    """A Java ``String[]``."""
    return jpype.JArray(jpype.JString)([str(v) for v in values])


def string_list(values: Sequence[str]) -> Any:
    """A ``java.util.ArrayList<String>``."""
    with java_errors():
        out = jclass(JAVA_ARRAY_LIST)()
        for v in values:
            out.add(str(v))
        return out


def to_numpy(ndarray: Any) -> np.ndarray:
    """A Java float32 ``NDArray`` as a float64 numpy array of the same shape."""
    with java_errors():
        shape = tuple(int(d) for d in ndarray.getShape().getShape())
        return np.array(ndarray.toFloatArray(), dtype=np.float64).reshape(shape)


def float_buffer(values: np.ndarray) -> Any:
    """A ``java.nio.FloatBuffer`` holding ``values`` as float32, row-major."""
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    with java_errors():
        return jclass(FLOAT_BUFFER).wrap(jpype.JArray(jpype.JFloat)(flat))


def shape(dims: Sequence[int]) -> Any:
    """A DJL ``Shape``."""
    with java_errors():
        return jclass(SHAPE)(*[int(d) for d in dims])


@translated
def to_java(values: np.ndarray, manager: Any) -> Any:
    """A new float32 ``NDArray`` on ``manager`` holding ``values``."""
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    return manager.create(jpype.JArray(jpype.JFloat)(flat), shape(np.shape(values)))


@translated
def to_java_ints(values: np.ndarray, manager: Any) -> Any:
    """A new int32 ``NDArray`` on ``manager`` holding ``values``."""
    flat = np.ascontiguousarray(values, dtype=np.int32).ravel()
    return manager.create(jpype.JArray(jpype.JInt)(flat), shape(np.shape(values)))


@functools.lru_cache(maxsize=None)
def _epoch_callback_class() -> type:
    """The one Python class implementing ``EpochCallback``: JPype makes a Java proxy class for
    each class it is given, which lives as long as the JVM, so it is defined once, not per call."""

    @jpype.JImplements(EPOCH_CALLBACK)
    class _Callback:
        def __init__(self, fn: Callable[[int, float, float], bool]) -> None:
            self.fn = fn

        @jpype.JOverride
        def onEpoch(self, epoch: int, perplexity: float, speed: float) -> bool:  # noqa: N802
            return bool(self.fn(int(epoch), float(perplexity), float(speed)))

    return _Callback


def epoch_callback(fn: Callable[[int, float, float], bool]) -> Any:
    """A Java ``EpochCallback`` that calls ``fn(epoch, perplexity, tokens_per_sec)``; its bool
    says whether to go on. ``fn`` must not raise: Java would only see a failed callback."""
    return _epoch_callback_class()(fn)


# ------------------------------------------------------------------------ the training session


def train_settings(config: Any, data: Optional[str] = None) -> Any:
    """The Java ``TrainSettings`` of a prepared :class:`~djl_bridge.config.TrainConfig`; ``data``
    is the name the JVM reads the corpus by (:func:`readable_by_java`), None for a session that
    only predicts."""
    with java_errors():
        builder = (
            jclass(TRAIN_SETTINGS).builder()
            .setModel(config.model)
            .setImpl(config.impl)
            .setNumEpochs(config.epochs)
            .setLr(float(config.lr))
            .setClipTheta(float(config.clip))
            .setNumHiddens(config.hidden)
            .setNumLayers(config.layers)
            .setBidirectional(config.bidirectional)
            .setBatchSize(config.batch_size)
            .setNumSteps(config.num_steps)
            .setMaxTokens(config.max_tokens)
            .setRandomIter(config.random_iter)
            .setSeed(config.seed)
            .setDevice(config.device)
            .setHybridize(config.hybridize)
        )
        if data is not None:
            builder.setDataPath(data)
        return builder.build()


def training_control() -> Any:
    """A Java ``TrainingControl`` (the stop flag) for :meth:`Session.open`."""
    with java_errors():
        return jclass(TRAINING_CONTROL)()


def request_stop(control: Any) -> None:
    """Asks what ``control`` guards to stop at its next check; safe from any thread."""
    with java_errors():
        control.requestStop()


def _in_callers_names(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates a :class:`Session` method so that a Java exception becomes the Python one,
    worded in the session's ``names``."""

    @functools.wraps(method)
    def wrapper(self: "Session", *args: Any, **kwargs: Any) -> Any:
        with java_errors(self.names):
            return method(self, *args, **kwargs)

    return wrapper


def _on_java_thread(method: Callable[..., T]) -> Callable[..., T]:
    """Runs ``method`` on the process's one Java thread (:mod:`djl_bridge.javathread`), whichever
    thread calls it: no new thread ever touches MXNet, whose per-thread state outlives threads."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return javathread.call(lambda: method(*args, **kwargs))

    return wrapper


class Session:
    """A Java ``TrainingSession`` (the one epoch loop) and its stop flag; every method returns
    Python values and raises only Python exceptions, worded in ``names`` (the caller's: fields
    for the API, flags for the CLI), and runs on the Java thread (but :meth:`request_stop`, which
    must reach a session busy there). Close it."""

    def __init__(self, session: Any, control: Any, names: Names = API_NAMES) -> None:
        self._session = session
        self._control = control
        self.names = names

    @classmethod
    @_on_java_thread
    def open(cls, config: Any, names: Names = API_NAMES, corpus_fd: Optional[int] = None,
             control: Any = None) -> "Session":
        """A session that trains ``config``: reads the corpus (``corpus_fd``, the run's copy of
        it, or opened here; read by the JVM through :func:`readable_by_java`), builds the
        model. ``control``: a :func:`training_control` whose stop the opening honours between
        its phases (a new one when None)."""
        with readable_by_java(config.data, corpus_fd) as data, java_errors(names):
            control = jclass(TRAINING_CONTROL)() if control is None else control
            return cls(jclass(TRAINING_SESSION).open(train_settings(config, data), control),
                       control, names)

    @classmethod
    @_on_java_thread
    def for_prediction(cls, config: Any, vocab: Sequence[str], params: bytes, source: Path,
                       names: Names = API_NAMES) -> "Session":
        """A session that only predicts, with the model of ``config``, the vocabulary and the
        bytes of the parameter file of a checkpoint (read and checked by the caller; ``source``
        names them in messages)."""
        with java_errors(names):
            control = jclass(TRAINING_CONTROL)()
            return cls(jclass(TRAINING_SESSION).forPrediction(
                train_settings(config), string_list(vocab), java_bytes(params), str(source),
                control), control, names)

    @_on_java_thread
    @_in_callers_names
    def vocab(self) -> list[str]:
        """The vocabulary, index to token."""
        return [str(t) for t in self._session.getIdxToToken()]

    @_on_java_thread
    @_in_callers_names
    def resume(self, params: bytes, source: Path, epochs_done: int,
               perplexity: Sequence[float], epoch_tokens_per_sec: Sequence[float]) -> None:
        """Loads a checkpoint's parameters (the bytes of its parameter file, read and checked by
        the caller; ``source`` names them in messages) and replays its epochs' random draws."""
        self._session.resume(java_bytes(params), str(source), int(epochs_done),
                             doubles(perplexity), doubles(epoch_tokens_per_sec))

    @_on_java_thread
    @_in_callers_names
    def train(self, until_epoch: int,
              on_epoch: Optional[Callable[[int, float, float], bool]] = None) -> int:
        """Trains until ``until_epoch`` epochs are done; ``on_epoch`` after each (False stops).
        Returns the epochs done."""
        callback = epoch_callback(on_epoch) if on_epoch is not None else None
        return int(self._session.train(int(until_epoch), callback))

    @_on_java_thread
    @_in_callers_names
    def threads_note(self) -> Optional[str]:
        """A note, once per process, when the user pinned more OpenMP threads than there are
        CPUs (``ThreadPolicy.noteOnce``); else None."""
        note = self._session.getThreadPolicy().noteOnce()
        return None if note is None else str(note)

    def request_stop(self) -> None:
        """Asks the loop to stop before its next batch (or generated character); safe from
        another thread."""
        with java_errors(self.names):
            self._control.requestStop()

    @_on_java_thread
    @_in_callers_names
    def epochs_done(self) -> int:
        return int(self._session.getEpochsDone())

    @_on_java_thread
    @_in_callers_names
    def last_good_epoch(self) -> int:
        """The epoch whose parameters :meth:`write_last_good` writes (0: none finished)."""
        return int(self._session.getLastGoodEpoch())

    @_on_java_thread
    @_in_callers_names
    def history(self) -> tuple[list[float], list[float]]:
        """Perplexity and tokens/s of every finished epoch."""
        return ([float(p) for p in self._session.getPerplexity()],
                [float(s) for s in self._session.getEpochTokensPerSec()])

    @_on_java_thread
    @_in_callers_names
    def encode_last_good(self) -> bytes:
        """The last good parameters as the bytes of the model's parameter file."""
        return bytes(self._session.encodeLastGood())

    def write_last_good(self, file: Path) -> int:
        """Writes the last good parameters to ``file`` (Python writes it, so the JVM never opens
        a path by a name its locale may not spell); returns their epoch."""
        epoch = self.last_good_epoch()
        data = self.encode_last_good()
        with open(file, "wb") as fh:
            fh.write(data)
        return epoch

    @_on_java_thread
    @_in_callers_names
    def report(self) -> dict[str, Any]:
        """The run's report (``RunReport.toJson()``), parsed."""
        return json.loads(str(self._session.result().toJson()))

    @_on_java_thread
    @_in_callers_names
    def predict(self, prefix: str, num_preds: int) -> str:
        """Greedy generation after ``prefix``."""
        return str(self._session.predict(prefix, int(num_preds)))

    @_on_java_thread
    def close(self) -> None:
        with java_errors(self.names):
            self._session.close()


# --------------------------------------------------------------------- facts and class lists


@translated
def default_threads_env() -> str:
    """The variable that marks ``OMP_NUM_THREADS`` as djl_bridge's own, as Java reads it."""
    return str(jclass(THREAD_POLICY).DEFAULT_THREADS_ENV)


@translated
def params_file_name(impl: str) -> str:
    """The name of the parameter file the Java side writes for ``impl`` ("scratch", "concise")."""
    return str(jclass(PARAMETER_FILES).fileName(impl))


@dataclass(frozen=True)
class EngineFacts:
    """What the running JVM and DJL say about themselves."""

    java_version: str
    java_home: str
    djl_version: str
    engine: str
    engine_version: str
    gpu_count: int
    cuda: Optional[str]


@translated
def engine_facts() -> EngineFacts:
    """The Java version and home, DJL's version, the engine, the GPUs DJL sees, CUDA."""
    system, eng, cuda = jclass(JAVA_SYSTEM), jclass(ENGINE), jclass(CUDA_UTILS)
    inst = eng.getInstance()
    return EngineFacts(str(system.getProperty("java.version")), str(system.getProperty("java.home")),
                       str(eng.getDjlVersion()), str(inst.getEngineName()), str(inst.getVersion()),
                       int(inst.getGpuCount()),
                       str(cuda.getCudaVersionString()) if cuda.hasCuda() else None)


@translated
def model_kinds() -> list[dict[str, Any]]:
    """``djlbridge.ModelKind`` as data: name, gates, states, scratch parameter names (of one
    layer and of a stack of two)."""
    return [{"name": str(k.getName()), "gates": int(k.getGates()), "states": int(k.getStates()),
             "params": [str(p) for p in k.getParamNames()],
             "params_2_layers": [str(p) for p in k.getParamNames(2)]}
            for k in jclass(MODEL_KIND).values()]


class Classes:
    """The Java classes the parity checks drive directly, by their simple names."""

    def __init__(self) -> None:
        self.Device = jclass(DEVICE)
        self.Engine = jclass(ENGINE)
        self.NDList = jclass(NDLIST)
        self.NDManager = jclass(NDMANAGER)
        self.Shape = jclass(SHAPE)
        self.SoftmaxCrossEntropyLoss = jclass(SOFTMAX_CE_LOSS)
        self.ParameterStore = jclass(PARAMETER_STORE)
        self.TimeMachine = jclass(TIME_MACHINE)
        self.TimeMachineDataset = jclass(TIME_MACHINE_DATASET)
        self.RNNModel = jclass(RNN_MODEL)
        self.RNNModelScratch = jclass(RNN_MODEL_SCRATCH)
        self.ModelKind = jclass(MODEL_KIND)
        self.Vocab = jclass(VOCAB)
        self.Random = jclass(JAVA_RANDOM)
        self.ArrayList = jclass(JAVA_ARRAY_LIST)
        self.Collections = jclass(JAVA_COLLECTIONS)


def classes() -> Classes:
    """The Java classes of the parity checks (the JVM must run)."""
    return Classes()
