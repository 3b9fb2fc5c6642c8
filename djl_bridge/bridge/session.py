"""The Java ``TrainingSession`` (the one epoch loop) as a Python object: :class:`Session`, whose
methods take and return Python values, raise only Python exceptions worded in the caller's names,
and run on the one Java thread (:mod:`.thread`); the ``TrainSettings`` of a
:class:`~djl_bridge.config.TrainConfig`; the JPype proxy of the per-epoch callback."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TypeVar

import jpype

from . import names as N
from . import thread as javathread
from ..config import API_NAMES, Names
from .classes import jclass
from .convert import doubles, java_bytes, string_list
from .errors import java_errors
from .files import readable_by_java
from ..settings import SETTINGS

T = TypeVar("T")


@functools.lru_cache(maxsize=None)
def _epoch_callback_class() -> type:
    """The one Python class implementing ``SessionListener``: JPype makes a Java proxy class for
    each class it is given, which lives as long as the JVM, so it is defined once, not per call."""

    @jpype.JImplements(N.SESSION_LISTENER)
    class _Callback:
        def __init__(self, fn: Callable[[int, float, float], bool]) -> None:
            self.fn = fn

        @jpype.JOverride
        def onRunStart(self, session: Any) -> None:  # noqa: N802
            pass

        @jpype.JOverride
        def onEpoch(self, session: Any, record: Any) -> None:  # noqa: N802
            if not self.fn(int(record.getEpoch()), float(record.getMeasure()),
                           float(record.getTokensPerSec())):
                session.stopAfterEpoch()

        @jpype.JOverride
        def onRunEnd(self, session: Any) -> None:  # noqa: N802
            pass

    return _Callback


def epoch_callback(fn: Callable[[int, float, float], bool]) -> Any:
    """A Java ``SessionListener`` that calls ``fn(epoch, measure, tokens_per_sec)`` after each
    epoch (the measure: the language model's perplexity); its bool says whether to go on. ``fn``
    must not raise: Java would only see a failed listener."""
    return _epoch_callback_class()(fn)


# ------------------------------------------------------------------------ the training session


def train_settings(config: Any, data: Optional[str] = None) -> Any:
    """The Java ``TrainSettings`` of a prepared :class:`~djl_bridge.config.TrainConfig`; ``data``
    is the name the JVM reads the corpus by (:func:`readable_by_java`), None for a session that
    only predicts. Every setting Java has goes through the builder's setter that
    ``settings.json`` names for it."""
    with java_errors():
        builder = jclass(N.TRAIN_SETTINGS).builder()
        for setting in SETTINGS:
            if setting.java is not None and setting.check != "path":
                getattr(builder, setting.java)(getattr(config, setting.name))
        if data is not None:
            builder.setDataPath(data)
        return builder.build()


def training_control() -> Any:
    """A Java ``TrainingControl`` (the stop flag) for :meth:`Session.open`."""
    with java_errors():
        return jclass(N.TRAINING_CONTROL)()


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
    """Runs ``method`` on the process's one Java thread (:mod:`.thread`), whichever
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
            control = jclass(N.TRAINING_CONTROL)() if control is None else control
            return cls(jclass(N.LANGUAGE_MODEL_TASK).open(train_settings(config, data), control),
                       control, names)

    @classmethod
    @_on_java_thread
    def for_prediction(cls, config: Any, vocab: Sequence[str], params: bytes, source: Path,
                       names: Names = API_NAMES) -> "Session":
        """A session that only predicts, with the model of ``config``, the vocabulary and the
        bytes of the parameter file of a checkpoint (read and checked by the caller; ``source``
        names them in messages)."""
        with java_errors(names):
            control = jclass(N.TRAINING_CONTROL)()
            return cls(jclass(N.LANGUAGE_MODEL_TASK).forPrediction(
                train_settings(config), string_list(vocab), java_bytes(params), str(source),
                control), control, names)

    @_on_java_thread
    @_in_callers_names
    def vocab(self) -> list[str]:
        """The vocabulary, index to token."""
        return [str(t) for t in self._session.getTask().getIdxToToken()]

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
        return ([float(p) for p in self._session.getMeasure()],
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
