"""``djl-bridge bench``: the same training measured from several launchers, each run its own
process, repeated in interleaved rounds.

For every model x impl the trainer runs through the bridge (``python3 -m djl_bridge.cli train
--json``: Python hosts the JVM through JPype), from plain ``java`` (``djlbridge.training.Main --json``, same
JVM options, same classpath, no Python) and, when asked, as the PyTorch reference
(``benchmarks/torch_ref.py`` run by another interpreter that has ``torch``). One round runs every
model x impl once per launcher, the launchers of one model and impl back to back; the order of
the launchers rotates from one pair and one round to the next, so that none always goes first.

Each process reports, from inside itself, its per-epoch speed, wall seconds and resident set size
and its peak resident set size (:func:`read_run_json` is the one place that reads that JSON).
Per model x impl x launcher the table gives the median over rounds and its min-max spread, and,
for every launcher but java, the per-round ratio to java's run of the same round: its median and
min-max. The warm-up section compares the per-epoch speeds of the first
:data:`WARMUP_EPOCHS` epochs, window by window.
"""
from __future__ import annotations

import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import gpu, jvm
from .config import IMPLS, MODELS, TrainConfig
from .errors import BridgeError, ConfigError

LAUNCHERS = ("bridge", "java", "torch")

#: What runs when ``--launchers`` is not given (``--torch PYTHON`` adds torch).
DEFAULT_LAUNCHERS = ("bridge", "java")

#: The launcher every other one is divided by.
BASELINE = "java"

#: Epochs per run by default: the span of the RSS-growth target (epoch 10 to 200).
DEFAULT_EPOCHS = 200

#: Rounds by default: every launcher goes first at least once for two launchers, once each for
#: three.
DEFAULT_ROUNDS = 3

#: RSS growth is measured from this epoch (or the last, when a run has fewer) to the last.
GROWTH_FROM_EPOCH = 10

#: The warm-up section covers the first this many epochs ...
WARMUP_EPOCHS = 40

#: ... in these windows of epochs, counted from 1, both ends included.
WARMUP_WINDOWS: tuple[tuple[int, int], ...] = ((1, 1), (2, 5), (6, 10), (11, 20), (21, 40))

#: The PyTorch reference script, run by the ``--torch`` interpreter.
TORCH_SCRIPT = jvm.PROJECT_ROOT / "benchmarks" / "torch_ref.py"


class BenchError(BridgeError):
    """A measured run failed, timed out, or printed no result."""


@dataclass(frozen=True)
class BenchConfig:
    """What to measure: the models, impls and launchers to cross, how many rounds, and the
    training settings every run shares (``model`` and ``impl`` of ``train`` are replaced per run).
    The defaults are the Java text's configuration with :data:`DEFAULT_EPOCHS` epochs.
    ``torch_python`` is the interpreter that runs the ``torch`` launcher; ``threads``, when set,
    is the OpenMP thread count of every run (``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``, which
    MXNet and PyTorch both read), else every launcher gets what ``train`` would use
    (``jvm.openmp_env``: ``$OMP_NUM_THREADS``, else one per CPU)."""

    models: tuple[str, ...] = MODELS
    impls: tuple[str, ...] = IMPLS
    launchers: tuple[str, ...] = DEFAULT_LAUNCHERS
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=DEFAULT_EPOCHS))
    rounds: int = DEFAULT_ROUNDS
    timeout: Optional[float] = None
    torch_python: Optional[Path] = None
    threads: Optional[int] = None

    def validate(self) -> "BenchConfig":
        """Raises :class:`ConfigError` naming the first bad value."""
        for flag, values, allowed in (("--models", self.models, MODELS), ("--impls", self.impls, IMPLS),
                                      ("--launchers", self.launchers, LAUNCHERS)):
            if not values:
                raise ConfigError(f"{flag} is empty: give one or more of {','.join(allowed)}")
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ConfigError(f"{flag}: unknown {bad[0]!r}, use a comma list of {','.join(allowed)}")
            if len(set(values)) != len(values):
                raise ConfigError(f"{flag} names a value twice: {','.join(values)}")
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds <= 0:
            raise ConfigError(f"--rounds must be a whole number > 0, got {self.rounds!r}")
        if self.threads is not None:
            jvm.check_threads(self.threads)  # the rule of train's --threads
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"--timeout must be a number of seconds > 0, got {self.timeout!r}")
        if "torch" in self.launchers:
            if self.torch_python is None:
                raise ConfigError("the torch launcher needs --torch PYTHON: the python of a venv with "
                                  "PyTorch (python3 -m venv V && V/bin/pip install torch numpy)")
            if not self.torch_python.is_file():
                raise ConfigError(f"--torch {self.torch_python}: no such file: give the python of a "
                                  "venv with PyTorch, e.g. V/bin/python")
        elif self.torch_python is not None:
            raise ConfigError("--torch is given but --launchers leaves torch out: add torch to "
                              "--launchers or drop --launchers")
        self.train.validate()
        return self


