"""The Pythonic API: ``train(config) -> TrainingResult``. One call into Java per run and one
callback per epoch; every batch and token stays on the Java side (:mod:`djl_bridge.session`)."""
from __future__ import annotations

from typing import Optional, Sequence

from .callbacks import Callback
from .config import TrainConfig
from .result import EpochCallback, TrainingResult
from .session import RunOptions, run

__all__ = ["EpochCallback", "TrainingResult", "train"]


def train(config: TrainConfig, on_epoch: Optional[EpochCallback] = None,
          progress: Optional[bool] = None,
          callbacks: Optional[Sequence[Callback]] = None) -> TrainingResult:
    """Trains on the Java side and returns the result as numpy data.

    The config is validated and the corpus found before the JVM starts, so a bad value costs no
    JVM start. ``callbacks`` (:class:`djl_bridge.Callback`, e.g. :class:`djl_bridge.PerplexityPlot`)
    are told of the run's start, each epoch and its end; ``on_epoch(epoch, perplexity,
    tokens_per_sec)`` is the shortcut for one function; either stops the run by returning
    ``False`` after an epoch. ``progress``: True shows it where the call runs
    (a widget in a notebook, a bar on a terminal, lines on stderr), False never, None (the
    default) only in a notebook.
    Ctrl-C or SIGTERM stops the run after the current batch (:class:`djl_bridge.Interrupted`); a
    second Ctrl-C raises KeyboardInterrupt. For checkpoints and resume use
    :func:`djl_bridge.run`.
    """
    return run(config, RunOptions(progress=progress), on_epoch=on_epoch, callbacks=callbacks)
