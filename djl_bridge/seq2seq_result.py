"""What a sequence-to-sequence run (D2L 9.7) hands back: the loss per epoch, the speed, and the
text's four translations with their BLEU, as data. Every number comes from the Java side (the
session's ``RunReport`` and ``Seq2Seq.bleu``); Python adds the config it ran with."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .jupyter import html_table
from .seq2seq_config import Seq2SeqConfig

#: Fields of the Java report that become attributes; the rest lands in ``extras``.
_CORE = ("loss", "final_loss", "tokens_per_sec", "epoch_tokens_per_sec", "device",
         "wall_seconds", "predictions")


@dataclass(frozen=True)
class Translation:
    """One of the text's sentences: the source, the reference, the model's greedy translation
    and its BLEU (k 2, the book's definition, in [0, 1])."""

    source: str
    reference: str
    translation: str
    bleu: float

    def __str__(self) -> str:  # the book's printout
        return f"{self.source} => {self.translation}, bleu {self.bleu:.3f}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"source": self.source, "reference": self.reference,
                "translation": self.translation, "bleu": self.bleu}


@dataclass
class Seq2SeqResult:
    """The loss per epoch (the book's: masked loss summed over sentences / target tokens),
    target tokens/s per epoch and the run's (``tokens_per_sec``: the median over this run's
    epochs, the first left out when there are more), the device, the wall time, the
    translations; ``extras`` holds the rest of the Java report (epochs_done, epoch_seconds,
    rss_mb, peak_rss_mb, threads)."""

    loss: np.ndarray
    epoch_tokens_per_sec: np.ndarray
    tokens_per_sec: float
    device: str
    wall_seconds: float
    translations: list[Translation]
    config: Seq2SeqConfig
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_report(cls, d: dict[str, Any], translations: list[Translation],
                    config: Seq2SeqConfig, **extras: Any) -> "Seq2SeqResult":
        """The result from the parsed ``RunReport`` JSON and the translations."""
        return cls(
            loss=np.asarray(d["loss"], dtype=np.float64),
            epoch_tokens_per_sec=np.asarray(d["epoch_tokens_per_sec"], dtype=np.float64),
            tokens_per_sec=float(d["tokens_per_sec"]),
            device=str(d["device"]),
            wall_seconds=float(d["wall_seconds"]),
            translations=list(translations),
            config=config,
            extras={**{k: v for k, v in d.items() if k not in _CORE}, **extras},
        )

    @property
    def final_loss(self) -> float:
        """The loss of the last epoch."""
        return float(self.loss[-1]) if self.loss.size else float("nan")

    @property
    def measure(self) -> str:
        """The name of the per-epoch measure: "loss"."""
        return "loss"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the CLI's ``--json``)."""
        return {
            "section": "9.7",
            "loss": [float(v) for v in self.loss],
            "final_loss": self.final_loss,
            "tokens_per_sec": float(self.tokens_per_sec),
            "epoch_tokens_per_sec": [float(s) for s in self.epoch_tokens_per_sec],
            "device": self.device,
            "wall_seconds": float(self.wall_seconds),
            "translations": [t.to_dict() for t in self.translations],
            "config": self.config.to_dict(),
            **self.extras,
        }

    def to_json(self) -> str:
        """The result as one JSON object."""
        return json.dumps(self.to_dict())

    def summary(self) -> str:
        """The book's printout: the loss line, then one translation per line."""
        lines = [f"loss {self.final_loss:.4f}, {self.tokens_per_sec:.1f} tokens/sec on "
                 f"{self.device}"]
        lines += [str(t) for t in self.translations]
        return "\n".join(lines)

    def __str__(self) -> str:
        return (f"Seq2SeqResult({self.config.describe()}, {self.loss.size} epochs: loss "
                f"{self.final_loss:.4f}, {self.tokens_per_sec:,.0f} tokens/s on {self.device}, "
                f"{self.wall_seconds:,.1f} s)")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's plain text: a few lines, not every epoch's numbers."""
        printer.text(str(self))
        for t in self.translations:
            printer.break_()
            printer.text(f"  {t}")

    def _repr_html_(self) -> str:
        """A small table in a notebook."""
        c = self.config
        rows = [("model", c.describe()),
                ("epochs", f"{self.loss.size} (Adam lr {c.lr:g}, batch {c.batch_size} x "
                           f"{c.num_steps} steps, {c.num_examples} examples)"),
                ("final loss", f"{self.final_loss:.4f}"),
                ("tokens/s", f"{self.tokens_per_sec:,.0f}"),
                ("device", self.device),
                ("wall time", f"{self.wall_seconds:,.1f} s")]
        return html_table("Seq2SeqResult", rows,
                          [(t.source, f"{t.translation} (bleu {t.bleu:.3f})")
                           for t in self.translations])