def parse_list(text: str, allowed: Sequence[str], flag: str) -> tuple[str, ...]:
    """Splits a comma list such as ``"gru,lstm"``; raises :class:`ConfigError` on unknown names."""
    values = tuple(v.strip().lower() for v in text.split(",") if v.strip())
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ConfigError(f"{flag}: unknown {bad[0]!r}, use a comma list of {','.join(allowed)}")
    if not values:
        raise ConfigError(f"{flag} is empty: give one or more of {','.join(allowed)}")
    return values


# -- statistics ---------------------------------------------------------------------------------

def steady_median(values: Sequence[float]) -> float:
    """The median over epochs, the first (warm-up) epoch left out when there are more; NaN for
    none. The same rule as the Java ``RunReport.getTokensPerSec``."""
    if not values:
        return math.nan
    return float(statistics.median(values[1:] if len(values) > 1 else values))


@dataclass(frozen=True)
class Spread:
    """The median of some numbers and their range; all NaN when there are none."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        """The median, minimum and maximum of the finite ``values``."""
        finite = [float(v) for v in values if v is not None and math.isfinite(v)]
        if not finite:
            return cls(math.nan, math.nan, math.nan)
        return cls(float(statistics.median(finite)), min(finite), max(finite))

    @property
    def relative_width(self) -> float:
        """(high - low) / median: the spread as a fraction of the median."""
        if not math.isfinite(self.median) or self.median == 0:
            return math.nan
        return (self.high - self.low) / self.median


def paired_ratios(numerators: dict[int, float], denominators: dict[int, float]) -> list[float]:
    """The ratio of each round that has both values (keys are round numbers), in round order;
    a zero or unknown denominator gives no ratio."""
    out = []
    for r in sorted(set(numerators) & set(denominators)):
        den = denominators[r]
        num = numerators[r]
        if den and math.isfinite(den) and math.isfinite(num):
            out.append(num / den)
    return out


def window_median(values: Sequence[float], first: int, last: int) -> float:
    """The median of epochs ``first``..``last`` (counted from 1, both included) of a per-epoch
    series; NaN when the series does not reach ``first``."""
    part = [v for v in values[first - 1:last] if math.isfinite(v)]
    return float(statistics.median(part)) if part else math.nan


def growth_start_epoch(epochs: int, from_epoch: int = GROWTH_FROM_EPOCH) -> int:
    """The epoch (counted from 1) RSS growth is measured from: ``min(from_epoch, epochs)``."""
    return max(1, min(from_epoch, epochs))


def rss_growth_pct(rss_mb: Sequence[float], from_epoch: int = GROWTH_FROM_EPOCH) -> float:
    """How much the resident set grew, in percent, from epoch ``min(from_epoch, last)`` to the
    last epoch; ``rss_mb`` holds one value per epoch. NaN for no epochs or an unknown RSS."""
    if not rss_mb:
        return math.nan
    base = rss_mb[growth_start_epoch(len(rss_mb), from_epoch) - 1]
    last = rss_mb[-1]
    if not (math.isfinite(base) and math.isfinite(last)) or base <= 0:
        return math.nan
    return (last - base) / base * 100.0


def _clean(value: Any) -> Any:
    """NaN and infinities become None (``null``), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


# -- one run ------------------------------------------------------------------------------------

