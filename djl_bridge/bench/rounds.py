"""Running the bench: the order of the runs (interleaved rounds, the launchers of one model and
impl back to back, their order rotated so that none always goes first), one run in a fresh
process with its wall and CPU seconds, and the whole bench with ``--save`` kept up to date.
"""
from __future__ import annotations

import resource
import subprocess
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from .. import gpu, jsonfile, jvm
from ..config import TrainConfig
from ..errors import ConfigError
from ..paths import check_path
from .config import BenchConfig, BenchError
from .launch import check_torch, child_env, command, error_line, java_executable
from .output import to_json, write_atomically
from .results import RunResult, read_run_json


def schedule(pairs: Sequence[tuple[str, str]], launchers: Sequence[str],
             rounds: int) -> list[tuple[int, str, str, str]]:
    """The runs in order, as (round, model, impl, launcher), rounds counted from 1. Within a round
    the launchers of one model and impl run back to back; their order is rotated by one from one
    pair to the next and from one round to the next, so that over ``len(launchers)`` rounds every
    launcher goes first (and last) once for every pair."""
    n = len(launchers)
    runs = []
    for r in range(rounds):
        for k, (model, impl) in enumerate(pairs):
            shift = (r + k) % n
            for launcher in (*launchers[shift:], *launchers[:shift]):
                runs.append((r + 1, model, impl, launcher))
    return runs


def run_one(launcher: str, cfg: TrainConfig, timeout: Optional[float] = None, round_no: int = 1,
            torch_python: Optional[Path] = None, threads: Optional[int] = None) -> RunResult:
    """Runs one training in a fresh process and returns its result."""
    env = child_env(threads)
    if launcher == "java":
        env = gpu.java_child_env(env)
    out, seconds, cpu = run_process(command(launcher, cfg, torch_python), env,
                                    f"the {launcher} run of {cfg.model}/{cfg.impl}", timeout,
                                    java=launcher == "java")
    return replace(read_run_json(cfg.model, cfg.impl, launcher, out, round_no, seconds), cpu_seconds=cpu)


def run_process(argv: list[str], env: dict[str, str], what: str, timeout: Optional[float] = None,
                java: bool = False) -> tuple[dict[str, Any], float, float]:
    """Runs one measured process; returns the last JSON object it printed on stdout, its wall
    seconds and its CPU seconds (user + system, all threads). ``what`` names the run in the one
    line of a :class:`BenchError` (failed, timed out, no JSON); ``java`` adds the hint of a jar
    that predates ``Main --json``."""
    cpu_before = _children_cpu_seconds()
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} took longer than --timeout {timeout:g} s") from None
    seconds = time.perf_counter() - start
    cpu = _children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        line = error_line(proc.stderr)
        hint = (" (the jar predates Main --json: run `gradle assemble`)"
                if "unknown option" in line and java else "")
        raise BenchError(f"{what} failed (exit {proc.returncode}): {line}{hint}")
    objects = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not objects:
        raise BenchError(f"{what} printed no JSON result: {error_line(proc.stderr)}")
    try:
        out = jsonfile.parse(objects[-1], jsonfile.REPORT_MAX_BYTES)
    except jsonfile.JsonFileError as exc:
        raise BenchError(f"{what} printed a result line that {exc}") from None
    if not isinstance(out, dict):
        raise BenchError(f"{what} printed JSON that is not an object")
    return out, seconds, cpu


def run_bench(config: BenchConfig, progress: Optional[Callable[[str], None]] = None,
              save: Optional[Path] = None) -> list[RunResult]:
    """Measures every model x impl x launcher ``config.rounds`` times in the order of
    :func:`schedule`; returns every run (see :func:`summarize` and :func:`warmup`). With ``save``,
    the ``--json`` document of the runs so far is written there (atomically) after every run, so a
    long bench that is stopped keeps what it measured."""
    from ..session import prepare  # validates the settings and resolves the corpus; no JVM

    config.validate()
    if save is not None:
        save = check_path(save, "--save")
    if save is not None and not save.parent.is_dir():
        raise ConfigError(f"--save {save}: the directory {save.parent} does not exist")
    base = prepare(config.first_run())
    if {"bridge", "java"} & set(config.launchers):
        jvm.find_classpath()  # the JVM launchers need the Java build: report a missing one up front
    if "java" in config.launchers:
        java_executable()
    if "torch" in config.launchers:
        check_torch(config.torch_python)
    pairs = [(m, i) for m in config.models for i in config.impls]
    plan = schedule(pairs, config.launchers, config.rounds)
    runs: list[RunResult] = []
    for k, (round_no, model, impl, launcher) in enumerate(plan, 1):
        cfg = replace(base, model=model, impl=impl)
        run = run_one(launcher, cfg, config.timeout, round_no, config.torch_python, config.threads)
        runs.append(run)
        if save is not None:
            write_atomically(save, to_json(runs))
        if progress is not None:
            progress(f"[{k}/{len(plan)}] round {round_no}/{config.rounds} {model} {impl} {launcher}: "
                     f"{run.tokens_per_sec:,.0f} tokens/s, {run.sec_per_epoch:.3f} s/epoch, "
                     f"peak RSS {run.peak_rss_mb:.0f} MB ({run.process_seconds:.1f} s, "
                     f"{run.cpu_seconds:.1f} CPU s)")
    return runs


def _children_cpu_seconds() -> float:
    """User + system seconds of this process's finished children (the runs go one at a time, so
    the difference around one run is that run's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
