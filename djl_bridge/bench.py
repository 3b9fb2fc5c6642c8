"""``djl-bridge bench``: the same training measured from two launchers, each run its own process.

For every model x impl, the trainer runs once through the bridge (``python3 -m djl_bridge.cli
train --json``: Python hosts the JVM through JPype) and once from plain ``java`` (``djlbridge.Main
--json``, same JVM options, same classpath, no Python), back to back, so drift on the machine
hits both alike. Each process reports, from inside itself, its per-epoch speed, wall seconds and
resident set size (``djlbridge.ProcessMemory``) and its peak resident set size; this module turns
those into one row per run and the bridge / java speed ratio per model and impl.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import jvm
from .config import IMPLS, MODELS, TrainConfig
from .errors import BridgeError, ConfigError

LAUNCHERS = ("bridge", "java")

#: Epochs per run by default: the span of the RSS-growth target (epoch 10 to 200).
DEFAULT_EPOCHS = 200

#: RSS growth is measured from this epoch (or the last, when a run has fewer) to the last.
GROWTH_FROM_EPOCH = 10


class BenchError(BridgeError):
    """A measured run failed, timed out, or printed no result."""


@dataclass(frozen=True)
class BenchConfig:
    """What to measure: the models, impls and launchers to cross, and the training settings every
    run shares (``model`` and ``impl`` of ``train`` are replaced per run). The defaults are the
    Java text's configuration with :data:`DEFAULT_EPOCHS` epochs."""

    models: tuple[str, ...] = MODELS
    impls: tuple[str, ...] = IMPLS
    launchers: tuple[str, ...] = LAUNCHERS
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=DEFAULT_EPOCHS))
    timeout: Optional[float] = None

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
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"--timeout must be a number of seconds > 0, got {self.timeout!r}")
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


def steady_median(values: Sequence[float]) -> float:
    """The median over epochs, the first (warm-up) epoch left out when there are more; NaN for
    none. The same rule as the Java ``TrainingResult.getTokensPerSec``."""
    if not values:
        return math.nan
    return float(statistics.median(values[1:] if len(values) > 1 else values))


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


@dataclass
class BenchRow:
    """One measured run: the columns of the table and of ``--json``."""

    model: str
    impl: str
    launcher: str
    tokens_per_sec: float
    sec_per_epoch: float
    peak_rss_mb: float
    rss_growth_pct: float
    final_perplexity: float
    epochs: int
    rss_growth_from_epoch: int
    process_seconds: float
    ratio: Optional[float] = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an unknown number (NaN) becomes None (``null``)."""
        return {k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BenchRow":
        """The inverse of :meth:`to_dict`."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def row_from_output(model: str, impl: str, launcher: str, out: dict[str, Any],
                    process_seconds: float = math.nan) -> BenchRow:
    """Builds a row from the JSON a run printed (``train --json`` or ``Main --json``)."""
    try:
        rss = [float(v) for v in out["rss_mb"]]
        return BenchRow(
            model=model, impl=impl, launcher=launcher,
            tokens_per_sec=float(out["tokens_per_sec"]),
            sec_per_epoch=steady_median([float(s) for s in out["epoch_seconds"]]),
            peak_rss_mb=float(out["peak_rss_mb"]),
            rss_growth_pct=rss_growth_pct(rss),
            final_perplexity=float(out["final_perplexity"]),
            epochs=len(rss),
            rss_growth_from_epoch=growth_start_epoch(len(rss)),
            process_seconds=process_seconds,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(
            f"the {launcher} run of {model}/{impl} printed JSON without {exc}: the Java or Python "
            "side is older than the bench (rebuild with `gradle assemble`)"
        ) from None


def java_executable() -> Path:
    """The ``java`` of the JDK that JPype would load (``JAVA_HOME`` first, then the PATH), so both
    launchers run the same JVM."""
    libjvm = jvm.find_jvm()
    for home in libjvm.parents:
        candidate = home / "bin" / "java"
        if candidate.is_file():
            return candidate
    found = shutil.which("java")
    if found is None:
        raise BenchError(f"no `java` executable next to {libjvm} or on the PATH")
    return Path(found)


def train_args(cfg: TrainConfig) -> list[str]:
    """The options both launchers share (``djl-bridge train`` and ``djlbridge.Main`` spell them
    alike)."""
    return [
        "--model", cfg.model, "--impl", cfg.impl, "--epochs", str(cfg.epochs),
        "--lr", repr(float(cfg.lr)), "--clip", repr(float(cfg.clip)), "--hidden", str(cfg.hidden),
        "--batch-size", str(cfg.batch_size), "--num-steps", str(cfg.num_steps),
        "--max-tokens", str(cfg.max_tokens), "--data", str(cfg.data), "--seed", str(cfg.seed),
        "--device", cfg.device,
    ]


def command(launcher: str, cfg: TrainConfig) -> list[str]:
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
        args = [str(java_executable()), *jvm.JVM_OPTIONS, "-cp", classpath, "djlbridge.Main",
                *train_args(cfg), "--json"]
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    raise ConfigError(f"unknown launcher {launcher!r}: use one of {', '.join(LAUNCHERS)}")


def _child_env() -> dict[str, str]:
    """The environment of a bridge run: this package first on PYTHONPATH, so the child imports
    the same djl_bridge as the bench."""
    root = str(Path(__file__).resolve().parent.parent)
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + old if old else "")}


