"""Shared fixtures. One JVM per pytest process (JPype starts it once); anything that needs a fresh
JVM (start-up errors, classpath conflicts, signals) runs the CLI in a subprocess instead."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Sequence

import pytest

if TYPE_CHECKING:
    from djl_bridge.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def shared_corpus() -> Path:
    """The corpus tests use: $DJL_BRIDGE_DATA, else ../shared/data/timemachine.txt."""
    env = os.environ.get("DJL_BRIDGE_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "timemachine.txt"


@pytest.fixture(scope="session")
def corpus() -> Path:
    path = shared_corpus()
    if not path.is_file():
        pytest.fail(f"test corpus missing: {path} (set DJL_BRIDGE_DATA)")
    return path


def shared_fra() -> Path:
    """The English-French pairs of D2L 9.5-9.7 tests use: $DJL_BRIDGE_FRA, else
    ../shared/data/fra-eng/fra.txt (as build.gradle tells the Java tests)."""
    env = os.environ.get("DJL_BRIDGE_FRA")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "fra-eng" / "fra.txt"


@pytest.fixture(scope="session")
def fra() -> Path:
    """The English-French file; the tests that need it are skipped without it (as the Java
    tests are): it is 9 MB of someone else's data, downloaded only on request."""
    path = shared_fra()
    if not path.is_file():
        pytest.skip(f"English-French data missing: {path} (set DJL_BRIDGE_FRA to fra.txt)")
    return path


@pytest.fixture(scope="session")
def jvm() -> None:
    """Starts the one JVM of this test process."""
    import djl_bridge

    djl_bridge.start()


#: The test running now (the markers of pyproject.toml are checked against what it does).
_RUNNING: list[pytest.Item] = []


@pytest.fixture(autouse=True)
def _running_test(request: pytest.FixtureRequest) -> Iterator[None]:
    _RUNNING.append(request.node)
    yield
    _RUNNING.pop()


def _must_be_marked_subprocess() -> None:
    """A test that starts the CLI in a fresh process is marked ``subprocess``, so that the quick
    loop (``./go quick``) stays quick as tests are added."""
    if _RUNNING and _RUNNING[-1].get_closest_marker("subprocess") is None:
        pytest.fail(f"{_RUNNING[-1].nodeid} runs the CLI in a fresh process: mark it "
                    "@pytest.mark.subprocess", pytrace=False)


def run_cli(args: Sequence[str], env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs ``djl-bridge ARGS`` in a fresh Python process (so a fresh JVM)."""
    _must_be_marked_subprocess()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "djl_bridge.cli", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT,
    )


def fake_params(config: "TrainConfig", vocab: Sequence[str], seed: int = 0) -> bytes:
    """Parameter-file bytes that fit the model of ``config`` and ``vocab`` as a checkpoint
    reader checks them, without Java: for the scratch model an NPZ of float32 arrays of the
    model's shapes, for the concise model bytes of the size DJL's block format has for it (its
    content is the Java side's to check). ``seed`` varies the values."""
    import io

    import numpy as np

    from djl_bridge.checkpoint.layout import params_size_range
    from djl_bridge.reference.kinds import parameter_shapes

    shapes = parameter_shapes(config.model, config.impl, len(vocab), config.hidden,
                              config.layers, config.bidirectional)
    rng = np.random.default_rng(seed)
    if config.impl == "scratch":
        out = io.BytesIO()
        np.savez(out, **{name: rng.standard_normal(shape).astype(np.float32)
                         for name, shape in shapes})
        return out.getvalue()
    low, _ = params_size_range(config.impl, shapes)
    return rng.integers(0, 256, low + 600, dtype=np.uint8).tobytes()


#: The tiny model of the CLI tests.
TINY = ["--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800"]


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line of a CLI run that failed with exit 1."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    assert "internal error" not in lines[0], proc.stderr
    return lines[0]


class Child:
    """``djl-bridge ARGS`` in a fresh process whose stderr is read line by line. ``hook``: Python
    run in that process before the command (e.g. to send a signal at a given moment)."""

    started: list["Child"] = []

    def __init__(self, args: list[str], cwd: Path = ROOT, hook: str = "",
                 env: Optional[dict[str, str]] = None) -> None:
        _must_be_marked_subprocess()
        command = ["-m", "djl_bridge.cli"] if not hook else \
            ["-c", f"{hook}\nfrom djl_bridge.cli import main\nmain()\n"]
        self.proc = subprocess.Popen(
            [sys.executable, *command, *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
            # as from a terminal: SIGHUP as the system sets it, even when the test run itself
            # ignores it (nohup); a command that ignores it keeps it ignored (the hook sets that)
            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        Child.started.append(self)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, predicate, timeout: float = 180) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("never happened; stderr:\n" + "".join(self.lines))

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            # Not communicate(): it would read stderr too, racing the reader thread for lines.
            self.proc.wait(timeout=timeout)
            assert self.proc.stdout is not None
            out = self.proc.stdout.read()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(10)
        return self.proc.returncode, out, "".join(self.lines)


@pytest.fixture(autouse=True)
def _no_child_outlives_its_test() -> Iterator[None]:
    """A failed assertion must not leave a 100000-epoch child training in the background."""
    yield
    for child in Child.started:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait(30)
    Child.started.clear()


#: The tiny model, and a thread count chosen (no note about a busy machine on stderr).
T1 = [*TINY, "--threads", "1"]


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``tmpfs("ro")`` / ``tmpfs("size=64k")``: a fresh tmpfs mounted with those options (root
    only; the test is skipped, saying why, where mounting is not allowed)."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        if shutil.which("mount") is None:
            pytest.skip("no mount command")
        path = tmp_path / f"mnt{len(mounted)}"
        path.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.skip(f"mounting a tmpfs is not permitted here: {proc.stderr.strip()}")
        mounted.append(path)
        return path

    yield mount
    for path in reversed(mounted):
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def cli_json(proc: subprocess.CompletedProcess[str]) -> dict:
    """The --json output of a CLI run that succeeded."""
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)