@dataclass
class RunResult:
    """One measured process: what :func:`read_run_json` took from its JSON, plus where it ran;
    ``process_seconds`` and ``cpu_seconds`` (user + system, all threads) are the whole process's,
    start-up included, as seen by the bench."""

    model: str
    impl: str
    launcher: str
    round: int
    tokens_per_sec: float
    sec_per_epoch: float
    peak_rss_mb: float
    rss_growth_pct: float
    final_perplexity: float
    epochs: int
    rss_growth_from_epoch: int
    process_seconds: float
    cpu_seconds: float = math.nan
    epoch_tokens_per_sec: list[float] = field(default_factory=list)
    #: the run's own report of its thread count: ``omp_threads`` (bridge, java), ``threads``
    #: (PyTorch); None when it did not say
    threads: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an unknown number (NaN) becomes None (``null``)."""
        return _clean(asdict(self))


def read_run_json(model: str, impl: str, launcher: str, out: dict[str, Any], round_no: int = 1,
                  process_seconds: float = math.nan) -> RunResult:
    """Reads the JSON one run printed (``train --json``, ``Main --json`` or ``torch_ref.py``).
    The only fields used: ``tokens_per_sec``, ``epoch_tokens_per_sec`` (one per epoch),
    ``epoch_seconds`` (one per epoch), ``rss_mb`` (one per epoch), ``peak_rss_mb`` and
    ``final_perplexity``; a null number is read as NaN."""

    def num(value: Any) -> float:
        return math.nan if value is None else float(value)

    try:
        rss = [num(v) for v in out["rss_mb"]]
        speeds = [num(v) for v in out["epoch_tokens_per_sec"]]
        return RunResult(
            model=model, impl=impl, launcher=launcher, round=round_no,
            tokens_per_sec=num(out["tokens_per_sec"]),
            sec_per_epoch=steady_median([num(s) for s in out["epoch_seconds"]]),
            peak_rss_mb=num(out["peak_rss_mb"]),
            rss_growth_pct=rss_growth_pct(rss),
            final_perplexity=num(out["final_perplexity"]),
            epochs=len(speeds),
            rss_growth_from_epoch=growth_start_epoch(len(rss)),
            process_seconds=process_seconds,
            epoch_tokens_per_sec=speeds,
            threads=_threads_of(out),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(
            f"the {launcher} run of {model}/{impl} printed JSON without {exc}: the Java or Python "
            "side is older than the bench (rebuild with `gradle assemble`)"
        ) from None


def _threads_of(out: dict[str, Any]) -> Optional[int]:
    value = out.get("omp_threads", out.get("threads"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def java_executable() -> Path:
    """The ``java`` of the JDK that JPype would load (``JAVA_HOME`` first, then the PATH), so both
    launchers run the same JVM."""
    runtime = jvm.find_java()
    exe = runtime.java_executable()
    if exe is not None:
        return exe
    libjvm = runtime.libjvm
    for home in libjvm.parents:
        candidate = home / "bin" / "java"
        if candidate.is_file():
            return candidate
    found = shutil.which("java")
    if found is None:
        raise BenchError(f"no `java` executable next to {libjvm} or on the PATH")
    return Path(found)


def train_args(cfg: TrainConfig) -> list[str]:
    """The options every launcher shares (``djl-bridge train``, ``djlbridge.training.Main`` and
    ``torch_ref.py`` spell them alike)."""
    return [
        "--model", cfg.model, "--impl", cfg.impl, "--epochs", str(cfg.epochs),
        "--lr", repr(float(cfg.lr)), "--clip", repr(float(cfg.clip)), "--hidden", str(cfg.hidden),
        "--batch-size", str(cfg.batch_size), "--num-steps", str(cfg.num_steps),
        "--max-tokens", str(cfg.max_tokens), "--data", str(cfg.data), "--seed", str(cfg.seed),
        "--device", cfg.device,
    ]


def command(launcher: str, cfg: TrainConfig, torch_python: Optional[Path] = None) -> list[str]:
    """The command line of one measured run; ``cfg`` must be prepared (its corpus resolved)."""
    if launcher == "bridge":
        args = [sys.executable, "-m", "djl_bridge.cli", "train", *train_args(cfg), "--json"]
        if not cfg.verify_data:
            args.append("--no-verify-data")
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    if launcher == "java":
        classpath = os.pathsep.join(str(p) for p in jvm.find_classpath())
        # The options a bridge run's JVM gets (DJL_BRIDGE_JVM_OPTIONS, Java 22+), and the CUDA
        # natives of the cuda11 extra when they apply.
        args = [str(java_executable()), *jvm.effective_jvm_options(), *gpu.java_child_options(),
                "-cp", classpath, "djlbridge.training.Main", *train_args(cfg), "--json"]
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    if launcher == "torch":
        if torch_python is None:
            raise ConfigError("the torch launcher needs --torch PYTHON")
        args = [str(torch_python), str(TORCH_SCRIPT), *train_args(cfg), "--json"]
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    raise ConfigError(f"unknown launcher {launcher!r}: use one of {', '.join(LAUNCHERS)}")


def _child_env(threads: Optional[int] = None) -> dict[str, str]:
    """The environment of a run: this package first on PYTHONPATH, so a bridge run imports the
    same djl_bridge as the bench; for every launcher the OpenMP variables a bridge run would
    have (``jvm.openmp_env``: ``threads``, else ``$OMP_NUM_THREADS``, else one per CPU), so that
    plain java (which cannot set them for itself) and PyTorch run with the same threads; with
    ``threads``, also ``MKL_NUM_THREADS``."""
    from .jvm import openmp_env

    root = str(Path(__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + old if old else "")}
    env.update(openmp_env(threads))
    if threads is not None:
        env.update(MKL_NUM_THREADS=str(threads))
    return env


def _error_line(stderr: str) -> str:
    """The one line of a failed run's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    prefix = "djl-bridge: error:"
    hits = [ln for ln in lines if ln.startswith(prefix)]
    if hits:
        return hits[-1][len(prefix):].strip()
    for marker in ("Caused by:", "Exception in thread", "ModuleNotFoundError", "ImportError"):
        hits = [ln for ln in lines if ln.startswith(marker)]
        if hits:
            return hits[-1]
    return lines[-1] if lines else "(no output on stderr)"


