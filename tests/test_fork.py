"""A process forked after the JVM started (multiprocessing's 'fork' start method, ``os.fork``)
cannot use the JVM: a bridge call there is one line at once that names 'spawn'/'forkserver'; it
used to hang for good, deaf to SIGTERM (issue 25 item 2). The 'spawn' method works."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

_SCRIPT = """
import multiprocessing as mp, sys
import djl_bridge

def child(q):
    try:
        result = djl_bridge.train(djl_bridge.TrainConfig(
            epochs=1, hidden=16, batch_size=4, num_steps=5, max_tokens=800, data=sys.argv[1]))
        q.put(f"trained {len(result.perplexity)}")
    except Exception as exc:
        q.put(f"{type(exc).__name__}: {exc}")

if __name__ == "__main__":
    djl_bridge.start()
    ctx = mp.get_context(sys.argv[2])
    q = ctx.Queue()
    p = ctx.Process(target=child, args=(q,))
    p.start()
    print(q.get(timeout=float(sys.argv[3])), flush=True)
    p.join(60)
    print("exit", p.exitcode, flush=True)
"""


def _run(method: str, corpus: Path, tmp_path: Path, wait: float) -> "subprocess.CompletedProcess[str]":
    script = tmp_path / "forked.py"
    script.write_text(_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(corpus), method, str(wait)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=wait + 120)
    except subprocess.TimeoutExpired:
        out, err = "", "timed out"
    finally:
        try:  # a hung child ignores SIGTERM: the whole session goes
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_forked_child_says_at_once_that_it_cannot_train(corpus: Path, tmp_path: Path) -> None:
    proc = _run("fork", corpus, tmp_path, wait=60)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and len(lines) == 2, (proc.stdout, proc.stderr)
    assert lines[0].startswith("JvmConflictError: this process was forked from process ")
    assert "a JVM cannot follow a fork" in lines[0] and "'spawn' or 'forkserver'" in lines[0]
    assert lines[1] == "exit 0"


def test_a_spawned_child_trains(corpus: Path, tmp_path: Path) -> None:
    proc = _run("spawn", corpus, tmp_path, wait=240)
    assert proc.stdout.splitlines() == ["trained 1", "exit 0"], proc.stderr


_EXIT_SCRIPT = """
import os, sys, time
import djl_bridge
djl_bridge.start()
pid = os.fork()
if pid == 0:
    import gc
    gc.collect()
    sys.exit(3)  # a normal exit: atexit handlers, the garbage collector, finalization
for _ in range(600):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        print("child exit", os.waitstatus_to_exitcode(status), flush=True)
        break
    time.sleep(0.1)
else:
    print("child hung", flush=True)
    os.kill(pid, 9)
"""


def test_a_forked_child_that_leaves_the_bridge_alone_ends(tmp_path: Path) -> None:
    # JPype's exit handler and its hook on Python's garbage collector called the JVM in the
    # child (shutdown, System.gc()) and waited forever.
    script = tmp_path / "forkexit.py"
    script.write_text(_EXIT_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=240)
    assert proc.stdout.strip() == "child exit 3", proc.stderr
