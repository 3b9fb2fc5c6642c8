"""What a run hands back. Every number is computed once, on the Java side
(``djlbridge.training.RunReport``: the per-epoch history, the run's tokens/s rule, wall time,
memory, the text's predictions); Python reads its JSON and adds the config it ran with."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from . import jsonfile
from .config import TrainConfig
from .jupyter import html_table

#: Called after each epoch with (epoch, perplexity, tokens_per_sec); return False to stop.
EpochCallback = Callable[[int, float, float], Optional[bool]]

#: Fields of the Java result that become attributes; everything else lands in ``extras``.
_CORE = ("perplexity", "final_perplexity", "tokens_per_sec", "epoch_tokens_per_sec", "device",
         "wall_seconds", "predictions")


@dataclass
class TrainingResult:
    """Perplexity per epoch, speed, device, predictions; ``extras`` has the rest of the Java
    result (epochs_done, resumed_from_epoch, epoch_seconds, rss_mb, peak_rss_mb, checkpoint)."""

    perplexity: np.ndarray
    epoch_tokens_per_sec: np.ndarray
    tokens_per_sec: float
    device: str
    wall_seconds: float
    predictions: dict[str, str]
    config: TrainConfig
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_java_json(cls, text: str, config: TrainConfig, **extras: Any) -> "TrainingResult":
        """Builds the result from the text of ``djlbridge.training.RunReport.toJson()``."""
        return cls.from_report(jsonfile.parse(text, jsonfile.REPORT_MAX_BYTES), config, **extras)

    @classmethod
    def from_report(cls, d: dict[str, Any], config: TrainConfig, **extras: Any) -> "TrainingResult":
        """Builds the result from the parsed ``RunReport`` JSON."""
        return cls(
            perplexity=np.asarray(d["perplexity"], dtype=np.float64),
            epoch_tokens_per_sec=np.asarray(d["epoch_tokens_per_sec"], dtype=np.float64),
            tokens_per_sec=float(d["tokens_per_sec"]),
            device=str(d["device"]),
            wall_seconds=float(d["wall_seconds"]),
            predictions={str(k): str(v) for k, v in d["predictions"].items()},
            config=config,
            extras={**{k: v for k, v in d.items() if k not in _CORE}, **extras},
        )

    @property
    def final_perplexity(self) -> float:
        """The perplexity of the last epoch."""
        return float(self.perplexity[-1]) if self.perplexity.size else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json`` contract, the same fields as ``Main --json``)."""
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

    def _repr_html_(self) -> str:
        """The result as a small table in a notebook (elsewhere the plain repr)."""
        c = self.config
        rows = [("model", c.describe()),
                ("epochs", f"{self.perplexity.size} (lr {c.lr:g}, batch {c.batch_size} x "
                           f"{c.num_steps} steps, {c.max_tokens} tokens)"),
                ("final perplexity", f"{self.final_perplexity:.3f}"),
                ("tokens/s", f"{self.tokens_per_sec:,.0f}"),
                ("device", self.device),
                ("wall time", f"{self.wall_seconds:,.1f} s")]
        if self.extras.get("checkpoint"):
            rows.append(("checkpoint", self.extras["checkpoint"]))
        return html_table("TrainingResult", rows, list(self.predictions.items()))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain text of a result: a few lines, not every epoch's numbers (those stay
        in the fields and in ``repr()``)."""
        printer.text(f"TrainingResult({self.config.describe()}, {self.perplexity.size} epochs: "
                     f"perplexity {self.final_perplexity:.3f}, {self.tokens_per_sec:,.0f} "
                     f"tokens/s on {self.device}, {self.wall_seconds:,.1f} s)")
        for prefix, text in self.predictions.items():
            printer.break_()
            printer.text(f"  {prefix!r}: {text!r}")

    def summary(self) -> str:
        """The text's printout: the perplexity line, then one prediction per line."""
        lines = [f"perplexity: {self.final_perplexity:.1f}, {self.tokens_per_sec:.1f} tokens/sec "
                 f"on {self.device}"]
        lines += list(self.predictions.values())
        return "\n".join(lines)
