"""Python's side of a run: a list of callbacks, in the manner of Keras and Lightning.

A :class:`Callback` is told when a run starts (:class:`RunInfo`: the config, the epoch count, where
a resumed run starts), after each epoch (its :class:`EpochRecord` and the run's records so far)
and when the run ends (the :class:`~djl_bridge.result.TrainingResult`). Pass them as
``callbacks=[...]`` to :func:`djl_bridge.train`, :func:`djl_bridge.run` or
:func:`djl_bridge.resume`; ``on_epoch=fn`` is the shortcut for one function
``fn(epoch, perplexity, tokens_per_sec)``. The library's own per-epoch behaviours are callbacks
too, run around the user's in a fixed order: the progress display first, then the user's (the
shortcut first, then the list, in its order), then the periodic checkpoint and the one SIGUSR1
asked for. :class:`djl_bridge.PerplexityPlot` is one the user adds.

A user's callback that raises stops the run after the epoch that finished: the last good epoch is
saved (where there is a checkpoint directory), then one :class:`~djl_bridge.errors.CallbackError`
names the callback, the hook and the epoch (the callback's exception is its ``__cause__``). A
KeyboardInterrupt or SystemExit goes on as it is.

Every hook runs on the thread that makes the run's Java calls (:mod:`djl_bridge.bridge.thread`),
between two epochs, while the Java loop waits for it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from .errors import CallbackError, ConfigError

if TYPE_CHECKING:  # for the annotations only: result imports nothing of this module
    from .config import TrainConfig
    from .result import TrainingResult
    from .seq2seq_config import Seq2SeqConfig

#: The measure each epoch of the language model reports.
PERPLEXITY = "perplexity"
#: The measure each epoch of sequence to sequence (D2L 9.7) reports.
LOSS = "loss"


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: its number (1-based, counted over a resumed run's earlier epochs too),
    the task's measure (``measure``, e.g. "perplexity", and its ``value``), the training speed
    and the epoch's wall time as Python saw it (None for epochs read from a checkpoint)."""

    epoch: int
    measure: str
    value: float
    tokens_per_sec: float
    seconds: Optional[float] = None

    @property
    def perplexity(self) -> float:
        """The value, for a task whose measure is perplexity (the language model)."""
        if self.measure != PERPLEXITY:
            raise AttributeError(f"this run measures {self.measure}, not perplexity: use .value")
        return self.value


@dataclass(frozen=True)
class RunInfo:
    """What a run is, as it starts: its config, the epoch it ends at (``epochs``, the total over
    a resumed run), the epochs done before it (``start_epoch``; 0 for a new run) and their
    records (``history``), the measure its epochs report, where it checkpoints (or None)."""

    config: "TrainConfig | Seq2SeqConfig"
    epochs: int
    start_epoch: int = 0
    measure: str = PERPLEXITY
    checkpoint_dir: Optional[Path] = None
    history: tuple[EpochRecord, ...] = ()


class Callback:
    """Base class of a run's callbacks; override the hooks you need (each is a no-op here)."""

    def on_run_start(self, run: RunInfo) -> None:
        """Called once, after the model is built (and a checkpoint loaded), before the first
        epoch."""

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> Optional[bool]:
        """Called after each epoch with its record and every record of the run so far (the last
        is ``record``); returning False stops the run after this epoch (None goes on)."""
        return None

    def on_run_end(self, result: "TrainingResult") -> None:
        """Called once when the run has finished (all its epochs, or fewer when a callback
        stopped it) and its last checkpoint is written; not after an error or a stop signal."""


def describe(callback: object) -> str:
    """How a message names a callback: its class, or ``on_epoch`` and the function."""
    if isinstance(callback, OnEpoch):
        fn = callback.fn
        return f"on_epoch ({getattr(fn, '__qualname__', None) or type(fn).__name__})"
    return type(callback).__name__


class OnEpoch(Callback):
    """The ``on_epoch=fn`` shortcut: ``fn(epoch, value, tokens_per_sec)`` after each epoch;
    returning False stops the run."""

    def __init__(self, fn: Callable[[int, float, float], Optional[bool]]) -> None:
        self.fn = fn

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> Optional[bool]:
        return self.fn(record.epoch, record.value, record.tokens_per_sec)


def check_callbacks(callbacks: Optional[Sequence[Callback]], on_epoch: Any,
                    field: str = "callbacks") -> list[Callback]:
    """The user's callbacks, the ``on_epoch`` shortcut first; :class:`ConfigError` for anything
    that is not a list of :class:`Callback` or a function."""
    if on_epoch is not None and not callable(on_epoch):
        raise ConfigError(f"on_epoch must be a function (epoch, value, tokens_per_sec), "
                          f"got {on_epoch!r}")
    if callbacks is None:
        callbacks = ()
    if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
        raise ConfigError(f"{field} must be a list of djl_bridge.Callback, got {callbacks!r}")
    for i, cb in enumerate(callbacks):
        if not isinstance(cb, Callback):
            raise ConfigError(f"{field}[{i}] must be a djl_bridge.Callback (subclass it and "
                              f"override its hooks, or pass a function as on_epoch), got {cb!r}")
    return ([OnEpoch(on_epoch)] if on_epoch is not None else []) + list(callbacks)


