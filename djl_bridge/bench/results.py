"""One measured run: :class:`RunResult`, and :func:`read_run_json`, the one place that reads the
JSON a run prints from inside itself (per-epoch speed, wall seconds and resident set size, and
its peak resident set size).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from .config import BenchError
from .stats import clean, growth_start_epoch, rss_growth_pct, steady_median


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
    #: the model's stacked layers and directions, from the run's ``config`` (1 and False when
    #: it does not say)
    layers: int = 1
    bidirectional: bool = False
    #: the last epoch's loss of a run that reports a loss instead of a perplexity (seq2seq,
    #: D2L 9.7; its ``final_perplexity`` is NaN); NaN for the language model
    final_loss: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; an unknown number (NaN) becomes None (``null``)."""
        return clean(asdict(self))


def read_run_json(model: str, impl: str, launcher: str, out: dict[str, Any], round_no: int = 1,
                  process_seconds: float = math.nan) -> RunResult:
    """Reads the JSON one run printed (``train --json``, ``Main --json`` or ``torch_ref.py``).
    The only fields used: ``tokens_per_sec``, ``epoch_tokens_per_sec`` (one per epoch),
    ``epoch_seconds`` (one per epoch), ``rss_mb`` (one per epoch), ``peak_rss_mb`` and
    ``final_perplexity`` (the language model) or ``final_loss`` (seq2seq: ``train --section 9.7
    --json``, ``torch_seq2seq.py``); a null number is read as NaN."""

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
            final_perplexity=num(out["final_perplexity"]) if "final_loss" not in out
            else num(out.get("final_perplexity")),
            final_loss=num(out.get("final_loss")),
            epochs=len(speeds),
            rss_growth_from_epoch=growth_start_epoch(len(rss)),
            process_seconds=process_seconds,
            epoch_tokens_per_sec=speeds,
            threads=_threads_of(out),
            layers=int(out.get("config", {}).get("layers", 1)),
            bidirectional=bool(out.get("config", {}).get("bidirectional", False)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BenchError(
            f"the {launcher} run of {model}/{impl} printed JSON without {exc}: the Java or Python "
            "side is older than the bench (rebuild with `gradle assemble`)"
        ) from None


def _threads_of(out: dict[str, Any]) -> Optional[int]:
    value = out.get("omp_threads", out.get("threads"))
    return value if isinstance(value, int) and not isinstance(value, bool) else None
