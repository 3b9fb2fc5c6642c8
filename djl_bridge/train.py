"""The Pythonic API: ``train(config) -> TrainingResult``. One call into Java per run and one
callback per epoch; every batch and token stays on the Java side."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import jpype
import numpy as np

from .config import TrainConfig
from .data import count_tokens, locate_corpus
from .errors import ConfigError

#: Called after each epoch with (epoch, perplexity, tokens_per_sec); return False to stop.
EpochCallback = Callable[[int, float, float], Optional[bool]]


@dataclass
class TrainingResult:
    """What a run hands back: perplexity per epoch, speed, device, predictions."""

    perplexity: np.ndarray
    epoch_tokens_per_sec: np.ndarray
    tokens_per_sec: float
    device: str
    wall_seconds: float
    predictions: dict[str, str]
    config: TrainConfig
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def final_perplexity(self) -> float:
        """The perplexity of the last epoch."""
        return float(self.perplexity[-1]) if self.perplexity.size else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json`` contract)."""
        return {
            "perplexity": [float(p) for p in self.perplexity],
            "final_perplexity": self.final_perplexity,
            "tokens_per_sec": float(self.tokens_per_sec),
            "epoch_tokens_per_sec": [float(s) for s in self.epoch_tokens_per_sec],
            "device": self.device,
            "wall_seconds": float(self.wall_seconds),
            "predictions": dict(self.predictions),
            "config": self.config.to_dict(),
            **self.extras,
        }

    def to_json(self) -> str:
        """The result as one JSON object."""
        return json.dumps(self.to_dict())

    def summary(self) -> str:
        """The text's printout: the perplexity line, then one prediction per line."""
        lines = [f"perplexity: {self.final_perplexity:.1f}, {self.tokens_per_sec:.1f} tokens/sec "
                 f"on {self.device}"]
        lines += list(self.predictions.values())
        return "\n".join(lines)


def prepare(config: TrainConfig) -> TrainConfig:
    """Validates the config and resolves the corpus, all before the JVM starts."""
    config.validate()
    data = locate_corpus(config.data, verify_sha1=config.verify_data)
    tokens = count_tokens(data, limit=config.max_tokens)  # streams; stops at max_tokens
    per_batch = config.batch_size * config.num_steps
    if tokens - 1 - (config.num_steps - 1) < per_batch:
        raise ConfigError(
            f"the corpus ({tokens} tokens used) is too small for one batch of "
            f"{config.batch_size} x {config.num_steps} steps: lower --batch-size or --num-steps, "
            "or raise --max-tokens"
        )
    return TrainConfig(**{**config.__dict__, "data": data})


def settings(config: TrainConfig) -> Any:
    """The Java ``TrainSettings`` for a prepared config."""
    ts = jpype.JClass("djlbridge.TrainSettings")
    return (
        ts.builder()
        .setModel(config.model)
        .setImpl(config.impl)
        .setNumEpochs(config.epochs)
        .setLr(float(config.lr))
        .setClipTheta(float(config.clip))
        .setNumHiddens(config.hidden)
        .setBatchSize(config.batch_size)
        .setNumSteps(config.num_steps)
        .setMaxTokens(config.max_tokens)
        .setRandomIter(config.random_iter)
        .setDataPath(str(config.data))
        .setSeed(config.seed)
        .setDevice(config.device)
        .build()
    )


@dataclass
class EpochRecorder:
    """Wraps an epoch callback and records, after each epoch, its wall seconds (from the previous
    epoch's end; the first from the recorder's creation) and the resident set size of this
    process, which hosts the JVM."""

    on_epoch: Optional[EpochCallback] = None
    rss_mb: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    _last: float = field(default_factory=time.perf_counter)

    def __call__(self, epoch: int, perplexity: float, speed: float) -> Optional[bool]:
        now = time.perf_counter()
        self.epoch_seconds.append(now - self._last)
        self._last = now
        self.rss_mb.append(float(jpype.JClass("djlbridge.ProcessMemory").residentMb()))
        return None if self.on_epoch is None else self.on_epoch(epoch, perplexity, speed)

    def extras(self) -> dict[str, Any]:
        """The recorded series and the peak resident set size, for ``TrainingResult.extras``."""
        peak = float(jpype.JClass("djlbridge.ProcessMemory").peakResidentMb())
        return {"rss_mb": self.rss_mb, "epoch_seconds": self.epoch_seconds, "peak_rss_mb": peak}


def train(config: TrainConfig, on_epoch: Optional[EpochCallback] = None) -> TrainingResult:
    """Trains on the Java side and returns the result as numpy data.

    The config is validated and the corpus found before the JVM starts, so a bad value costs no
    JVM start. ``on_epoch`` runs after every epoch; returning ``False`` stops the run there.
    Ctrl-C stops the run after the current batch (:class:`TrainingInterruptedError`). For
    checkpoints and resume use :func:`djl_bridge.session.run`, which this calls.
    """
    from .session import RunOptions, run

    return run(config, RunOptions(), on_epoch=on_epoch)
