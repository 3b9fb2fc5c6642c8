"""A library is called many times in one process: ``train()`` and ``predict()`` leave nothing
behind per call (each call made 5-7 MB of native per-thread state before every Java call ran on
one long-lived thread), from the caller's thread or from a new thread each time, and no thread
but the one Java thread ever runs Java work. The resident-set slope is checked with a wide
margin (flat is ~0.1 MB per call), never a time."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from djl_bridge.bridge import thread as javathread

from .conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "memory_per_call.py"
#: MB per call allowed after the warm-up calls: today's leak was 5-7, flat is ~0.1.
MOST_MB_PER_CALL = 1.5


def _slope(what: str, calls: int, corpus: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DJL_BRIDGE_DATA": str(corpus)}
    env.pop("DJL_BRIDGE_DEFAULT_THREADS", None)
    proc = subprocess.run([sys.executable, str(SCRIPT), "--what", what, "--calls", str(calls),
                           "--warmup", "8", "--json", *extra], capture_output=True, text=True,
                          env=env, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.subprocess
@pytest.mark.slow
def test_train_calls_from_new_threads_leave_nothing_behind(corpus: Path) -> None:
    out = _slope("train", 22, corpus, "--threads-per-call")
    assert out["mb_per_call"] < MOST_MB_PER_CALL, out


@pytest.mark.subprocess
@pytest.mark.slow
def test_predict_calls_leave_nothing_behind(corpus: Path) -> None:
    out = _slope("predict", 22, corpus)
    assert out["mb_per_call"] < MOST_MB_PER_CALL, out


def test_every_call_runs_on_the_one_java_thread() -> None:
    seen = set()
    futures = []
    for _ in range(3):  # from three short-lived threads
        t = threading.Thread(target=lambda: futures.append(
            javathread.submit(lambda: seen.add(threading.get_ident()))))
        t.start()
        t.join()
    for f in futures:
        f.result(timeout=60)
    assert len(seen) == 1
    assert javathread.call(javathread.is_java_thread) is True
    assert javathread.is_java_thread() is False
    # a call made on the Java thread runs at once instead of queuing behind itself
    assert javathread.call(lambda: javathread.call(lambda: 7)) == 7


@pytest.mark.subprocess
def test_a_ctrl_c_while_waiting_is_raised_after_the_java_call_ends() -> None:
    code = (
        "import os, signal, threading, time\n"
        "from djl_bridge.bridge import thread as javathread\n"
        "done = []\n"
        "def slow():\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.5)\n"
        "    done.append(1)\n"
        "try:\n"
        "    javathread.call(slow)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted after', done)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "interrupted after [1]"


@pytest.mark.parametrize("error", [ValueError("bad"), KeyboardInterrupt()])
def test_the_callers_get_the_java_threads_exceptions(error: BaseException) -> None:
    def fail() -> None:
        raise error
    with pytest.raises(type(error)):
        javathread.call(fail)
    assert javathread.call(lambda: "still serving") == "still serving"