def _error_line(stderr: str) -> str:
    """The one line of a failed run's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    prefix = "djl-bridge: error:"
    hits = [ln for ln in lines if ln.startswith(prefix)]
    if hits:
        return hits[-1][len(prefix):].strip()
    for marker in ("Caused by:", "Exception in thread"):
        hits = [ln for ln in lines if ln.startswith(marker)]
        if hits:
            return hits[-1]
    return lines[-1] if lines else "(no output on stderr)"


def run_one(launcher: str, cfg: TrainConfig, timeout: Optional[float] = None) -> BenchRow:
    """Runs one training in a fresh process and returns its row."""
    argv = command(launcher, cfg)
    what = f"the {launcher} run of {cfg.model}/{cfg.impl}"
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=_child_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what} took longer than --timeout {timeout:g} s") from None
    seconds = time.perf_counter() - start
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
    return row_from_output(cfg.model, cfg.impl, launcher, out, seconds)


def add_ratios(rows: Sequence[BenchRow]) -> None:
    """Sets ``ratio`` = bridge tokens/s / java tokens/s on both rows of each model and impl."""
    for row in rows:
        if row.launcher != "bridge":
            continue
        java = [r for r in rows if r.launcher == "java" and (r.model, r.impl) == (row.model, row.impl)]
        if java and java[0].tokens_per_sec > 0:
            ratio = row.tokens_per_sec / java[0].tokens_per_sec
            row.ratio = ratio
            java[0].ratio = ratio


def run_bench(config: BenchConfig,
              progress: Optional[Callable[[str], None]] = None) -> list[BenchRow]:
    """Measures every model x impl x launcher. The launchers of one model and impl run back to
    back, their order swapped from one pair to the next so that neither always goes first."""
    from .session import prepare  # validates the settings and resolves the corpus; no JVM

    config.validate()
    base = prepare(config.train)
    jvm.find_classpath()  # both launchers need the Java build: report a missing one up front
    if "java" in config.launchers:
        java_executable()
    pairs = [(m, i) for m in config.models for i in config.impls]
    total = len(pairs) * len(config.launchers)
    rows: list[BenchRow] = []
    for k, (model, impl) in enumerate(pairs):
        order = config.launchers if k % 2 == 0 else tuple(reversed(config.launchers))
        for launcher in order:
            cfg = replace(base, model=model, impl=impl)
            row = run_one(launcher, cfg, config.timeout)
            rows.append(row)
            if progress is not None:
                progress(f"[{len(rows)}/{total}] {model} {impl} {launcher}: "
                         f"{row.tokens_per_sec:,.0f} tokens/s, {row.sec_per_epoch:.3f} s/epoch, "
                         f"peak RSS {row.peak_rss_mb:.0f} MB ({row.process_seconds:.1f} s)")
    rows.sort(key=lambda r: (pairs.index((r.model, r.impl)), config.launchers.index(r.launcher)))
    add_ratios(rows)
    return rows


def _num(value: Optional[float], fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return format(value, fmt)


def format_table(rows: Sequence[BenchRow]) -> str:
    """The rows as an aligned text table, then the bridge / java ratio per model."""
    if not rows:
        return "(no runs)"
    start = rows[0].rss_growth_from_epoch
    last = rows[0].epochs
    header = ["model", "impl", "launcher", "tokens/s", "s/epoch", "peak RSS MB",
              f"RSS growth % (ep {start}->{last})", "perplexity", "bridge/java"]
    body = [[r.model, r.impl, r.launcher, _num(r.tokens_per_sec, ",.0f"), _num(r.sec_per_epoch, ".3f"),
             _num(r.peak_rss_mb, ".1f"), _num(r.rss_growth_pct, "+.2f"), _num(r.final_perplexity, ".3f"),
             _num(r.ratio, ".3f") if r.launcher == "bridge" else ""] for r in rows]
    widths = [max(len(line[c]) for line in [header, *body]) for c in range(len(header))]
    left = {0, 1, 2}

    def fmt(line: list[str]) -> str:
        return "  ".join(cell.ljust(w) if c in left else cell.rjust(w)
                         for c, (cell, w) in enumerate(zip(line, widths))).rstrip()

    lines = [fmt(header), fmt(["-" * w for w in widths]), *[fmt(line) for line in body]]
    ratios: dict[str, list[str]] = {}
    for r in rows:
        if r.launcher == "bridge" and r.ratio is not None:
            ratios.setdefault(r.model, []).append(f"{r.impl} {r.ratio:.3f}")
    if ratios:
        lines.append("")
        lines += [f"bridge / java tokens/s, {model}: {', '.join(v)}" for model, v in ratios.items()]
    return "\n".join(lines)


def to_json(rows: Sequence[BenchRow]) -> str:
    """The ``--json`` contract: ``{"rows": [{"model", "impl", "launcher", "tokens_per_sec",
    "sec_per_epoch", "peak_rss_mb", "rss_growth_pct", ...}...]}``."""
    return json.dumps({"rows": [r.to_dict() for r in rows]})
