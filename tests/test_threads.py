"""MXNet's OpenMP threads: one per CPU unless the user says otherwise (MXNet alone takes half the
CPUs), a note when other work keeps the CPUs busy, the same variables for every bench launcher,
and one clear line for a bad count or a change after MXNet has loaded."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Optional

import pytest

from djl_bridge import bench, jvm
from djl_bridge.errors import ConfigError

from .conftest import ROOT

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "800"]
OMP_VARS = ("OMP_NUM_THREADS",)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OMP_VARS}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _cli(args: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "djl_bridge.cli", *args], capture_output=True,
                          text=True, env=_clean_env(**extra), timeout=600, cwd=ROOT)


def _one_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    return lines[0]


# ------------------------------------------------------------------ the choice, as a function

def test_unset_means_one_thread_per_usable_cpu() -> None:
    cpus = jvm.usable_cpus()
    assert cpus == len(os.sched_getaffinity(0))
    assert jvm.openmp_env(None, {}) == {"OMP_NUM_THREADS": str(cpus)}


@pytest.mark.parametrize("threads, environ, expected", [
    (3, {}, {"OMP_NUM_THREADS": "3"}),
    (1, {}, {"OMP_NUM_THREADS": "1"}),
    (None, {"OMP_NUM_THREADS": "4"}, {"OMP_NUM_THREADS": "4"}),
    (None, {"OMP_NUM_THREADS": " 4 "}, {"OMP_NUM_THREADS": "4"}),
    (2, {"OMP_NUM_THREADS": "4"}, {"OMP_NUM_THREADS": "2"}),  # the flag wins
])
def test_openmp_env(threads: Optional[int], environ: dict[str, str],
                    expected: dict[str, str]) -> None:
    assert jvm.openmp_env(threads, environ) == expected


@pytest.mark.parametrize("threads", [0, -2, 4097, True, 1.5, "2"])
def test_a_bad_count_is_refused(threads: object) -> None:
    with pytest.raises(ConfigError, match=r"--threads must be a whole number in 1\.\.4096"):
        jvm.openmp_env(threads, {})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["abc", "0", "-1", "2,2"])
def test_a_bad_environment_value_is_refused(value: str) -> None:
    with pytest.raises(ConfigError, match="OMP_NUM_THREADS=.* is not a thread count"):
        jvm.openmp_env(None, {"OMP_NUM_THREADS": value})


def test_bench_gives_every_launcher_the_same_openmp_variables(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for var in OMP_VARS:
        monkeypatch.delenv(var, raising=False)
    env = bench.child_env(None)
    assert env["OMP_NUM_THREADS"] == str(jvm.usable_cpus())
    assert "MKL_NUM_THREADS" not in env or env["MKL_NUM_THREADS"] == os.environ.get("MKL_NUM_THREADS")
    env = bench.child_env(1)
    assert (env["OMP_NUM_THREADS"], env["MKL_NUM_THREADS"]) == ("1", "1")


# --------------------------------------------------------------- what a run really gets

def test_train_runs_with_one_thread_per_cpu_by_default(corpus) -> None:  # type: ignore[no-untyped-def]
    proc = _cli(["train", *TINY, "--data", str(corpus), "--json"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["omp_threads"] == jvm.usable_cpus()


def test_threads_flag_and_environment_are_obeyed(corpus) -> None:  # type: ignore[no-untyped-def]
    proc = _cli(["train", *TINY, "--data", str(corpus), "--json", "--threads", "1"])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["omp_threads"] == 1
    proc = _cli(["train", *TINY, "--data", str(corpus), "--json"], OMP_NUM_THREADS="3")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["omp_threads"] == 3


def test_bad_counts_are_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    line = _one_error(_cli(["train", *TINY, "--data", str(corpus), "--threads", "0"]))
    assert "--threads must be a whole number in 1..4096, got 0" in line
    line = _one_error(_cli(["train", *TINY, "--data", str(corpus)], OMP_NUM_THREADS="lots"))
    assert "OMP_NUM_THREADS='lots' is not a thread count" in line


def test_threads_cannot_change_once_mxnet_runs() -> None:
    code = (
        "import os, djl_bridge\n"
        "from djl_bridge import jvm\n"
        "from djl_bridge.errors import ConfigError\n"
        "djl_bridge.start(threads=1)\n"
        "assert os.environ['OMP_NUM_THREADS'] == '1'\n"
        "assert jvm.set_threads(1) == 1 and jvm.set_threads() == 1\n"
        "try:\n"
        "    jvm.set_threads(2)\n"
        "except ConfigError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_clean_env(), timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "already runs with OMP_NUM_THREADS=1" in proc.stdout
    assert "fresh process" in proc.stdout


# --------------------------------------------------------------- a machine shared with others

@pytest.mark.parametrize("threads, busy, noted", [
    (2, 0.1, False), (2, 0.9, True), (2, None, False), (1, 2.0, False),
])
def test_busy_machine_note(monkeypatch: pytest.MonkeyPatch, threads: int,
                           busy: Optional[float], noted: bool) -> None:
    monkeypatch.setattr(jvm.threads, "usable_cpus", lambda: 2)
    note = jvm.busy_machine_note(threads, busy)
    assert (note is not None) == noted
    if note:
        assert "--threads 1" in note and "of 2 CPUs busy" in note


def test_busy_cpus_measures_the_machine() -> None:
    busy = jvm.busy_cpus(0.1)
    assert busy is not None and 0 <= busy <= jvm.usable_cpus()


def test_train_notes_a_busy_machine_and_a_chosen_count_silences_it(corpus) -> None:  # type: ignore[no-untyped-def]
    if jvm.usable_cpus() < 2:
        pytest.skip("one CPU: one OpenMP thread, nothing to note")
    burn = "import time\nend = time.time() + 60\nwhile time.time() < end: pass\n"
    burners = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(jvm.usable_cpus())]
    try:
        # --epochs 0 is refused after the note: no training with two threads under this load
        proc = _cli(["train", *TINY[2:], "--epochs", "0", "--data", str(corpus)])
        assert proc.returncode == 1, proc.stderr
        note, error = proc.stderr.splitlines()
        assert note.startswith("djl-bridge: note: other processes keep about"), proc.stderr
        assert error.startswith("djl-bridge: error: --epochs"), proc.stderr
        proc = _cli(["train", *TINY, "--data", str(corpus)], OMP_NUM_THREADS="1")
        assert proc.returncode == 0, proc.stderr
        assert "note:" not in proc.stderr
    finally:
        for b in burners:
            b.kill()
            b.wait()
