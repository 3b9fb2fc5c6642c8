"""The training progress bar (epoch, perplexity, tokens/s, ETA), fed by the Java EpochCallback.

It draws only when both stdout and stderr are terminals and ``--json`` is off, so logs and pipes
stay clean.
"""
from __future__ import annotations

import sys
from typing import Any, Optional, TextIO


def _fmt(perplexity: float) -> str:
    return f"{perplexity:.2f}" if perplexity < 1e6 else f"{perplexity:.4g}"


def wanted(json_mode: bool, stdout: Optional[TextIO] = None,
           stderr: Optional[TextIO] = None) -> bool:
    """Whether to draw a bar: not under ``--json`` and only on a terminal (``sys.stdout`` and
    ``sys.stderr`` as they are now, unless given)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    return not json_mode and out is not None and err is not None and out.isatty() \
        and err.isatty()


class ProgressBar:
    """A tqdm bar over epochs; ``update`` is the per-epoch callback."""

    def __init__(self, total: int, initial: int = 0, stream: Optional[TextIO] = None) -> None:
        from tqdm import tqdm

        self._bar: Optional[Any] = tqdm(
            total=total, initial=initial, file=stream if stream is not None else sys.stderr,
            unit="epoch", dynamic_ncols=True,
            # {desc} carries the epoch's numbers ({postfix} would add a leading comma).
            bar_format="epoch {n_fmt}/{total_fmt} |{bar}| {desc} [{elapsed}<{remaining}]",
            desc="starting")

    def update(self, epoch: int, perplexity: float, tokens_per_sec: float) -> bool:
        """Moves the bar to ``epoch`` and shows its perplexity and speed."""
        if self._bar is not None:
            self._bar.set_description_str(
                f"perplexity {_fmt(perplexity)}, {tokens_per_sec:,.0f} tokens/s", refresh=False)
            self._bar.update(epoch - self._bar.n)
        return True

    def close(self) -> None:
        """Leaves the bar as it is and ends the line."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
