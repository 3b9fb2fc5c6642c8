"""Long Java calls that Ctrl-C (SIGINT) and SIGTERM can stop cleanly.

A Python signal handler cannot run while the main thread is inside a Java call, so the call runs
on the Java thread (javathread.py), waited on in short waits. The first SIGINT or SIGTERM asks
Java to stop (``on_stop``: the ``TrainingControl`` flag, checked before every batch and every
generated character) and waits for the call to end, so the caller can save the last finished
epoch. A second signal ends at once: ``os._exit`` in the CLI (``hard_exit``), ``KeyboardInterrupt``
in a library or REPL.

The JVM is started with ``-Xrs``, so it installs no handler of its own for SIGINT/SIGTERM and these
signals always reach Python (without it, SIGTERM ran the JVM's shutdown under JPype and crashed).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

from . import javathread

T = TypeVar("T")

#: Exit statuses as shells report them: 128 + the signal number.
EXIT_STATUS = {"Ctrl-C": 128 + signal.SIGINT, "SIGTERM": 128 + signal.SIGTERM}


class _Terminate(BaseException):
    """Raised in the main thread by our SIGTERM handler, like KeyboardInterrupt for SIGINT."""


@dataclass
class StopRequest:
    """Which signal asked the call to stop (None: none did)."""

    signal_name: Optional[str] = None

    @property
    def what(self) -> str:
        """How the call was stopped, for messages: "interrupted by Ctrl-C" or "stopped by
        SIGTERM"."""
        return "stopped by SIGTERM" if self.signal_name == "SIGTERM" else "interrupted by Ctrl-C"

    @property
    def exit_status(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM."""
        return EXIT_STATUS.get(self.signal_name or "Ctrl-C", 130)


def _raise_terminate(signum: int, frame: Any) -> None:
    raise _Terminate()


def call_interruptible(fn: Callable[[], T], on_stop: Callable[[], None],
                       request: Optional[StopRequest] = None, hard_exit: bool = False,
                       unit: str = "batch", poll_seconds: float = 0.1) -> T:
    """Runs ``fn`` on the Java thread; SIGINT/SIGTERM call ``on_stop`` once and record the signal
    in ``request``; ``fn``'s result or exception is handed back when it ends. ``unit`` names what
    Java finishes before it stops ("batch", "character") in the message."""
    request = request if request is not None else StopRequest()
    # An Event waited on in short waits, not a join: a KeyboardInterrupt inside join() can leave
    # a thread marked as stopped while it still runs (CPython gh-90882).
    finished = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_terminate) if in_main else None
    try:
        future = javathread.submit(fn)
        future.add_done_callback(lambda _: finished.set())
        while not finished.is_set():
            try:
                finished.wait(poll_seconds)
            except (KeyboardInterrupt, _Terminate) as exc:
                name = "SIGTERM" if isinstance(exc, _Terminate) else "Ctrl-C"
                if request.signal_name is not None:
                    if hard_exit:
                        print(f"djl-bridge: {name} again: exiting at once without saving",
                              file=sys.stderr, flush=True)
                        os._exit(EXIT_STATUS[name])
                    raise KeyboardInterrupt(f"{name} again: the Java call was left to stop "
                                            "by itself") from None
                request.signal_name = name
                print(f"\ndjl-bridge: {name}: stopping after the current {unit} (again to quit "
                      "at once)", file=sys.stderr, flush=True)
                on_stop()
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
    return future.result()
