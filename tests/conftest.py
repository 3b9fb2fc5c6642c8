"""Shared fixtures. One JVM per pytest process (JPype starts it once); anything that needs a fresh
JVM (start-up errors, classpath conflicts, signals) runs the CLI in a subprocess instead."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

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


def run_cli(args: Sequence[str], env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs ``djl-bridge ARGS`` in a fresh Python process (so a fresh JVM)."""
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
