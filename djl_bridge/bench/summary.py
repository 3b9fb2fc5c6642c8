"""The runs summed up per model x impl x launcher: the median over rounds and its min-max spread,
and, for every launcher but the baseline (java), the per-round ratio to the baseline's run of the
same round; the warm-up rows compare the first epochs window by window.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional, Sequence

from .config import BASELINE, LAUNCHERS
from .results import RunResult
from .stats import WARMUP_WINDOWS, Spread, clean, paired_ratios, window_median


@dataclass
class BenchRow:
    """One model x impl x launcher over all rounds: the columns of the table and of ``--json``.
    ``ratio`` is the median over rounds of this launcher's tokens/s divided by java's in the same
    round (None on java's own row and when java did not run; the baseline of the seq2seq rows is
    torch); ``ratio_rounds`` the ratios."""

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
    layers: int = 1
    bidirectional: bool = False
    ratio: Optional[float] = None
    #: the median over rounds of the last epoch's loss (seq2seq); NaN for the language model
    final_loss: float = math.nan
    ratio_min: Optional[float] = None
    ratio_max: Optional[float] = None
    ratio_rounds: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an unknown number (NaN) becomes None (``null``)."""
        return clean(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BenchRow":
        """The inverse of :meth:`to_dict`: a ``null`` of a number field is NaN again."""
        fields = cls.__dataclass_fields__
        return cls(**{k: math.nan if d[k] is None and fields[k].type == "float" else d[k]
                      for k in fields if k in d})


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
            layers=mine[0].layers, bidirectional=mine[0].bidirectional,
            final_loss=Spread.of([r.final_loss for r in mine]).median,
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
        d = clean(asdict(self))
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
