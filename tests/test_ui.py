"""What the user sees: the progress bar (only on a terminal), --plot, and doctor."""
from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

TINY = ["--hidden", "8", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "500"]
NO_JVM = {"DJL_BRIDGE_CLASSPATH": "/nonexistent/classpath.txt"}

pytestmark = pytest.mark.subprocess  # every test runs the CLI in a fresh process


def _run_on_terminal(args: list[str]) -> tuple[int, str]:
    """Runs the CLI with stdout and stderr on a pseudo-terminal; returns (status, output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 40 x 120
    proc = subprocess.Popen([sys.executable, "-m", "djl_bridge.cli", *args], stdin=slave,
                            stdout=slave, stderr=slave, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"})
    os.close(slave)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal(corpus: Path) -> None:
    status, out = _run_on_terminal(["train", *TINY, "--epochs", "3", "--data", str(corpus)])
    assert status == 0, out
    assert "\r" in out and "epoch 3/3 |" in out, out
    assert "perplexity " in out and "tokens/s" in out
    assert "<00:00]" in out or "<" in out.split("epoch 3/3", 1)[1]  # the ETA field


def test_no_bar_when_piped_or_json(corpus: Path) -> None:
    proc = run_cli(["train", *TINY, "--epochs", "3", "--data", str(corpus)])
    assert proc.returncode == 0 and "\r" not in proc.stderr and "|" not in proc.stderr
    status, out = _run_on_terminal(["train", *TINY, "--epochs", "2", "--data", str(corpus),
                                    "--json"])
    assert status == 0 and "epoch 2/2 |" not in out and out.lstrip().startswith("{"), out


def test_plot_written_atomically(corpus: Path, tmp_path: Path) -> None:
    png = tmp_path / "ppl.png"
    proc = run_cli(["train", *TINY, "--epochs", "3", "--data", str(corpus), "--plot", str(png)])
    assert proc.returncode == 0, proc.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 2000
    assert [p.name for p in tmp_path.iterdir()] == ["ppl.png"]  # no temporary file left


def test_plot_without_matplotlib(corpus: Path, tmp_path: Path) -> None:
    fake = tmp_path / "site" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")
    proc = run_cli(["train", *TINY, "--epochs", "3", "--data", str(corpus), "--plot",
                    str(tmp_path / "p.png")],
                   env={**NO_JVM, "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{ROOT}"})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--plot needs matplotlib" in lines[0], proc.stderr
    assert "pip install 'djl-bridge[plot]'" in lines[0]
    assert not (tmp_path / "p.png").exists()


def test_doctor_all_good(corpus: Path) -> None:
    proc = run_cli(["doctor", "--data", str(corpus)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "ok    java: " in out and "DJL 0.36.0; engine MXNet 1." in out
    assert "ok    natives: " in out and "libmxnet" in out
    assert "ok    gpu: 0 GPU(s) visible to DJL" in out
    assert "ok    data: " in out and "verified" in out
    assert out.strip().endswith("all checks passed")


def test_doctor_reports_what_is_off(tmp_path: Path) -> None:
    proc = run_cli(["doctor"], env={**NO_JVM, "XDG_CACHE_HOME": str(tmp_path),
                                    "DJL_BRIDGE_DATA": ""})
    assert proc.returncode == 1
    out = proc.stdout
    assert "FAIL  build: the Java side is not built" in out and "run `gradle assemble`" in out
    assert "FAIL  data: no corpus yet" in out and "pass --data PATH" in out
    assert "engine:" not in out  # no JVM start without a build
    assert out.strip().endswith("each FAIL line says how to fix it")