class Failure:
    """What went wrong in a hook: the exception, and the callback when it was the user's (its
    error is reworded and the finished epochs saved), None for the library's own."""

    def __init__(self, error: BaseException, callback: Optional[Callback], hook: str,
                 epoch: Optional[int]) -> None:
        self.error = error
        self.callback = callback
        self.hook = hook
        self.epoch = epoch
        #: A KeyboardInterrupt or SystemExit in a user's callback goes on as it is.
        self.as_is = callback is None or not isinstance(error, Exception)

    def callback_error(self, where: str) -> CallbackError:
        """The one error of a user's callback; ``where`` says what became of the run."""
        e = self.error
        after = f" after epoch {self.epoch}" if self.epoch is not None else ""
        text = str(e).splitlines()[0] if str(e).strip() else ""
        return CallbackError(
            f"callback {describe(self.callback)} raised {type(e).__name__}"
            f"{': ' + text if text else ''} in {self.hook}{after}; {where}",
            describe(self.callback), self.hook, self.epoch)


class CallbackList:
    """Runs a run's hooks: ``before`` (the library's: progress), the user's, ``after`` (the
    library's: checkpoints), in that order. The epoch hook is called from Java and must not
    raise: it records the first failure (:attr:`failure`) and asks the loop to stop."""

    def __init__(self, user: Sequence[Callback], before: Sequence[Callback] = (),
                 after: Sequence[Callback] = ()) -> None:
        self.user = list(user)
        self.before = list(before)
        self.after = list(after)
        self.history: list[EpochRecord] = []
        self.failure: Optional[Failure] = None
        self._measure = PERPLEXITY
        self._clock = time.monotonic()

    def _each(self) -> list[tuple[Callback, bool]]:
        return [(cb, False) for cb in self.before] + [(cb, True) for cb in self.user] + \
            [(cb, False) for cb in self.after]

    def _call(self, cb: Callback, users: bool, hook: str, epoch: Optional[int],
              *args: Any) -> Any:
        try:
            return getattr(cb, hook)(*args)
        except BaseException as exc:  # noqa: BLE001 - kept, then raised after the Java call
            self.failure = Failure(exc, cb if users else None, hook, epoch)
            return False

    def start(self, run: RunInfo) -> None:
        """``on_run_start`` of each; raises at the first failure (nothing has trained yet)."""
        self._measure = run.measure
        self.history = list(run.history)
        for cb, users in self._each():
            self._call(cb, users, "on_run_start", None, run)
            if self.failure is not None:
                self.raise_failure("the run did not start")
        self._clock = time.monotonic()

    def epoch(self, epoch: int, value: float, tokens_per_sec: float) -> bool:
        """The Java loop's per-epoch callback: each ``on_epoch_end``; whether to go on."""
        now = time.monotonic()
        record = EpochRecord(int(epoch), self._measure, float(value), float(tokens_per_sec),
                             now - self._clock)
        self._clock = now
        self.history.append(record)
        history = tuple(self.history)
        go_on = True
        for cb, users in self._each():
            answer = self._call(cb, users, "on_epoch_end", record.epoch, record, history)
            if self.failure is not None:
                return False
            go_on = go_on and answer is not False
        return go_on

    def end(self, result: Any, where: str = "the run had finished") -> None:
        """``on_run_end`` of each; raises at the first failure (``where`` says what became of
        the run)."""
        for cb, users in self._each():
            self._call(cb, users, "on_run_end", None, result)
            if self.failure is not None:
                self.raise_failure(where)

    def raise_failure(self, where: str) -> None:
        """Raises the recorded failure: a user's callback as one :class:`CallbackError` (its
        exception as the cause), the library's own error as it is."""
        failure, self.failure = self.failure, None
        if failure is None:
            return
        if failure.as_is:
            raise failure.error
        raise failure.callback_error(where) from failure.error


class ShowProgress(Callback):
    """The progress display of a run (:func:`djl_bridge.progress.for_run`), built when the run
    starts (it learns the epoch count then), closed by :meth:`close` whatever happens."""

    def __init__(self, make: Callable[..., Any]) -> None:
        self._make = make
        self.shown: Any = None

    def on_run_start(self, run: RunInfo) -> None:
        self.shown = self._make(run.epochs, run.start_epoch, measure=run.measure)

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        if self.shown is not None:
            self.shown.update(record.epoch, record.value, record.tokens_per_sec)

    def close(self) -> None:
        if self.shown is not None:
            shown, self.shown = self.shown, None
            shown.close()


class PeriodicCheckpoint(Callback):
    """Writes a checkpoint every ``every`` epochs (``RunOptions.save_every``, ``--save-every``)."""

    def __init__(self, every: int, save: Callable[[], Any]) -> None:
        self.every = every
        self.save = save

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        if record.epoch % self.every == 0:
            self.save()


class SaveOnSignal(Callback):
    """Writes a checkpoint when SIGUSR1 asked for one during the epoch (``taken()`` says whether
    it did since the last call, :meth:`djl_bridge.interrupt.StopGuard.take_save_request`)."""

    def __init__(self, taken: Callable[[], bool], save: Callable[[], Any]) -> None:
        self.taken = taken
        self.save = save

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        if self.taken():
            self.save()


def records(values: Sequence[float], tokens_per_sec: Sequence[float],
            measure: str = PERPLEXITY) -> tuple[EpochRecord, ...]:
    """Records of epochs read from a checkpoint (no wall time)."""
    return tuple(EpochRecord(i + 1, measure, float(v), float(s), None)
                 for i, (v, s) in enumerate(zip(values, tokens_per_sec)))
