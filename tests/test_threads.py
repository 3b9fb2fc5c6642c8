"""MXNet's OpenMP threads: at most one per CPU and fewer while other processes keep CPUs busy,
unless the user pins a count (MXNet alone takes half the CPUs); a note when a pinned count
exceeds the CPUs; the same variables for every bench launcher; one clear line for a bad count or
a change after MXNet has loaded; what each epoch ran with in the report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from djl_bridge import bench, bridge, jvm
from djl_bridge.errors import ConfigError
from djl_bridge.jvm.threads import DEFAULT_THREADS_ENV

from .conftest import ROOT

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "800"]
OMP_VARS = ("OMP_NUM_THREADS", "DJL_BRIDGE_DEFAULT_THREADS")
OURS = "DJL_BRIDGE_DEFAULT_THREADS"


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

def test_unset_means_one_thread_per_usable_cpu_and_ours() -> None:
    cpus = str(jvm.usable_cpus())
    assert jvm.usable_cpus() == len(os.sched_getaffinity(0))
    assert jvm.openmp_env(None, {}) == {"OMP_NUM_THREADS": cpus, OURS: cpus}
    assert jvm.is_adaptive({}) and jvm.is_adaptive({"OMP_NUM_THREADS": "2", OURS: "2"})


@pytest.mark.parametrize("threads, environ, expected", [
    (3, {}, {"OMP_NUM_THREADS": "3", OURS: ""}),
    (1, {}, {"OMP_NUM_THREADS": "1", OURS: ""}),
    (None, {"OMP_NUM_THREADS": "4"}, {"OMP_NUM_THREADS": "4", OURS: ""}),
    (None, {"OMP_NUM_THREADS": " 4 "}, {"OMP_NUM_THREADS": "4", OURS: ""}),
    (2, {"OMP_NUM_THREADS": "4"}, {"OMP_NUM_THREADS": "2", OURS: ""}),  # the flag wins
    (None, {"OMP_NUM_THREADS": "4", OURS: "2"}, {"OMP_NUM_THREADS": "4", OURS: ""}),  # changed
    (2, {"OMP_NUM_THREADS": "2", OURS: "2"}, {"OMP_NUM_THREADS": "2", OURS: ""}),  # pinned
])
def test_openmp_env_pins_the_users_count(threads: Optional[int], environ: dict[str, str],
                                         expected: dict[str, str]) -> None:
    assert jvm.openmp_env(threads, environ) == expected
    assert not jvm.is_adaptive(expected)


def test_an_inherited_count_of_ours_is_ours_again() -> None:
    # a djl-bridge run started by another inherits both variables: it adapts, to its own CPUs
    cpus = str(jvm.usable_cpus())
    assert jvm.openmp_env(None, {"OMP_NUM_THREADS": "64", OURS: "64"}) == \
        {"OMP_NUM_THREADS": cpus, OURS: cpus}


def test_java_reads_the_variable_python_writes(jvm: None) -> None:
    assert bridge.default_threads_env() == OURS == DEFAULT_THREADS_ENV


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
    assert env["OMP_NUM_THREADS"] == env[OURS] == str(jvm.usable_cpus())  # adapts, java too
    assert "MKL_NUM_THREADS" not in env or env["MKL_NUM_THREADS"] == os.environ.get("MKL_NUM_THREADS")
    env = bench.child_env(1)
    assert (env["OMP_NUM_THREADS"], env["MKL_NUM_THREADS"], env[OURS]) == ("1", "1", "")


# --------------------------------------------------------------- what a run really gets

def _report(proc: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.subprocess
def test_train_adapts_below_one_thread_per_cpu_by_default(corpus) -> None:  # type: ignore[no-untyped-def]
    out = _report(_cli(["train", *TINY, "--epochs", "2", "--data", str(corpus), "--json"]))
    assert out["omp_threads"] == jvm.usable_cpus() and out["thread_policy"] == "adaptive"
    assert len(out["epoch_threads"]) == 2
    assert all(1 <= t <= jvm.usable_cpus() for t in out["epoch_threads"]), out["epoch_threads"]
    # one character at a time: one thread (faster, and it cannot spin beside other runs)
    assert out["prediction_threads"] == 1


@pytest.mark.subprocess
def test_threads_flag_and_environment_pin_the_count(corpus) -> None:  # type: ignore[no-untyped-def]
    proc = _cli(["train", *TINY, "--epochs", "2", "--data", str(corpus), "--json", "--threads", "1"])
    out = _report(proc)
    assert (out["omp_threads"], out["thread_policy"], out["epoch_threads"]) == (1, "pinned", [1, 1])
    assert "note" not in proc.stderr
    proc = _cli(["train", *TINY, "--data", str(corpus), "--json"], OMP_NUM_THREADS="3")
    out = _report(proc)
    assert (out["omp_threads"], out["thread_policy"], out["epoch_threads"]) == (3, "pinned", [3])
    assert out["prediction_threads"] == 3  # a pinned count holds for predictions too


@pytest.mark.subprocess
def test_a_pinned_count_above_the_cpus_gets_one_note(corpus) -> None:  # type: ignore[no-untyped-def]
    many = jvm.usable_cpus() + 1
    proc = _cli(["train", *TINY, "--data", str(corpus), "--json"], OMP_NUM_THREADS=str(many))
    out = _report(proc)
    assert out["epoch_threads"] == [many]
    notes = [ln for ln in proc.stderr.splitlines() if ln.startswith("djl-bridge: note:")]
    assert notes == [f"djl-bridge: note: {many} OpenMP threads (--threads or OMP_NUM_THREADS) "
                     f"are more than the {jvm.usable_cpus()} CPUs this process may use: they "
                     "share CPUs and wait for each other at every operator, many times slower; "
                     f"pass --threads {jvm.usable_cpus()} or fewer, or neither --threads nor "
                     "OMP_NUM_THREADS to let the threads follow the load"], proc.stderr


@pytest.mark.subprocess
def test_bad_counts_are_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    line = _one_error(_cli(["train", *TINY, "--data", str(corpus), "--threads", "0"]))
    assert "--threads must be a whole number in 1..4096, got 0" in line
    line = _one_error(_cli(["train", *TINY, "--data", str(corpus)], OMP_NUM_THREADS="lots"))
    assert "OMP_NUM_THREADS='lots' is not a thread count" in line


@pytest.mark.subprocess
def test_threads_cannot_change_once_mxnet_runs() -> None:
    code = (
        "import os, djl_bridge\n"
        "from djl_bridge import bridge, jvm\n"
        "from djl_bridge.errors import ConfigError\n"
        "djl_bridge.start(threads=1)\n"
        "assert os.environ['OMP_NUM_THREADS'] == '1'\n"
        "assert bridge.set_threads(1) == 1 and bridge.set_threads() == 1\n"
        "try:\n"
        "    bridge.set_threads(2)\n"
        "except ConfigError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_clean_env(), timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "already runs with OMP_NUM_THREADS=1" in proc.stdout
    assert "fresh process" in proc.stdout


@pytest.mark.subprocess
def test_threads_cannot_be_pinned_once_they_adapt() -> None:
    code = (
        "import os, djl_bridge\n"
        "from djl_bridge import bridge, jvm\n"
        "from djl_bridge.errors import ConfigError\n"
        "djl_bridge.start()\n"
        "n = jvm.usable_cpus()\n"
        "assert bridge.set_threads() == n\n"
        "try:\n"
        "    bridge.set_threads(n)\n"
        "except ConfigError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_clean_env(), timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "already runs with threads that follow the load" in proc.stdout


# --------------------------------------------------------------- a machine shared with others

@pytest.mark.subprocess
@pytest.mark.slow
def test_under_load_the_threads_drop_to_one(corpus) -> None:  # type: ignore[no-untyped-def]
    """A busy loop on every CPU: a default run goes down to one thread (the count, not the
    speed, is checked)."""
    if jvm.usable_cpus() < 2:
        pytest.skip("one CPU: one OpenMP thread, nothing to lower")
    burn = "import time\nend = time.time() + 120\nwhile time.time() < end: pass\n"
    burners = [subprocess.Popen([sys.executable, "-c", burn]) for _ in range(jvm.usable_cpus())]
    try:
        # about 3 s of training under this load: the load is read every second
        out = _report(_cli(["train", "--epochs", "6", "--hidden", "16", "--batch-size", "4",
                            "--num-steps", "5", "--max-tokens", "2000", "--data", str(corpus),
                            "--json"]))
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert out["thread_policy"] == "adaptive" and out["omp_threads"] == jvm.usable_cpus()
    assert out["epoch_threads"][-1] == 1, out["epoch_threads"]


def _registry() -> "Path":
    """The run registry of this user, where the JVM keeps it (java.io.tmpdir, /tmp on Linux)."""
    import getpass
    import re
    import tempfile

    user = re.sub(r"[^A-Za-z0-9._-]", "_", getpass.getuser())
    return Path(tempfile.gettempdir()) / f"djl-bridge-runs-{user}"


@pytest.mark.subprocess
def test_a_training_run_is_in_the_registry_and_a_killed_one_is_cleared(corpus: Path) -> None:
    """Runs started together agree on threads through the registry: a run that trains has its
    entry (its threads and start time), and the entry of a run killed with -9 is removed by the
    next run that reads the registry, which then takes every CPU."""
    import signal
    import time

    registry = _registry()
    args = [sys.executable, "-m", "djl_bridge.cli", "train", "--epochs", "100000", "--hidden",
            "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "2000", "--data",
            str(corpus)]
    proc = subprocess.Popen(args, env=_clean_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    entry = registry / str(proc.pid)
    try:
        deadline = time.monotonic() + 240
        while not entry.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert entry.exists(), proc.stderr.read() if proc.poll() is not None else "no entry"
        threads, start = entry.read_text(encoding="ascii").split()
        assert 1 <= int(threads) <= jvm.usable_cpus() and start.isdigit()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    assert entry.exists()  # nobody could remove it: the process had no time
    done = _cli(["train", *TINY, "--json", "--data", str(corpus)])
    assert done.returncode == 0, done.stderr
    assert not entry.exists(), "the entry of the killed run is still there"
    assert not (registry / str(os.getpid())).exists()  # an in-process run released its entry