def run_one(launcher: str, cfg: TrainConfig, timeout: Optional[float] = None, round_no: int = 1,
            torch_python: Optional[Path] = None, threads: Optional[int] = None) -> RunResult:
    """Runs one training in a fresh process and returns its result."""
    argv = command(launcher, cfg, torch_python)
    what = f"the {launcher} run of {cfg.model}/{cfg.impl}"
    cpu_before = _children_cpu_seconds()
    start = time.perf_counter()
    try:
        env = _child_env(threads)
        if launcher == "java":
            env = gpu.java_child_env(env)
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} took longer than --timeout {timeout:g} s") from None
    seconds = time.perf_counter() - start
    cpu = _children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        line = _error_line(proc.stderr)
        hint = (" (the jar predates Main --json: run `gradle assemble`)"
                if "unknown option" in line and launcher == "java" else "")
        raise BenchError(f"{what} failed (exit {proc.returncode}): {line}{hint}")
    objects = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not objects:
        raise BenchError(f"{what} printed no JSON result: {_error_line(proc.stderr)}")
    try:
        out = json.loads(objects[-1])
    except json.JSONDecodeError as exc:
        raise BenchError(f"{what} printed broken JSON: {exc}") from None
    return replace(read_run_json(cfg.model, cfg.impl, launcher, out, round_no, seconds), cpu_seconds=cpu)


