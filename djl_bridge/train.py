"""The Pythonic API: ``train(config) -> TrainingResult``. One call into Java per run and one
callback per epoch; every batch and token stays on the Java side."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import jpype
import numpy as np

from . import jvm
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
    tokens = min(count_tokens(data), config.max_tokens)
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


def _listener(on_epoch: Optional[EpochCallback], rss_mb: list[float],
              epoch_seconds: list[float]) -> Any:
    """The Java ``EpochListener``: after each epoch it appends the epoch's wall seconds (from the
    previous epoch's end, the first from the start of the run) and the resident set size of this
    process (the one hosting the JVM) to the two lists, then calls ``on_epoch``."""
    memory = jpype.JClass("djlbridge.ProcessMemory")
    last = [time.perf_counter()]

    @jpype.JImplements("djlbridge.EpochListener")
    class _Listener:
        @jpype.JOverride
        def onEpoch(self, epoch: int, perplexity: float, speed: float) -> bool:  # noqa: N802
            now = time.perf_counter()
            epoch_seconds.append(now - last[0])
            last[0] = now
            rss_mb.append(float(memory.residentMb()))
            if on_epoch is None:
                return True
            return on_epoch(int(epoch), float(perplexity), float(speed)) is not False

    return _Listener()


def train(config: TrainConfig, on_epoch: Optional[EpochCallback] = None) -> TrainingResult:
    """Trains on the Java side and returns the result as numpy data.

    The config is validated and the corpus found before the JVM starts, so a bad value costs no
    JVM start. ``on_epoch`` runs after every epoch; returning ``False`` stops the run there.
    """
    config = prepare(config)
    jvm.start()
    with jvm.java_errors():
        rss_mb: list[float] = []
        epoch_seconds: list[float] = []
        listener = _listener(on_epoch, rss_mb, epoch_seconds)
        result = jpype.JClass("djlbridge.Ch8Runner").run(settings(config), listener)
        peak_rss_mb = float(jpype.JClass("djlbridge.ProcessMemory").peakResidentMb())
        predictions = {str(k): str(v) for k, v in result.getPredictions().items()}
        return TrainingResult(
            perplexity=np.array(list(result.getPerplexity()), dtype=np.float64),
            epoch_tokens_per_sec=np.array(list(result.getEpochTokensPerSec()), dtype=np.float64),
            tokens_per_sec=float(result.getTokensPerSec()),
            device=str(result.getDevice()),
            wall_seconds=float(result.getWallSeconds()),
            predictions=predictions,
            config=config,
            extras={"rss_mb": rss_mb, "epoch_seconds": epoch_seconds, "peak_rss_mb": peak_rss_mb},
        )
