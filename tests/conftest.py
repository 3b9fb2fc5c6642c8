"""Shared fixtures. One JVM per pytest process (JPype starts it once); anything that needs a fresh
JVM (start-up errors, classpath conflicts, signals) runs the CLI in a subprocess instead."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

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
