"""The signals of the ``djl-bridge`` program while it starts (:mod:`djl_bridge.program`).

From the moment the program runs :func:`take_signals` to the moment
:class:`~djl_bridge.console.Console` takes them, Ctrl-C, SIGTERM and SIGHUP end the program with
one line and exit status 128 + the signal, and SIGUSR1 is one line and nothing else: without
this, a Ctrl-C while numpy loads or argparse builds the parser printed a Python traceback, and
SIGUSR1 (whose default action ends a process) killed it. Only the standard library is imported
here. A signal the caller ignores stays ignored.
"""
from __future__ import annotations

import os
import signal
from types import FrameType
from typing import Optional

#: How the line names each stop signal (as :class:`~djl_bridge.interrupt.StopRequest` does).
_WHAT = {signal.SIGINT: "interrupted by Ctrl-C", signal.SIGTERM: "stopped by SIGTERM",
         signal.SIGHUP: "stopped by SIGHUP"}


def _write(line: str) -> None:
    try:
        os.write(2, (line + "\n").encode("utf-8", "replace"))
    except OSError:
        pass


def _starting(signum: int, frame: Optional[FrameType]) -> None:
    if signum == signal.SIGUSR1:
        _write("djl-bridge: SIGUSR1: no epoch is being trained, so there is nothing to save")
        return
    _write(f"djl-bridge: {_WHAT.get(signum, f'signal {signum}')} outside the training loop; "
           "nothing more was saved")
    os._exit(128 + signum)


def take_signals() -> None:
    """Installs the start-up handlers (not those the caller ignores). Main thread only."""
    for num in (*_WHAT, signal.SIGUSR1):
        if signal.getsignal(num) is not signal.SIG_IGN:
            signal.signal(num, _starting)
