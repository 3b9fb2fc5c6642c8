"""What every task's run shares (the language model's :func:`djl_bridge.session.run`, sequence
to sequence's :func:`djl_bridge.seq2seq.train_seq2seq`): its options (:class:`RunOptions`), the
one Java call that trains with the progress display, the callbacks and Ctrl-C/SIGTERM/SIGHUP
(:func:`drive`), and how a stopped run ends (:class:`Interrupted`, :func:`where_kept`)."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from . import bridge, jupyter, progress
from .callbacks import Callback, CallbackList, RunInfo, ShowProgress
from .config import API_NAMES, JAVA_INT_MAX, Names, as_int, as_path, check_path
from .errors import ConfigError, TrainingDivergedError, TrainingInterruptedError
from .interrupt import StopGuard, call_interruptible
from .outputs import check_checkpoint_dir


@dataclass(frozen=True)
class RunOptions:
    """Where and how often to checkpoint, whether to show progress (True: a widget in a
    notebook, a bar on a terminal, plain lines on stderr otherwise; None: only in a notebook),
    whether a second signal may end the process at once (the CLI) or raises KeyboardInterrupt
    (a library, a REPL), and how messages name settings (``TrainConfig.hidden`` for the API,
    ``--hidden`` for the CLI)."""

    checkpoint_dir: Optional[Path] = None
    save_every: int = 10
    overwrite: bool = False
    hard_exit: bool = False
    names: Names = API_NAMES
    progress: Optional[bool] = None

    def __post_init__(self) -> None:  # a str path and numpy integers, as TrainConfig takes them
        object.__setattr__(self, "checkpoint_dir", as_path(self.checkpoint_dir))
        object.__setattr__(self, "save_every", as_int(self.save_every))

    def validate(self) -> "RunOptions":
        """Raises :class:`ConfigError` for a bad value, and proves the checkpoint directory
        writable (creating it), all before any training."""
        flag = self.names("save_every", "RunOptions")
        if isinstance(self.save_every, bool) or not isinstance(self.save_every, int) \
                or self.save_every <= 0:
            raise ConfigError(f"{flag} must be a whole number > 0, got {self.save_every!r}")
        if self.save_every > JAVA_INT_MAX:
            raise ConfigError(
                f"{flag} must be a whole number in 1..{JAVA_INT_MAX}, got {self.save_every!r}")
        for name in ("overwrite", "hard_exit"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{self.names(name, 'RunOptions')} must be True or False, got "
                                  f"{getattr(self, name)!r}")
        if self.progress is not None and not isinstance(self.progress, bool):
            raise ConfigError(f"{self.names('progress', 'RunOptions')} must be True, False or "
                              f"None (only in a notebook), got {self.progress!r}")
        if self.checkpoint_dir is not None:
            check_checkpoint_dir(check_path(self.checkpoint_dir,
                                            self.names("checkpoint_dir", "RunOptions")),
                                 self.names)
        return self


class Interrupted(TrainingInterruptedError):
    """Ctrl-C, SIGTERM or SIGHUP stopped the run; ``checkpoint`` is where its last finished
    epoch was saved (None: nowhere), ``exit_status`` is 130 (Ctrl-C), 143 (SIGTERM) or 129
    (SIGHUP)."""

    def __init__(self, message: str, epochs_done: int, checkpoint: Optional[Path],
                 exit_status: int = 130) -> None:
        super().__init__(message)
        self.epochs_done = epochs_done
        self.checkpoint = checkpoint
        self.exit_status = exit_status


def print_threads_note(session: bridge.Session) -> None:
    """Says once per process when a pinned thread count exceeds the CPUs (Java's rule)."""
    note = session.threads_note()
    if note:
        print(f"djl-bridge: note: {note}", file=sys.stderr, flush=True)


def drive(session: bridge.Session, info: RunInfo, options: RunOptions, hooks: CallbackList,
          guard: StopGuard, save: Callable[[], Optional[Path]], saved_epoch: Callable[[], int],
          after: Sequence[Callback] = ()) -> None:
    """What every task's run shares once its session is open: the progress display (showing
    ``info.measure``) before the user's callbacks and ``after`` (the library's checkpoints)
    behind them, the one Java call that trains ``info.epochs`` epochs with Ctrl-C/SIGTERM/SIGHUP
    stopping it between two batches, then the endings: a stop raises :class:`Interrupted`, a
    non-finite measure :class:`TrainingDivergedError`, a callback's failure its error, each after
    ``save()`` kept what it can (the path it wrote, None: nothing; ``saved_epoch()`` its epoch).
    A run that finished is saved once more."""
    shown = ShowProgress(progress.for_run)
    quiet = not (options.progress or (options.progress is None and jupyter.in_notebook()))
    hooks.before = [] if quiet else [shown]
    hooks.after = list(after)
    try:
        try:
            hooks.start(info)
            call_interruptible(lambda: session.train(info.epochs, hooks.epoch),
                               session.request_stop, guard=guard)
        finally:
            shown.close()
    except TrainingInterruptedError:
        done = session.epochs_done()
        path = save()
        raise Interrupted(f"{guard.request.what} during epoch {done + 1}: "
                          f"{where_kept(path, done, options)}", done, path,
                          guard.request.exit_status) from None
    except TrainingDivergedError as exc:
        path = save()
        if path is not None:
            exc.args = (f"{exc.args[0]}. The last good checkpoint (epoch {saved_epoch()}) is "
                        f"in {path}",)
        elif options.checkpoint_dir is not None and session.last_good_epoch() <= 0:
            exc.args = (f"{exc.args[0]}. Nothing was saved (no epoch finished)",)
        raise
    if hooks.failure is not None:
        if hooks.failure.callback is not None:  # the user's: the finished epochs are kept first
            path = save()
            hooks.raise_failure("the run stopped there: "
                                + where_kept(path, saved_epoch(), options))
        hooks.raise_failure("")  # the library's own error (a checkpoint that failed), as it is
    save()


def where_kept(path: Optional[Path], done: int, options: RunOptions) -> str:
    """Where a stopped run's progress is, and how to go on, for its message."""
    names = options.names
    if path is not None:
        return (f"the checkpoint of epoch {done} is in {path}; go on with "
                f"{names.resume_command(options.checkpoint_dir)}")
    if options.checkpoint_dir is None:
        return (f"nothing was saved (pass "
                f"{names.setting('checkpoint_dir', 'DIR', 'RunOptions')} to keep progress)")
    return "nothing was saved (no epoch finished)"  # the saver writes any finished epoch
