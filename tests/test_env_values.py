"""Environment variables the bridge reads, with values a shell lets through: one line that names
the variable, never "internal error" and never an abort deep in libgomp or dmlc (issue 25)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from djl_bridge import jvm
from djl_bridge.errors import ConfigError
from djl_bridge.jvm import limits

from .conftest import run_cli

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "800"]


def _one_error(proc) -> str:  # type: ignore[no-untyped-def]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    assert "internal error" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("value", ["\u00b2", "\u0661", "2147483648", "99999999999999999999",
                                   "5000000", "2147483647", "4097", "9" * 5000])
def test_omp_num_threads_has_the_bound_of_threads(value: str) -> None:
    # "²" passed isdigit() and failed int(): "internal error (ValueError ...)"; the large ones
    # were taken and aborted libgomp or dmlc once MXNet loaded.
    with pytest.raises(ConfigError, match=r"OMP_NUM_THREADS=.* is not a thread count: set it to "
                                          r"a whole number in 1\.\.4096"):
        jvm.openmp_env(None, {"OMP_NUM_THREADS": value})


def test_the_largest_count_is_taken() -> None:
    assert jvm.openmp_env(None, {"OMP_NUM_THREADS": "4096"})["OMP_NUM_THREADS"] == "4096"


def test_a_superscript_malloc_arena_max_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "\u00b2")  # int() raised ValueError
    assert limits.malloc_arenas() == 8 * (os.cpu_count() or 1)


@pytest.mark.subprocess
@pytest.mark.parametrize("value", ["\u00b2", "5000000", "2147483648"])
def test_a_bad_omp_num_threads_is_one_line_from_the_cli(value: str, corpus: Path) -> None:
    line = _one_error(run_cli(["train", *TINY, "--data", str(corpus)],
                              env={"OMP_NUM_THREADS": value}, timeout=120))
    assert f"OMP_NUM_THREADS={value!r} is not a thread count" in line


@pytest.mark.subprocess
@pytest.mark.parametrize("var", ["MXNET_LIBRARY_PATH", "DJL_BRIDGE_CLASSPATH", "JAVA_HOME",
                                 "DJL_CACHE_DIR", "ENGINE_CACHE_DIR"])
def test_a_path_variable_with_a_name_too_long_is_one_line(var: str, corpus: Path,
                                                          tmp_path: Path) -> None:
    # Each was "internal error (OSError: [Errno 36] File name too long ...)".
    value = str(tmp_path / ("n" * 300))
    line = _one_error(run_cli(["train", *TINY, "--data", str(corpus)], env={var: value},
                              timeout=120))
    assert line.startswith(f"djl-bridge: error: {var} ") and "has a name of 300 bytes" in line