def _children_cpu_seconds() -> float:
    """User + system seconds of this process's finished children (the runs go one at a time, so
    the difference around one run is that run's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- the schedule and the summary ---------------------------------------------------------------

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


@dataclass
class BenchRow:
    """One model x impl x launcher over all rounds: the columns of the table and of ``--json``.
    ``ratio`` is the median over rounds of this launcher's tokens/s divided by java's in the same
    round (None on java's own row and when java did not run); ``ratio_rounds`` the ratios."""

    model: str
    impl: str
    launcher: str
    rounds: int
    tokens_per_sec: float
    tokens_per_sec_min: float
    tokens_per_sec_max: float
    sec_per_epoch: float
    peak_rss_mb: float
    rss_growth_pct: float
    final_perplexity: float
    epochs: int
    rss_growth_from_epoch: int
    process_seconds: float
    cpu_seconds: float = math.nan
    ratio: Optional[float] = None
    ratio_min: Optional[float] = None
    ratio_max: Optional[float] = None
    ratio_rounds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an unknown number (NaN) becomes None (``null``)."""
        return _clean(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BenchRow":
        """The inverse of :meth:`to_dict`."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def _keys(runs: Sequence[RunResult]) -> list[tuple[str, str, str]]:
    """The (model, impl, launcher) of the runs: models and impls in the order they first ran,
    launchers in :data:`LAUNCHERS` order within each."""
    pairs: list[tuple[str, str]] = []
    found: set[tuple[str, str, str]] = set()
    for r in runs:
        if (r.model, r.impl) not in pairs:
            pairs.append((r.model, r.impl))
        found.add((r.model, r.impl, r.launcher))
    rank = {name: k for k, name in enumerate(LAUNCHERS)}
    return sorted(found, key=lambda key: (pairs.index(key[:2]), rank.get(key[2], len(rank)), key[2]))


def _by_round(runs: Sequence[RunResult], model: str, impl: str, launcher: str,
              value: Callable[[RunResult], float]) -> dict[int, float]:
    return {r.round: value(r) for r in runs
            if (r.model, r.impl, r.launcher) == (model, impl, launcher)}


def summarize(runs: Sequence[RunResult], baseline: str = BASELINE) -> list[BenchRow]:
    """One row per model x impl x launcher (see :func:`_keys` for the order): medians over rounds,
    the tokens/s range, the largest peak RSS, and the per-round ratio to ``baseline``."""
    keys = _keys(runs)
    rows = []
    for model, impl, launcher in keys:
        mine = [r for r in runs if (r.model, r.impl, r.launcher) == (model, impl, launcher)]
        speed = Spread.of([r.tokens_per_sec for r in mine])
        peaks = [r.peak_rss_mb for r in mine if math.isfinite(r.peak_rss_mb)]
        row = BenchRow(
            model=model, impl=impl, launcher=launcher, rounds=len(mine),
            tokens_per_sec=speed.median, tokens_per_sec_min=speed.low, tokens_per_sec_max=speed.high,
            sec_per_epoch=Spread.of([r.sec_per_epoch for r in mine]).median,
            peak_rss_mb=max(peaks) if peaks else math.nan,
            rss_growth_pct=Spread.of([r.rss_growth_pct for r in mine]).median,
            final_perplexity=Spread.of([r.final_perplexity for r in mine]).median,
            epochs=mine[0].epochs, rss_growth_from_epoch=mine[0].rss_growth_from_epoch,
            process_seconds=Spread.of([r.process_seconds for r in mine]).median,
            cpu_seconds=Spread.of([r.cpu_seconds for r in mine]).median,
        )
        if launcher != baseline:
            ratios = paired_ratios(_by_round(runs, model, impl, launcher, lambda r: r.tokens_per_sec),
                                   _by_round(runs, model, impl, baseline, lambda r: r.tokens_per_sec))
            if ratios:
                s = Spread.of(ratios)
                row.ratio, row.ratio_min, row.ratio_max, row.ratio_rounds = s.median, s.low, s.high, ratios
        rows.append(row)
    return rows


@dataclass
class WarmupRow:
    """The speed of one launcher over the first epochs of one model x impl: per window of
    :data:`WARMUP_WINDOWS`, the median over rounds of the window's median tokens/s, and the
    median (min-max) over rounds of its ratio to the baseline's same window in the same round."""

    model: str
    impl: str
    launcher: str
    windows: list[tuple[int, int]]
    tokens_per_sec: list[float]
    ratio: list[Optional[float]]
    ratio_min: list[Optional[float]]
    ratio_max: list[Optional[float]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN becomes None."""
        d = _clean(asdict(self))
        d["windows"] = [list(w) for w in self.windows]
        return d


def warmup(runs: Sequence[RunResult], baseline: str = BASELINE,
           windows: Sequence[tuple[int, int]] = WARMUP_WINDOWS) -> list[WarmupRow]:
    """The warm-up rows (see :class:`WarmupRow`); windows past the runs' length are left out and
    the last one is cut at it."""
    epochs = min((r.epochs for r in runs), default=0)
    used = [(first, min(last, epochs)) for first, last in windows if first <= epochs]
    keys = _keys(runs)
    out = []
    for model, impl, launcher in keys:
        speeds, ratios, lows, highs = [], [], [], []
        for first, last in used:
            def win(r: RunResult, a: int = first, b: int = last) -> float:
                return window_median(r.epoch_tokens_per_sec, a, b)
            mine = _by_round(runs, model, impl, launcher, win)
            speeds.append(Spread.of(list(mine.values())).median)
            if launcher == baseline:
                continue
            s = Spread.of(paired_ratios(mine, _by_round(runs, model, impl, baseline, win)))
            ratios.append(s.median)
            lows.append(s.low)
            highs.append(s.high)
        out.append(WarmupRow(model, impl, launcher, list(used), speeds, ratios, lows, highs))
    return out


def run_bench(config: BenchConfig, progress: Optional[Callable[[str], None]] = None,
              save: Optional[Path] = None) -> list[RunResult]:
    """Measures every model x impl x launcher ``config.rounds`` times in the order of
    :func:`schedule`; returns every run (see :func:`summarize` and :func:`warmup`). With ``save``,
    the ``--json`` document of the runs so far is written there (atomically) after every run, so a
    long bench that is stopped keeps what it measured."""
    from .session import prepare  # validates the settings and resolves the corpus; no JVM

    config.validate()
    if save is not None and not save.parent.is_dir():
        raise ConfigError(f"--save {save}: the directory {save.parent} does not exist")
    base = prepare(config.train)
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


def write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to a temporary file beside ``path``, then renames it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BenchError(f"could not write {path} ({exc.strerror}): pass --save with a writable path") from None


def check_torch(python: Optional[Path]) -> None:
    """Raises :class:`BenchError` unless ``python`` imports torch and the reference script is
    there; costs one short process."""
    if python is None:
        raise ConfigError("the torch launcher needs --torch PYTHON")
    if not TORCH_SCRIPT.is_file():
        raise BenchError(f"the PyTorch reference {TORCH_SCRIPT} is missing: run the bench from a "
                         "djl_bridge checkout, which has benchmarks/")
    try:
        proc = subprocess.run([str(python), "-c", "import torch, numpy"], capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"--torch {python} could not be run ({exc}): give the python of a venv "
                         "with PyTorch") from None
    if proc.returncode != 0:
        raise BenchError(f"--torch {python} cannot import torch and numpy ({_error_line(proc.stderr)}): "
                         f"install them with `{Path(python).parent / 'pip'} install torch numpy`")


# -- output -------------------------------------------------------------------------------------

def _num(value: Optional[float], fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return format(value, fmt)


def _range(low: Optional[float], high: Optional[float], fmt: str) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "-"
    return f"{format(low, fmt)}-{format(high, fmt)}"


def _align(header: list[str], body: list[list[str]], left: int) -> list[str]:
    widths = [max(len(line[c]) for line in [header, *body]) for c in range(len(header))]

    def fmt(line: list[str]) -> str:
        return "  ".join(cell.ljust(w) if c < left else cell.rjust(w)
                         for c, (cell, w) in enumerate(zip(line, widths))).rstrip()

    return [fmt(header), fmt(["-" * w for w in widths]), *[fmt(line) for line in body]]


def format_table(rows: Sequence[BenchRow], warm: Sequence[WarmupRow] = (),
                 baseline: str = BASELINE) -> str:
    """The rows as an aligned text table (medians over rounds, ranges min-max), then the
    warm-up table when given."""
    if not rows:
        return "(no runs)"
    start = rows[0].rss_growth_from_epoch
    last = rows[0].epochs
    header = ["model", "impl", "launcher", "rounds", "tokens/s", "min-max", "s/epoch", "peak RSS MB",
              f"RSS growth % (ep {start}->{last})", "perplexity", "CPU s", f"/{baseline}", "min-max"]
    body = [[r.model, r.impl, r.launcher, str(r.rounds), _num(r.tokens_per_sec, ",.0f"),
             _range(r.tokens_per_sec_min, r.tokens_per_sec_max, ",.0f"), _num(r.sec_per_epoch, ".3f"),
             _num(r.peak_rss_mb, ".0f"), _num(r.rss_growth_pct, "+.1f"), _num(r.final_perplexity, ".3f"),
             _num(r.cpu_seconds, ".1f"), _num(r.ratio, ".3f"), _range(r.ratio_min, r.ratio_max, ".2f")]
            for r in rows]
    lines = _align(header, body, 3)
    others = [w for w in warm if w.launcher != baseline and w.ratio]
    if others:
        windows = others[0].windows
        lines += ["", f"warm-up: tokens/s / {baseline}'s, per window of epochs "
                      "(median over rounds, min-max)"]
        header = ["model", "impl", "launcher",
                  *[f"ep {a}" if a == b else f"ep {a}-{b}" for a, b in windows]]
        body = [[w.model, w.impl, w.launcher,
                 *[f"{_num(m, '.2f')} ({_range(lo, hi, '.2f')})"
                   for m, lo, hi in zip(w.ratio, w.ratio_min, w.ratio_max)]] for w in others]
        lines += _align(header, body, 3)
    return "\n".join(lines)


def to_json(runs: Sequence[RunResult], baseline: str = BASELINE) -> str:
    """The ``--json`` contract: ``{"rows": [BenchRow...], "warmup": [WarmupRow...],
    "runs": [RunResult...]}`` (see the dataclasses for the keys)."""
    return json.dumps({"rows": [r.to_dict() for r in summarize(runs, baseline)],
                       "warmup": [w.to_dict() for w in warmup(runs, baseline)],
                       "runs": [r.to_dict() for r in runs]})
