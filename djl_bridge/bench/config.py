"""What a bench measures: the models, impls and launchers to cross, the rounds, the training
settings every run shares, and the checks of those choices (one line naming the first bad value).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence

from .. import jvm
from ..config import CLI_NAMES, IMPLS, MODELS, TrainConfig
from ..errors import BridgeError, ConfigError
from ..paths import check_path

LAUNCHERS = ("bridge", "java", "torch")

#: What runs when ``--launchers`` is not given (``--torch PYTHON`` adds torch).
DEFAULT_LAUNCHERS = ("bridge", "java")

#: The launcher every other one is divided by.
BASELINE = "java"

#: Epochs per run by default: the span of the RSS-growth target (epoch 10 to 200).
DEFAULT_EPOCHS = 200

#: Rounds by default: every launcher goes first at least once for two launchers, once each for
#: three.
DEFAULT_ROUNDS = 3


class BenchError(BridgeError):
    """A measured run failed, timed out, or printed no result."""


@dataclass(frozen=True)
class BenchConfig:
    """What to measure: the models, impls and launchers to cross, how many rounds, and the
    training settings every run shares (``model`` and ``impl`` of ``train`` are replaced per run).
    The defaults are the Java text's configuration with :data:`DEFAULT_EPOCHS` epochs.
    ``torch_python`` is the interpreter that runs the ``torch`` launcher; ``threads``, when set,
    is the OpenMP thread count of every run (``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``, which
    MXNet and PyTorch both read), else every launcher gets what ``train`` would use
    (``jvm.openmp_env``: ``$OMP_NUM_THREADS``, else one per CPU)."""

    models: tuple[str, ...] = MODELS
    impls: tuple[str, ...] = IMPLS
    launchers: tuple[str, ...] = DEFAULT_LAUNCHERS
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=DEFAULT_EPOCHS))
    rounds: int = DEFAULT_ROUNDS
    timeout: Optional[float] = None
    torch_python: Optional[Path] = None
    threads: Optional[int] = None

    def validate(self) -> "BenchConfig":
        """Raises :class:`ConfigError` naming the first bad value by its ``djl-bridge bench``
        flag."""
        for flag, values, allowed in (("--models", self.models, MODELS), ("--impls", self.impls, IMPLS),
                                      ("--launchers", self.launchers, LAUNCHERS)):
            if not values:
                raise ConfigError(f"{flag} is empty: give one or more of {','.join(allowed)}")
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ConfigError(f"{flag}: unknown {bad[0]!r}, use a comma list of {','.join(allowed)}")
            if len(set(values)) != len(values):
                raise ConfigError(f"{flag} names a value twice: {','.join(values)}")
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds <= 0:
            raise ConfigError(f"--rounds must be a whole number > 0, got {self.rounds!r}")
        if self.threads is not None:
            jvm.check_threads(self.threads)  # the rule of train's --threads
        if self.timeout is not None and not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"--timeout must be a number of seconds > 0, got {self.timeout!r}")
        if "torch" in self.launchers:
            if self.torch_python is None:
                raise ConfigError("the torch launcher needs --torch PYTHON: the python of a venv with "
                                  "PyTorch (python3 -m venv V && V/bin/pip install torch numpy)")
            if not check_path(self.torch_python, "--torch").is_file():
                raise ConfigError(f"--torch {self.torch_python}: no such file: give the python of a "
                                  "venv with PyTorch, e.g. V/bin/python")
        elif self.torch_python is not None:
            raise ConfigError("--torch is given but --launchers leaves torch out: add torch to "
                              "--launchers or drop --launchers")
        if self.train.bidirectional and "scratch" in self.impls:
            raise ConfigError("--bidirectional is for the concise models only (the text's scratch "
                              "cells run one direction): pass --impls concise")
        self.first_run().validate(CLI_NAMES)  # in flags (--epochs), as the checks above
        return self

    def first_run(self) -> TrainConfig:
        """The training settings of the first run (``train`` with the first model and impl);
        every other run differs from it in those two only."""
        return replace(self.train, model=self.models[0], impl=self.impls[0])


def parse_list(text: str, allowed: Sequence[str], flag: str) -> tuple[str, ...]:
    """Splits a comma list such as ``"gru,lstm"``; raises :class:`ConfigError` on unknown names."""
    values = tuple(v.strip().lower() for v in text.split(",") if v.strip())
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ConfigError(f"{flag}: unknown {bad[0]!r}, use a comma list of {','.join(allowed)}")
    if not values:
        raise ConfigError(f"{flag} is empty: give one or more of {','.join(allowed)}")
    return values
