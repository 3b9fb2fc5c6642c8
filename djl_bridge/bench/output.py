"""What the bench shows and keeps: the aligned text table (then the warm-up table), the ``--json``
document, and ``--save`` written atomically after every run.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Optional, Sequence

from .config import BASELINE, BenchError
from .results import RunResult
from .summary import BenchRow, WarmupRow, summarize, warmup


def format_table(rows: Sequence[BenchRow], warm: Sequence[WarmupRow] = (),
                 baseline: str = BASELINE) -> str:
    """The rows as an aligned text table (medians over rounds, ranges min-max), then the
    warm-up table when given."""
    if not rows:
        return "(no runs)"
    start = rows[0].rss_growth_from_epoch
    last = rows[0].epochs
    # The seq2seq rows (D2L 9.7) report a loss where the language model reports a perplexity.
    loss = any(r.final_loss is not None and math.isfinite(r.final_loss) for r in rows)
    header = ["model", "impl", "launcher", "rounds", "tokens/s", "min-max", "s/epoch", "peak RSS MB",
              f"RSS growth % (ep {start}->{last})", "loss" if loss else "perplexity", "CPU s",
              f"/{baseline}", "min-max"]
    body = [[_model(r), r.impl, r.launcher, str(r.rounds), _num(r.tokens_per_sec, ",.0f"),
             _range(r.tokens_per_sec_min, r.tokens_per_sec_max, ",.0f"), _num(r.sec_per_epoch, ".3f"),
             _num(r.peak_rss_mb, ".0f"), _num(r.rss_growth_pct, "+.1f"),
             _num(r.final_loss if loss else r.final_perplexity, ".4f" if loss else ".3f"),
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


def write_atomically(path: Path, text: str) -> None:
    """Writes ``text`` to a temporary file beside ``path``, then renames it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise BenchError(f"could not write {path} ({exc.strerror}): pass --save with a writable path") from None


def _model(row: BenchRow) -> str:
    """The model column: "gru", "lstm (2 layers)", "lstm (2 layers, bidirectional)"."""
    if row.layers == 1 and not row.bidirectional:
        return row.model
    layers = f"{row.layers} layer{'s' if row.layers > 1 else ''}"
    return f"{row.model} ({layers}{', bidirectional' if row.bidirectional else ''})"


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
