"""Sequence to sequence (D2L 9.7): the run's settings, a frozen dataclass with the text's
defaults, validated in Python before any JVM starts (the Java ``Seq2SeqSettings`` checks them
again)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Optional

from .config import (API_NAMES, DEVICES, JAVA_INT_MAX, Names, as_bool, as_float, as_int,
                     as_path, check_path)
from .errors import ConfigError

#: The section whose run this is (``djl-bridge train --section 9.7``).
SECTION = "9.7"
#: Its title.
TITLE = "Sequence to Sequence Learning"
#: How messages of the API name this config's fields (``Seq2SeqConfig.embed``).
OWNER = "Seq2SeqConfig"


@dataclass(frozen=True)
class Seq2SeqConfig:
    """One sequence-to-sequence run. Defaults are the text's: embed 32, hidden 32, 2 GRU
    layers, dropout 0.1, batch 64, 10 steps, the first 600 examples of fra.txt, Adam at lr
    0.005, 300 epochs (gradient clipping at 1, as the book, is not a setting), seed 0. ``data``
    is fra.txt or fra-eng.zip (None: the environment variable ``DJL_BRIDGE_FRA``)."""

    embed: int = 32
    hidden: int = 32
    layers: int = 2
    dropout: float = 0.1
    batch_size: int = 64
    num_steps: int = 10
    num_examples: int = 600
    lr: float = 0.005
    epochs: int = 300
    data: Optional[Path] = None
    #: The data's SHA-256 must be the book's fra.txt (False: another two-column file, on purpose).
    verify_data: bool = True
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        # numpy scalars become Python numbers, a str path a Path; wrong types stay, for validate.
        for f in fields(self):
            convert = _CONVERT.get(f.type if isinstance(f.type, str) else "")
            if convert is not None:
                object.__setattr__(self, f.name, convert(getattr(self, f.name)))

    def validate(self, names: Names = API_NAMES) -> "Seq2SeqConfig":
        """Raises :class:`ConfigError` naming the first bad value (as ``names`` spells it: the
        field for the API, the flag for the CLI) and its valid range."""
        def name(field: str) -> str:
            return names(field, OWNER)

        for field in ("embed", "hidden", "layers", "batch_size", "num_steps", "num_examples",
                      "epochs"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name(field)} must be a whole number > 0, got {value!r}")
            if value > JAVA_INT_MAX:
                raise ConfigError(f"{name(field)} must be a whole number in 1..{JAVA_INT_MAX}, "
                                  f"got {value!r}")
        if not isinstance(self.lr, float) or not math.isfinite(self.lr) or self.lr <= 0:
            raise ConfigError(f"{name('lr')} must be a finite number > 0, got {self.lr!r}")
        if not isinstance(self.dropout, float) or not 0 <= self.dropout < 1:
            raise ConfigError(f"{name('dropout')} must be a number in [0, 1), got "
                              f"{self.dropout!r}")
        if not isinstance(self.device, str) or self.device not in DEVICES:
            raise ConfigError(f"unknown device {self.device!r} ({name('device')}): use one of "
                              f"{', '.join(DEVICES)}")
        if not isinstance(self.verify_data, bool):
            raise ConfigError(f"{name('verify_data')} must be True or False, got "
                              f"{self.verify_data!r}")
        if self.data is not None:
            if not isinstance(self.data, (str, Path)):
                raise ConfigError(f"{name('data')} must be a path (a str or pathlib.Path) or "
                                  f"None, got {self.data!r}")
            check_path(self.data, name("data"))  # empty, too long: one line, by name
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) \
                or not -(2**31) <= self.seed < 2**31:
            raise ConfigError(f"{name('seed')} must be an integer in [-2^31, 2^31), got "
                              f"{self.seed!r}")
        return self

    def describe(self) -> str:
        """The model in words: "GRU encoder-decoder, embed 32, 2 layers of 32 hidden"."""
        return (f"GRU encoder-decoder, embed {self.embed}, {self.layers} "
                f"layer{'s' if self.layers > 1 else ''} of {self.hidden} hidden")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the settings."""
        d = asdict(self)
        d["data"] = str(self.data) if self.data is not None else None
        return d


#: The language model's settings that mean nothing here, and why (said in one line when given).
NOT_APPLICABLE = {
    "model": "the model is the GRU encoder-decoder",
    "impl": "the model is DJL's GRU layers",
    "clip": "the book clips gradients at 1, fixed",
    "bidirectional": "the encoder runs one direction",
    "max_tokens": "the data is sentence pairs: use --num-examples",
    "random_iter": "batches are always shuffled sentence pairs",
    "hybridize": "the model is DJL's GRU layers",
}
#: The settings only this task has.
ONLY_HERE = ("embed", "dropout", "num_examples")


def from_given(given: dict[str, Any], names: Names = API_NAMES) -> Seq2SeqConfig:
    """The config of ``djl-bridge train --section 9.7`` from the settings given (field names,
    the text's defaults for the rest), validated; a setting of the language model that does
    not apply is refused in one line."""
    for field in given:
        if field in NOT_APPLICABLE:
            raise ConfigError(f"{names(field)} does not apply to section {SECTION} "
                              f"({NOT_APPLICABLE[field]})")
    known = {f.name for f in fields(Seq2SeqConfig)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ConfigError(f"{names(unknown[0], OWNER)} is not a setting of section {SECTION}")
    return Seq2SeqConfig(**given).validate(names)


def refuse_here_only(given: dict[str, Any], names: Names = API_NAMES) -> None:
    """Refuses, in one line, a setting only section 9.7 has given for another run."""
    for field in ONLY_HERE:
        if given.get(field) is not None:
            raise ConfigError(f"{names(field, OWNER)} applies only to section {SECTION} "
                              f"(sequence to sequence): add {names.setting('section', SECTION)}"
                              if names.cli else
                              f"{names(field, OWNER)} applies only to sequence to sequence")


#: How :meth:`Seq2SeqConfig.__post_init__` converts each annotated type.
_CONVERT = {"int": as_int, "float": as_float, "bool": as_bool, "Optional[Path]": as_path}
