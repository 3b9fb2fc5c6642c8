"""The perplexity curve as D2L's ``Animator`` draws it (x: epoch, y: perplexity, legend "train",
grid), written atomically to a PNG. Needs matplotlib: ``pip install 'djl-bridge[plot]'``."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

from .errors import ConfigError, MissingExtraError
from .outputs import check_output_file

HOW = "install it with `pip install 'djl-bridge[plot]'` (or `pip install matplotlib`)"


def require_matplotlib(needed_by: str = "plot_perplexity") -> Any:
    """Imports matplotlib with the Agg backend, or raises :class:`MissingExtraError` saying
    that ``needed_by`` (``--plot`` on the command line, else this module's function) needs it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        drop = f", or drop {needed_by}" if needed_by.startswith("--") else ""
        raise MissingExtraError(f"{needed_by} needs matplotlib, which is not installed ({exc}): "
                                f"{HOW}{drop}") from None
    return plt


def check_target(path: Path) -> None:
    """Rejects a plot path that cannot be written, before any training: a name not ending in
    .png, a directory, a missing directory or one under a regular file, a read-only place (a
    probe file is created, synced and deleted next to it). Raises :class:`ConfigError`."""
    if path.suffix.lower() != ".png" and not path.is_dir():  # a directory: say so, below
        raise ConfigError(f"--plot {path}: the file name must end in .png")
    check_output_file(path, "--plot")


def plot_perplexity(perplexity: Sequence[float], path: Path, num_epochs: int, title: str = "") -> Path:
    """Draws perplexity per epoch and writes ``path`` through a temporary file and a rename."""
    plt = require_matplotlib()
    fig, ax = plt.subplots(figsize=(3.5, 2.5))
    try:
        epochs = list(range(1, len(perplexity) + 1))
        ax.plot(epochs, list(perplexity), "-", label="train")
        ax.set_xlabel("epoch")
        ax.set_ylabel("perplexity")
        ax.set_xlim(1, max(num_epochs, 2))
        ax.legend()
        ax.grid(True)
        if title:
            ax.set_title(title, fontsize=8)
        fig.tight_layout()
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fig.savefig(fh, format="png", dpi=120)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    finally:
        plt.close(fig)
    return path
