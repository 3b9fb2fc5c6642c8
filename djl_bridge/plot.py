"""The perplexity curve as D2L's ``Animator`` draws it (x: epoch, y: perplexity, legend "train",
grid): written atomically to a PNG (``--plot``), or live in a notebook, one figure redrawn after
the epochs (:class:`PerplexityPlot`, a run's callback). Needs matplotlib: ``pip install 'djl-bridge[plot]'``.

Every figure is a ``matplotlib.figure.Figure`` of its own, rendered by the Agg canvas: pyplot,
matplotlib's backend, its list of open figures and its rcParams are never touched, so a
notebook's inline plots and a script's backend stay what the user made them.
"""
from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Sequence

from . import jupyter
from .callbacks import Callback, EpochRecord, RunInfo
from .config import as_int, check_path
from .paths import file_mode
from .errors import ConfigError, MissingExtraError
from .outputs import check_output_file

#: How to get matplotlib; the notebook extra carries it too.
HOW = "install it with `pip install 'djl-bridge[plot]'` (or `pip install matplotlib`)"
#: Size and resolution of the figure, as the text's Animator (3.5 x 2.5 inches).
FIGSIZE = (3.5, 2.5)
DPI = 120


def require_matplotlib(what: str = "--plot") -> Any:
    """matplotlib's ``Figure`` class (pyplot is never imported), or :class:`MissingExtraError`
    naming ``what`` needs it."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        fix = f"{HOW}, or drop --plot" if what == "--plot" else HOW
        raise MissingExtraError(f"{what} needs matplotlib, which is not installed ({exc}): {fix}") \
            from None
    return Figure


def check_target(path: Path, name: str = "--plot") -> None:
    """Rejects a plot path that cannot be written, before any training: a name not ending in
    .png, a directory, a missing directory or one under a regular file, a read-only place (a
    probe file is created, synced and deleted next to it). Raises :class:`ConfigError` naming
    the setting ``name``."""
    path = check_path(path, name)
    if not path.name.lower().endswith(".png") and not path.is_dir():  # ".png" has no suffix  # a directory: say so, below
        raise ConfigError(f"{name} {path}: the file name must end in .png")
    check_output_file(path, name)


def draw(perplexity: Sequence[float], num_epochs: int, title: str = "",
         what: str = "--plot", epochs: Optional[Sequence[int]] = None,
         ylabel: str = "perplexity") -> Any:
    """The curve as a new ``Figure`` (not registered with pyplot); ``epochs`` are the x values
    (default 1, 2, ...); ``ylabel`` names what is drawn (a seq2seq run draws its loss)."""
    figure = require_matplotlib(what)
    fig = figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    xs = list(epochs) if epochs is not None else list(range(1, len(perplexity) + 1))
    ax.plot(xs, list(perplexity), "-", label="train")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_xlim(1, max(num_epochs, *xs[-1:], 2))
    ax.legend()
    ax.grid(True)
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def write_png(data: bytes, path: Path) -> Path:
    """Writes ``data`` to ``path`` through a synced temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    try:
        os.fchmod(fd, file_mode())  # mkstemp makes 0600: the plot gets the umask's mode
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def plot_perplexity(perplexity: Sequence[float], path: Path, num_epochs: int, title: str = "",
                    measure: str = "perplexity") -> Path:
    """Draws the measure (perplexity, or the task's ``measure``) per epoch and writes ``path``
    atomically."""
    return write_png(png_bytes(draw(perplexity, num_epochs, title, ylabel=measure)), path)


