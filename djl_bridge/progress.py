"""Training progress that fits where it runs, fed by the per-epoch callback: a widget in a
Jupyter notebook, a tqdm bar on a terminal, plain lines when output goes to a pipe or a file;
one of them, never two. :func:`for_run` chooses.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Optional, Protocol, TextIO

from . import jupyter


def _fmt(perplexity: float) -> str:
    return f"{perplexity:.2f}" if perplexity < 1e6 else f"{perplexity:.4g}"


def _is_terminal(stream: Optional[TextIO]) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Progress(Protocol):
    """What a run calls: ``update`` after each epoch, ``close`` once at the end (also after an
    interruption or an error)."""

    def update(self, epoch: int, perplexity: float, tokens_per_sec: float) -> None: ...

    def close(self) -> None: ...


class ProgressBar:
    """A tqdm bar over epochs on a terminal; ``update`` is the per-epoch callback."""

    def __init__(self, total: int, initial: int = 0, stream: Optional[TextIO] = None,
                 measure: str = "perplexity") -> None:
        from tqdm import tqdm

        self.measure = measure
        self._bar: Optional[Any] = tqdm(
            total=total, initial=initial, file=stream if stream is not None else sys.stderr,
            unit="epoch", dynamic_ncols=True,
            # {desc} carries the epoch's numbers ({postfix} would add a leading comma).
            bar_format="epoch {n_fmt}/{total_fmt} |{bar}| {desc} [{elapsed}<{remaining}]",
            desc="starting")

    def update(self, epoch: int, perplexity: float, tokens_per_sec: float) -> bool:
        """Moves the bar to ``epoch`` and shows its perplexity and speed."""
        if self._bar is not None:
            try:
                self._bar.set_description_str(
                    f"{self.measure} {_fmt(perplexity)}, {tokens_per_sec:,.0f} tokens/s",
                    refresh=False)
                self._bar.update(epoch - self._bar.n)
            except OSError:  # the terminal is gone (SIGHUP): the run goes on without a bar
                self._bar = None
        return True

    def close(self) -> None:
        """Leaves the bar as it is and ends the line."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            try:
                bar.close()
            except OSError:  # the terminal is gone
                pass


def line(epoch: int, total: int, perplexity: float, tokens_per_sec: float,
         measure: str = "perplexity") -> str:
    """One epoch as a line: ``epoch 50/500  perplexity 8.937  66,087 tokens/s`` (the task's
    measure: ``loss 0.0195`` for sequence to sequence, whose loss needs four decimals)."""
    if measure != "perplexity" and perplexity < 1e6:
        shown = f"{perplexity:.4f}"
    else:
        shown = f"{perplexity:.3f}" if perplexity < 1e6 else f"{perplexity:.4g}"  # divergence stays readable
    return f"epoch {epoch}/{total}  {measure} {shown}  {tokens_per_sec:,.0f} tokens/s"


class ProgressLines:
    """Plain lines for logs and pipes: the first epoch of the run, then every 10% of the
    epochs, each flushed at once."""

    def __init__(self, total: int, initial: int = 0, stream: Optional[TextIO] = None,
                 measure: str = "perplexity") -> None:
        self.measure = measure
        self.total = total
        self.first = initial + 1  # a resumed run logs its first epoch too
        self.every = max(1, total // 10)
        self.stream = stream
        self.gone = False

    def update(self, epoch: int, perplexity: float, tokens_per_sec: float) -> None:
        if self.gone or not (epoch % self.every == 0 or epoch == self.first):
            return
        try:
            print(line(epoch, self.total, perplexity, tokens_per_sec, self.measure),
                  file=self.stream if self.stream is not None else sys.stderr, flush=True)
        except OSError:  # stderr is gone (a closed terminal): the run goes on without lines
            self.gone = True

    def close(self) -> None:
        pass


class NotebookProgress:
    """A progress widget under the running cell (ipywidgets), or one text line redrawn in
    place when ipywidgets is missing; when the run ends, either becomes the line of the last
    epoch with the run's wall time, so a saved notebook shows how the run ended."""

    def __init__(self, total: int, initial: int = 0, min_interval: float = 0.1,
                 measure: str = "perplexity") -> None:
        self.measure = measure
        self.total = total
        self.min_interval = min_interval
        self.start = time.monotonic()
        self._shown_at = 0.0
        self._last: Optional[tuple[int, float, float]] = None
        self._widgets: Optional[tuple[Any, Any, Any]] = None
        try:
            import ipywidgets
        except ImportError:
            first: Any = jupyter.text(f"epoch {initial}/{total}  starting")
        else:
            bar = ipywidgets.IntProgress(min=0, max=total, value=initial,
                                         description=f"epoch {initial}/{total}",
                                         style={"description_width": "initial"})
            label = ipywidgets.Label("starting")
            first = ipywidgets.HBox([bar, label])
            self._widgets = (bar, label, first)
        self._output: Optional[jupyter.Output] = jupyter.Output(first)

    def update(self, epoch: int, perplexity: float, tokens_per_sec: float) -> None:
        self._last = (epoch, perplexity, tokens_per_sec)
        now = time.monotonic()
        if self._output is None or (now - self._shown_at < self.min_interval
                                    and epoch < self.total):
            return
        self._shown_at = now
        if self._widgets is not None:
            bar, label, _ = self._widgets
            bar.value = epoch
            bar.description = f"epoch {epoch}/{self.total}"
            label.value = f"{self.measure} {_fmt(perplexity)}, {tokens_per_sec:,.0f} tokens/s"
        else:
            self._output.update(jupyter.text(line(epoch, self.total, perplexity, tokens_per_sec,
                                                  self.measure)))

    def close(self) -> None:
        """Replaces the widget with the line of the last epoch and the wall time."""
        if self._output is None:
            return
        seconds = time.monotonic() - self.start
        if self._last is not None:
            epoch, perplexity, speed = self._last
            done = line(epoch, self.total, perplexity, speed, self.measure)
        else:
            done = f"epoch 0/{self.total}: no epoch finished"
        self._output.update(jupyter.text(f"{done}  ({seconds:,.1f} s)"))
        self._output = None
        if self._widgets is not None:  # with their layouts and styles: no state left behind
            for widget in self._widgets:
                for part in (getattr(widget, "layout", None), getattr(widget, "style", None)):
                    if part is not None:
                        part.close()
                widget.close()
            self._widgets = None


def for_run(total: int, initial: int = 0, quiet: bool = False,
            stdout: Optional[TextIO] = None, stderr: Optional[TextIO] = None,
            measure: str = "perplexity") -> Optional[Progress]:
    """The progress display of a run of ``total`` epochs starting after ``initial``, showing the
    task's ``measure``: None when ``quiet``, a widget in a notebook, the tqdm bar when stdout and
    stderr are terminals, plain lines on stderr otherwise."""
    if quiet:
        return None
    if jupyter.in_notebook():
        return NotebookProgress(total, initial, measure=measure)
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    if _is_terminal(stdout) and _is_terminal(stderr):
        return ProgressBar(total, initial, stderr, measure)
    return ProgressLines(total, initial, stderr, measure)
