"""Signals as the caller set them up, and in every phase of a run (issue 25 items 8 and 9): an
ignored signal stays ignored (``nohup``), and a signal in the first moments of the CLI is handled
as during the run: one line, never a Python traceback, never a process killed by SIGUSR1."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from djl_bridge import checkpoint
from djl_bridge.interrupt import StopGuard

from .test_seams import TINY, Child
from .test_seams import _no_child_outlives_its_test  # noqa: F401 - the autouse fixture


# ------------------------------------------------------------- item 9: an ignored signal

@pytest.mark.parametrize("num", [signal.SIGHUP, signal.SIGUSR1, signal.SIGINT])
def test_a_signal_the_caller_ignores_stays_ignored_in_the_guard(num: int) -> None:
    previous = signal.signal(num, signal.SIG_IGN)
    try:
        with StopGuard() as guard:
            assert signal.getsignal(num) is signal.SIG_IGN
            os.kill(os.getpid(), num)
            time.sleep(0.05)
            assert guard.request.signal_name is None and not guard.save_requested
        assert signal.getsignal(num) is signal.SIG_IGN
    finally:
        signal.signal(num, previous)


def test_nohup_keeps_sighup_ignored_during_a_cli_run(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    # As `nohup djl-bridge train ... &`: SIGHUP ignored when the program starts.
    child = Child(["train", *TINY, "--data", str(corpus), "--epochs", "100000",
                   "--save-every", "1", "--checkpoint-dir", str(ck)],
                  hook="import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)")
    child.wait_for(lambda: checkpoint.find_latest(ck) is not None)
    child.proc.send_signal(signal.SIGHUP)  # the old CLI: "stopped by SIGHUP", exit 129
    first = checkpoint.find_latest(ck)
    assert first is not None
    child.wait_for(lambda: checkpoint.find_latest(ck).name > first.name)  # it goes on
    assert child.proc.poll() is None
    child.proc.send_signal(signal.SIGTERM)
    code, _, err = child.finish()
    assert code == 143, err
    assert "SIGHUP" not in err and "stopped by SIGTERM" in err