class PerplexityPlot(Callback):
    """D2L's ``Animator`` for perplexity, a run's callback:
    ``djl_bridge.train(config, callbacks=[PerplexityPlot()])``. It learns the epoch count (and a
    resumed run's earlier epochs) when the run starts, draws each epoch, and draws the last time
    when the run ends. It is also a function ``(epoch, perplexity, tokens_per_sec)`` that returns
    True (go on), for ``on_epoch`` or the ``SessionListener`` of the Java ``TimeMachine.trainCh8``;
    then give it ``num_epochs``, which ends the x axis and says when the last epoch is drawn.

    In a notebook it shows one figure under the cell and redraws it in place: after the first
    epoch, then at most every ``min_interval`` seconds, and at the last. With ``path`` it writes
    that PNG (atomically, as ``--plot``) when the last epoch is drawn or on :meth:`close`;
    outside a notebook ``path`` is where the curve goes. Use it once per run. ``ylabel`` names
    the value when it is not a perplexity (D2L 9.7 draws its loss: ``ylabel="loss"``).
    """

    def __init__(self, num_epochs: Optional[int] = None, path: "Path | str | None" = None,
                 title: str = "", min_interval: float = 1.0,
                 ylabel: str = "perplexity") -> None:
        if num_epochs is not None:
            num_epochs = as_int(num_epochs)
            if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs <= 0:
                raise ConfigError(f"PerplexityPlot.num_epochs must be a whole number > 0, got "
                                  f"{num_epochs!r}")
        self.path = None if path is None else check_path(path, "PerplexityPlot.path")
        if self.path is not None:
            check_target(self.path, "PerplexityPlot.path")
        self.live = jupyter.in_notebook()
        if not self.live and self.path is None:
            raise ConfigError("PerplexityPlot: outside a notebook the curve needs a file: pass "
                              "path='perplexity.png'")
        require_matplotlib("PerplexityPlot")  # before any training, as --plot
        self.num_epochs: Optional[int] = num_epochs
        self.title = title
        self.ylabel = str(ylabel)
        self.min_interval = float(min_interval)
        self.epochs: list[int] = []
        self.perplexity: list[float] = []
        self._output: Optional[jupyter.Output] = None
        self._drawn_at = 0.0
        self._closed = False

    def on_run_start(self, run: RunInfo) -> None:
        """Learns the run's epoch count, and the epochs a resumed run did before."""
        self.num_epochs = run.epochs
        if not self.epochs:
            for record in run.history:
                self.epochs.append(record.epoch)
                self.perplexity.append(record.value)

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> bool:
        return self(record.epoch, record.value, record.tokens_per_sec)

    def on_run_end(self, result: Any) -> None:
        """Draws the epochs a last time (a run a callback stopped early too) and writes ``path``."""
        self.close()

    def __call__(self, epoch: int, perplexity: float, tokens_per_sec: float = 0.0) -> bool:
        """Adds one epoch (the ``on_epoch`` signature) and redraws when it is time. Handed to the
        Java ``TimeMachine.trainCh8`` as its ``SessionListener``, it is called with the session
        and the epoch's record instead, and reads the two numbers from the record."""
        if hasattr(perplexity, "getMeasure"):  # (session, record) from the Java listener
            epoch, perplexity = int(perplexity.getEpoch()), float(perplexity.getMeasure())
        self.epochs.append(int(epoch))
        self.perplexity.append(float(perplexity))
        last = self.num_epochs is not None and int(epoch) >= self.num_epochs
        if last:
            self.close()
        elif self.live and (self._output is None
                            or time.monotonic() - self._drawn_at >= self.min_interval):
            self._show()
        return True

    def _image(self) -> bytes:
        return png_bytes(draw(self.perplexity, self.num_epochs or max(self.epochs), self.title,
                              "PerplexityPlot", self.epochs, self.ylabel))

    def _show(self, data: Optional[bytes] = None) -> None:
        image = jupyter.png(data if data is not None else self._image())
        if self._output is None:
            self._output = jupyter.Output(image)
        else:
            self._output.update(image)
        self._drawn_at = time.monotonic()

    def close(self) -> Optional[Path]:
        """Draws the epochs so far a last time and writes ``path``; returns it (None without
        one). Called by the last epoch; call it yourself after a run that stopped early."""
        if self._closed or not self.perplexity:
            return self.path if self._closed else None
        self._closed = True
        data = self._image()
        if self.live:
            self._show(data)
        if self.path is not None:
            write_png(data, self.path)
        return self.path

    def __enter__(self) -> "PerplexityPlot":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
