"""Signals during a run: Ctrl-C (SIGINT), SIGTERM and SIGHUP stop it between two batches so that
the caller can save the last finished epoch; SIGUSR1 asks for a checkpoint after the current
epoch and lets the run go on.

A Python signal handler cannot run while the main thread is inside a Java call, so long calls run
on the Java thread (:mod:`djl_bridge.bridge.thread`, :func:`call_interruptible`) and the calling
thread waits on them in short waits.
For the whole of a run -- the JVM's start, the training, the save after a stop -- a
:class:`StopGuard` holds the handlers of these signals, and gives back the ones it found when the
run ends (a library keeps none). Its handlers never raise on a first signal: they record it, and
the waiting thread asks Java to stop (``on_stop``: the ``TrainingControl`` flag, checked before
every batch and every generated character). A second stop signal ends at once: ``os._exit`` in the
CLI (``hard_exit``), ``KeyboardInterrupt`` in a library or a REPL.

The JVM is started with ``-Xrs``, so it installs no handler of its own for SIGINT, SIGTERM or
SIGHUP and these signals always reach Python (without it, SIGTERM ran the JVM's shutdown under
JPype and crashed). SIGUSR2 is HotSpot's own: it is left alone.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from types import FrameType
from typing import Any, Callable, Optional, TypeVar

from .bridge import thread as javathread
from .errors import ResourceError
from .paths import shown

T = TypeVar("T")

#: The signals that stop a run, and how messages name them.
STOP_SIGNALS: dict[int, str] = {
    signal.SIGINT: "Ctrl-C",
    signal.SIGTERM: "SIGTERM",
    signal.SIGHUP: "SIGHUP",
}
#: Asks for a checkpoint of the current epoch when it ends; the run goes on. (Batch schedulers
#: send it as a warning before a time limit, e.g. Slurm's ``--signal=USR1@60``.)
SAVE_SIGNAL = signal.SIGUSR1

#: Exit statuses as shells report them: 128 + the signal number.
EXIT_STATUS: dict[str, int] = {name: 128 + int(num) for num, name in STOP_SIGNALS.items()}


def say(line: str) -> None:
    """Writes ``line`` on stderr; never raises (a closed terminal after SIGHUP, a handler that
    interrupted a write to stderr: the line is then written straight to fd 2, or lost). Control
    characters other than newlines and tabs (a path's escape sequences) are written escaped."""
    line = "\n".join("\t".join(shown(part) for part in ln.split("\t"))
                     for ln in line.split("\n"))
    text = line if line.endswith("\n") else line + "\n"
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
        return
    except Exception:  # noqa: BLE001 - OSError, a reentrant write, no sys.stderr: fall back
        pass
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def tell(text: str) -> None:
    """Says ``text`` as djl-bridge on stderr (``djl-bridge: TEXT``); never raises."""
    say(f"djl-bridge: {text}")


@dataclass
class StopRequest:
    """Which signal asked the call to stop (None: none did)."""

    signal_name: Optional[str] = None

    @property
    def what(self) -> str:
        """How the call was stopped, for messages: "interrupted by Ctrl-C", "stopped by
        SIGTERM", "stopped by SIGHUP"."""
        if self.signal_name in (None, "Ctrl-C"):
            return "interrupted by Ctrl-C"
        return f"stopped by {self.signal_name}"

    @property
    def exit_status(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP."""
        return EXIT_STATUS.get(self.signal_name or "Ctrl-C", 130)


class StopGuard:
    """From ``with`` to its end, the stop signals (:data:`STOP_SIGNALS`) and SIGUSR1 are this
    guard's, except those the caller ignores (``SIG_IGN``, e.g. SIGHUP under ``nohup``), which
    stay ignored; the handlers it found are given back at the end. Only in the main thread: elsewhere
    Python cannot handle signals, and they stay with whoever handles them.

    A first stop signal is recorded in :attr:`request` with one line on stderr; the waiting
    thread of :func:`call_interruptible` then asks Java to stop. A second one ends the process at
    once with its exit status (``hard_exit``: the CLI) or raises ``KeyboardInterrupt`` (a library,
    a REPL). SIGUSR1 sets :attr:`save_requested`, which the run's epoch callback takes
    (:meth:`take_save_request`)."""

    def __init__(self, hard_exit: bool = False, unit: str = "batch",
                 request: Optional[StopRequest] = None, can_save: bool = True) -> None:
        self.hard_exit = hard_exit
        #: What Java finishes before it stops ("batch", "character"), for the line.
        self.unit = unit
        self.request = request if request is not None else StopRequest()
        #: Whether the run has somewhere to save (a checkpoint directory), for SIGUSR1's line.
        self.can_save = can_save
        self.save_requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopGuard":
        if threading.current_thread() is threading.main_thread():
            for num in (*STOP_SIGNALS, SAVE_SIGNAL):
                # A signal the caller ignores stays ignored (``nohup``, a shell's background
                # job, ``signal.signal(SIGHUP, SIG_IGN)``): it is theirs to ignore.
                if signal.getsignal(num) is not signal.SIG_IGN:
                    self._previous[num] = signal.signal(num, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        while self._previous:
            num, previous = self._previous.popitem()
            # None: a handler not installed from Python (e.g. by C code); the default is the
            # nearest Python can give back.
            signal.signal(num, previous if previous is not None else signal.SIG_DFL)

    def take_save_request(self) -> bool:
        """Whether SIGUSR1 asked for a checkpoint since the last call."""
        asked, self.save_requested = self.save_requested, False
        return asked

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if signum == SAVE_SIGNAL:
            if self.unit != "batch":  # predict: generating text, not training
                tell("SIGUSR1: no epoch is being trained, so there is nothing to save; going on")
            elif self.can_save:
                self.save_requested = True
                tell("SIGUSR1: a checkpoint will be written when the current epoch ends")
            else:
                tell("SIGUSR1: no checkpoint directory was given, so nothing can be saved; "
                     "going on")
            return
        name = STOP_SIGNALS.get(signum, f"signal {signum}")
        if self.request.signal_name is not None:
            if self.hard_exit:
                tell(f"{name} again: exiting at once without saving")
                os._exit(128 + signum)
            raise KeyboardInterrupt(f"{name} again: the Java call was left to stop by itself")
        self.request.signal_name = name
        say(f"\ndjl-bridge: {name}: stopping after the current {self.unit} (again to quit at "
            "once)")


def call_interruptible(fn: Callable[[], T], on_stop: Callable[[], None],
                       request: Optional[StopRequest] = None, hard_exit: bool = False,
                       unit: str = "batch", poll_seconds: float = 0.1,
                       guard: Optional[StopGuard] = None) -> T:
    """Runs ``fn`` on the Java thread and waits for it; ``fn``'s result or exception is handed
    back when it ends. A stop signal (recorded by ``guard``, or by a guard of this call's own
    made from ``request``, ``hard_exit`` and ``unit``) makes the waiting thread call ``on_stop``
    once, also when it came before the call."""
    if guard is None:
        with StopGuard(hard_exit, unit, request) as own:
            return call_interruptible(fn, on_stop, poll_seconds=poll_seconds, guard=own)
    # An Event waited on in short waits, not a join: a KeyboardInterrupt inside join() can leave
    # a thread marked as stopped while it still runs (CPython gh-90882).
    finished = threading.Event()
    try:
        future = javathread.submit(fn)
    except RuntimeError as exc:  # "can't start new thread": ulimit -v or -u, or no memory
        raise ResourceError(f"could not start the thread that runs Java ({exc}): raise the "
                            "process's limits (ulimit -v, ulimit -u) or free memory") from None
    future.add_done_callback(lambda _: finished.set())
    stop_sent = False
    while True:
        if guard.request.signal_name is not None and not stop_sent:
            stop_sent = True
            on_stop()
        if finished.wait(poll_seconds):
            break
    return future.result()
