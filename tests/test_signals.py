"""Signals as the caller set them up, and in every phase of a run (issue 25 items 8 and 9): an
ignored signal stays ignored (``nohup``), and a signal in the first moments of the CLI is handled
as during the run: one line, never a Python traceback, never a process killed by SIGUSR1."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from djl_bridge import checkpoint
from djl_bridge.interrupt import StopGuard

from .conftest import ROOT, TINY, Child


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


@pytest.mark.subprocess
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


# ------------------------------------------------- item 8: a signal in the program's first moments

#: Python that sends ``SIG`` to its own process as ``MODULE`` is first imported (while the
#: command line loads: numpy; while it builds its parser: djl_bridge.bench), then runs the
#: program as ENTRY does.
_HOOK = """
import importlib.abc, os, runpy, signal, sys
class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), {sig})
        return None
sys.meta_path.insert(0, Hook())
sys.argv = ["djl-bridge", "train", "--help"]
{entry}
"""

_ENTRIES = {
    "python -m djl_bridge.cli": "runpy.run_module('djl_bridge.cli', run_name='__main__', "
                                "alter_sys=True)",
    "python -m djl_bridge": "runpy.run_module('djl_bridge', run_name='__main__', alter_sys=True)",
    "the djl-bridge script": "from djl_bridge.program import main\nsys.exit(main())",
}


def _run_hooked(module: str, sig: int, entry: str) -> "subprocess.CompletedProcess[str]":
    code = _HOOK.format(module=module, sig=int(sig), entry=_ENTRIES[entry])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.parametrize("entry", sorted(_ENTRIES))
@pytest.mark.parametrize("module", ["numpy", "djl_bridge.bench"])
@pytest.mark.parametrize("sig, what", [(signal.SIGINT, "interrupted by Ctrl-C"),
                                       (signal.SIGTERM, "stopped by SIGTERM")])
def test_a_stop_signal_while_the_program_starts_is_one_line(entry: str, module: str, sig: int,
                                                            what: str) -> None:
    proc = _run_hooked(module, sig, entry)
    assert proc.returncode == 128 + sig, proc.stderr  # was 1 with a KeyboardInterrupt traceback
    assert proc.stderr.strip() == f"djl-bridge: {what} outside the training loop; nothing " \
                                  "more was saved", proc.stderr


@pytest.mark.parametrize("entry", sorted(_ENTRIES))
@pytest.mark.parametrize("module", ["numpy", "djl_bridge.bench"])
def test_sigusr1_while_the_program_starts_is_one_line(entry: str, module: str) -> None:
    proc = _run_hooked(module, signal.SIGUSR1, entry)
    assert proc.returncode == 0, proc.stderr  # was -10: killed by SIGUSR1's default action
    assert "usage: djl-bridge train" in proc.stdout
    assert proc.stderr.strip() == "djl-bridge: SIGUSR1: no epoch is being trained, so there is " \
                                  "nothing to save", proc.stderr


def test_importing_the_package_imports_none_of_its_modules() -> None:
    code = "import sys, djl_bridge; print(sorted(m for m in sys.modules if m.startswith('djl_bridge') " \
           "or m.startswith('numpy')))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.split() == ["['djl_bridge']"], proc.stderr
