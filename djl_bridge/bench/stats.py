"""The statistics of the bench, on plain numbers: the steady median of per-epoch speeds, a median
with its range, per-round ratios, the median of a window of epochs, RSS growth, and NaN turned
into JSON's ``null``.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Sequence

#: RSS growth is measured from this epoch (or the last, when a run has fewer) to the last.
GROWTH_FROM_EPOCH = 10

#: The warm-up section covers the first this many epochs ...
WARMUP_EPOCHS = 40

#: ... in these windows of epochs, counted from 1, both ends included.
WARMUP_WINDOWS: tuple[tuple[int, int], ...] = ((1, 1), (2, 5), (6, 10), (11, 20), (21, 40))


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


def clean(value: Any) -> Any:
    """NaN and infinities become None (``null``), recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value
