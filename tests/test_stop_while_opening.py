"""Issue 25 item 1: a stop asked for while a run opens (the JVM's start, the corpus, the model's
building) is honoured between those phases, in one line, before any batch; a model that takes
seconds to build says so first."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import ROOT


def test_sigterm_while_the_model_is_built_stops_before_the_first_batch(
        corpus: Path, tmp_path: Path) -> None:
    args = ["train", "--hidden", "4200", "--epochs", "1", "--batch-size", "1", "--num-steps",
            "2", "--max-tokens", "200", "--data", str(corpus), "--checkpoint-dir",
            str(tmp_path / "ck")]
    proc = subprocess.Popen([sys.executable, "-m", "djl_bridge.cli", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    start = time.monotonic()
    for line in proc.stderr:  # the line says the long phase has begun: stop it then
        lines.append(line.rstrip("\n"))
        if line.startswith("djl-bridge: building the model") or time.monotonic() - start > 60:
            break
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:  # never leave a run behind
            proc.kill()
            proc.wait()
    lines += err.splitlines()
    assert lines[0] == ("djl-bridge: building the model (53,403,028 parameters); Ctrl-C stops "
                        "it"), lines
    assert proc.returncode == 143, lines
    assert time.monotonic() - sent < 30
    assert lines[-1] == ("djl-bridge: stopped by SIGTERM before the first batch: nothing "
                         "was saved (no epoch finished)"), lines
