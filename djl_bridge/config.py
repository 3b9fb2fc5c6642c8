"""Training configuration: a dataclass with the Java text's defaults, validated before any JVM.
The defaults, choices and checks of the settings are read from ``settings.json``
(:mod:`djl_bridge.settings`), which the Java side reads too."""
from __future__ import annotations

import math
import numbers
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from . import paths
from .errors import ConfigError
from .settings import DEFAULTS, JAVA_INT_MAX, checked, setting

#: The values of ``--model``, ``--impl`` and ``--device`` (the model's are the model kinds).
MODELS: tuple[str, ...] = setting("model").choices
IMPLS: tuple[str, ...] = setting("impl").choices
DEVICES: tuple[str, ...] = setting("device").choices
#: The smallest and largest positive float32: ``lr`` and ``clip`` outside become 0 or Infinity.
FLOAT32_MIN = float(np.finfo(np.float32).smallest_subnormal)
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Flags whose spelling is not ``--`` plus the field name with dashes.
_FLAGS = {"verify_data": "--no-verify-data"}
#: A command-line flag in a text.
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*[a-z]")


@dataclass(frozen=True)
class Names:
    """How a message names a setting. The Python API names the field (``TrainConfig.hidden``),
    the CLI names the flag (``--hidden``); the rule that raises is the same for both."""

    cli: bool = False

    def __call__(self, field: str, owner: str = "TrainConfig") -> str:
        if self.cli:
            return _FLAGS.get(field, "--" + field.replace("_", "-"))
        return f"{owner}.{field}" if owner else field

    def setting(self, field: str, value: Any = None, owner: str = "TrainConfig") -> str:
        """How the caller gives a setting a value, for a fix: ``--data PATH`` or
        ``TrainConfig.data=PATH``; for a bool the flag alone (``--no-verify-data``) or
        ``TrainConfig.verify_data=False``."""
        if self.cli:
            flag = self(field, owner)
            return flag if value is None or isinstance(value, bool) else f"{flag} {value}"
        name = self(field, owner)
        return name if value is None else f"{name}={value}"

    def valued(self, field: str, value: Any, owner: str = "TrainConfig") -> str:
        """A setting with its value as the caller writes it: ``--lr 0.5``, ``--bidirectional``
        / ``--no-bidirectional`` for a bool flag; ``TrainConfig.lr 0.5``,
        ``TrainConfig.bidirectional False`` in the API."""
        if isinstance(value, bool) and self.cli:
            flag = self(field, owner)
            return flag if value else "--no-" + flag[2:]
        return f"{self(field, owner)} {value}"

    def change(self, field: str, old: Any, new: Any, owner: str = "TrainConfig") -> str:
        """A changed setting: ``--lr 0.5 -> 1.0``, ``--hybridize -> --no-hybridize``;
        ``TrainConfig.hybridize True -> False`` in the API."""
        if self.cli and (isinstance(old, bool) or isinstance(new, bool)):
            return f"{self.valued(field, old, owner)} -> {self.valued(field, new, owner)}"
        return f"{self(field, owner)} {old} -> {new}"

    def resume_command(self, directory: Any) -> str:
        """How the caller goes on with the checkpoints of ``directory``."""
        if self.cli:
            return f"`djl-bridge train --resume {directory}`"
        return f"`djl_bridge.resume({str(directory)!r})`"

    def respell(self, text: str) -> str:
        """``text`` written in the command line's flags (the Java side's messages: its launcher
        ``djlbridge.cli.Main`` takes the same flags) in these names: for the API every
        ``--flag`` of a :class:`TrainConfig` field becomes the field (``TrainConfig.lr``)."""
        if self.cli:
            return text
        flags = {CLI_NAMES(f.name): self(f.name) for f in fields(TrainConfig)}
        return _FLAG.sub(lambda m: flags.get(m.group(), m.group()), text)


def as_int(value: Any) -> Any:
    """A whole number of any integer type (``numpy.int64`` too) as ``int``; a bool or anything
    else unchanged, for the check to refuse."""
    if isinstance(value, numbers.Integral) and not _is_bool(value):
        return int(value)
    return value


def as_float(value: Any) -> Any:
    """A real number of any type (``numpy.float32``, an int) as ``float``; a bool or anything
    else unchanged, for the check to refuse."""
    if isinstance(value, numbers.Real) and not _is_bool(value):
        return float(value)
    return value


def as_bool(value: Any) -> Any:
    """``True``/``False`` (``numpy.bool_`` too) as ``bool``; anything else (1, "no") unchanged,
    for the check to refuse."""
    return bool(value) if _is_bool(value) else value


def as_path(value: Any) -> Any:
    """A ``str`` or ``os.PathLike`` as a :class:`~pathlib.Path`; None or anything else
    unchanged, for the check to refuse."""
    if isinstance(value, (str, os.PathLike)) and not isinstance(value, Path) \
            and value != "":  # Path("") is ".": an empty path stays "" for the check to refuse
        return Path(value)
    return value


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_path(value: Any, name: str) -> Path:
    """``value`` as a Path, or :class:`ConfigError` naming ``name`` for what is no path, an
    empty one, or one no system call takes (:func:`djl_bridge.paths.check_path`)."""
    return paths.check_path(value, name)


#: The Python API's names (``TrainConfig.hidden``).
API_NAMES = Names()
#: The command line's names (``--hidden``).
CLI_NAMES = Names(cli=True)


#: Why the text a bidirectional model generates means nothing (D2L 9.4), said wherever such a
#: model predicts.
BIDIRECTIONAL_NOTE = ("this model is bidirectional: it learned each character from the text after "
                      "it too, which generating text never has, so its predictions are "
                      "meaningless (the lesson of D2L 9.4)")


@dataclass(frozen=True)
class Section:
    """A section of D2L whose run ``--section`` / :meth:`TrainConfig.for_section` sets up: its
    title and the settings in which its run differs from :class:`TrainConfig`'s defaults (the
    Java text's notebook of that section: 500 epochs, batch 32, 35 steps, the first 10000
    tokens)."""

    number: str
    title: str
    settings: tuple[tuple[str, Any], ...]


#: The text's runs, by section number.
SECTIONS: tuple[Section, ...] = (
    Section("8.5", "Implementation of Recurrent Neural Networks from Scratch",
            (("model", "rnn"), ("impl", "scratch"), ("hidden", 512))),
    Section("8.6", "Concise Implementation of Recurrent Neural Networks",
            (("model", "rnn"), ("impl", "concise"))),
    Section("9.1", "Gated Recurrent Units (GRU)", (("model", "gru"), ("impl", "scratch"))),
    Section("9.2", "Long Short-Term Memory (LSTM)", (("model", "lstm"), ("impl", "scratch"))),
    Section("9.3", "Deep Recurrent Neural Networks",
            (("model", "lstm"), ("impl", "concise"), ("layers", 2), ("lr", 2.0))),
    Section("9.4", "Bidirectional Recurrent Neural Networks",
            (("model", "lstm"), ("impl", "concise"), ("layers", 2), ("bidirectional", True))),
)
#: Their numbers: the values of ``--section``.
SECTION_NAMES: tuple[str, ...] = tuple(s.number for s in SECTIONS)


def find_section(section: Any) -> Section:
    """The section ``section`` names ("9.3", or the number 9.3); :class:`ConfigError` for any
    other."""
    name = section
    if isinstance(section, numbers.Real) and not _is_bool(section):
        name = f"{float(section):g}"
    for s in SECTIONS:
        if s.number == name:
            return s
    raise ConfigError(f"unknown section {section!r} (TrainConfig.for_section): use one of "
                      f"{', '.join(SECTION_NAMES)}")


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Defaults are the Java text's: GRU from scratch, 500 epochs, lr 1,
    clipping 1, 256 hidden units in one layer, one direction, batch 32, 35 steps, the first 10000
    tokens. :meth:`for_section` gives the run of another section of the text."""

    model: str = DEFAULTS["model"]
    impl: str = DEFAULTS["impl"]
    epochs: int = DEFAULTS["epochs"]
    lr: float = DEFAULTS["lr"]
    clip: float = DEFAULTS["clip"]
    hidden: int = DEFAULTS["hidden"]
    #: Stacked recurrent layers (D2L 9.3), for every model and both implementations.
    layers: int = DEFAULTS["layers"]
    #: Each layer also runs backwards in time (D2L 9.4): DJL's concise layers only.
    bidirectional: bool = DEFAULTS["bidirectional"]
    batch_size: int = DEFAULTS["batch_size"]
    num_steps: int = DEFAULTS["num_steps"]
    max_tokens: int = DEFAULTS["max_tokens"]
    random_iter: bool = DEFAULTS["random_iter"]
    data: Optional[Path] = DEFAULTS["data"]
    verify_data: bool = DEFAULTS["verify_data"]
    seed: int = DEFAULTS["seed"]
    device: str = DEFAULTS["device"]
    #: The scratch model as one cached MXNet graph (about 2x faster, the same numbers); False:
    #: the text's op-by-op cells. The concise model ignores it.
    hybridize: bool = DEFAULTS["hybridize"]

    def __post_init__(self) -> None:
        # A library takes what numpy and pathlib hand it: numpy scalars become Python numbers,
        # a str path a Path. Wrong types stay as they are, for validate() to name.
        for f in fields(self):
            value = getattr(self, f.name)
            convert = _CONVERT.get(f.type if isinstance(f.type, str) else "", None)
            if convert is not None:
                object.__setattr__(self, f.name, convert(value))

    def validate(self, names: Names = API_NAMES, sized: bool = True) -> "TrainConfig":
        """Raises :class:`ConfigError` naming the first bad value (as ``names`` spells it) and
        its valid range; ``sized``: also a model no checkpoint can hold (``sizing``; the
        checkpoint reader sizes the files it reads itself)."""
        # Each check of settings.json, once, over the settings that have it (in this order, so
        # that the first bad value named is always the same).
        for s in checked("choice"):
            value = getattr(self, s.name)
            if not isinstance(value, str):
                raise ConfigError(f"{names(s.name)} must be a str, got {value!r}")
        for s in checked("choice"):
            value = getattr(self, s.name)
            if value not in s.choices:
                raise ConfigError(f"unknown {s.name} {value!r} ({names(s.name)}): use one of "
                                  f"{', '.join(s.choices)}")
        for s in checked("count"):
            value = getattr(self, s.name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{names(s.name)} must be a whole number > 0, got {value!r}")
            if value > JAVA_INT_MAX:  # the Java side takes an int: larger values cannot cross
                raise ConfigError(f"{names(s.name)} must be a whole number in 1..{JAVA_INT_MAX}, "
                                  f"got {value!r}")
        for s in checked("positive"):
            value = getattr(self, s.name)
            if not isinstance(value, float) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{names(s.name)} must be a finite number > 0, got {value!r}")
            if not FLOAT32_MIN <= value <= FLOAT32_MAX:  # Java computes in float32
                raise ConfigError(
                    f"{names(s.name)} must be a number from {FLOAT32_MIN:.1e} to "
                    f"{FLOAT32_MAX:.1e} (float32, as the Java side computes), got {value!r}")
        for s in checked("switch"):
            value = getattr(self, s.name)
            if not isinstance(value, bool):
                raise ConfigError(f"{names(s.name)} must be True or False, got {value!r}")
        if self.bidirectional and self.impl != "concise":
            raise ConfigError(
                f"{names('bidirectional')} needs {names('impl')} concise: the text's scratch "
                f"cells run one direction (D2L 9.4 trains DJL's bidirectional layer)")
        for s in checked("path"):
            value = getattr(self, s.name)
            if value is not None:
                if not isinstance(value, (str, Path)):
                    raise ConfigError(f"{names(s.name)} must be a path (a str or pathlib.Path) "
                                      f"or None, got {value!r}")
                check_path(value, names(s.name))
        for s in checked("integer"):
            value = getattr(self, s.name)
            if isinstance(value, bool) or not isinstance(value, int) \
                    or not -JAVA_INT_MAX - 1 <= value <= JAVA_INT_MAX:
                raise ConfigError(f"{names(s.name)} must be an integer in [-2^31, 2^31), got "
                                  f"{value!r}")
        if sized:
            from .sizing import check_saveable  # the model's size, from the settings alone

            check_saveable(self, names)
        return self

    @classmethod
    def for_section(cls, section: Union[str, float], names: Names = API_NAMES,
                    **changes: Any) -> "TrainConfig":
        """The run of a section of the text (:data:`SECTIONS`): e.g. ``for_section("9.3")``, the
        2-layer concise LSTM at lr 2; ``changes`` are fields to set on top (``epochs=50``).
        Raises :class:`ConfigError` for an unknown section or field, or a change that does not
        fit the section's own settings (messages name settings as ``names`` does)."""
        found = find_section(section)
        unknown = sorted(set(changes) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"TrainConfig.{unknown[0]} is not a field of TrainConfig: use "
                              f"{', '.join(f.name for f in fields(cls))}")
        settings = {**dict(found.settings), **changes}
        if dict(found.settings).get("bidirectional") and "bidirectional" not in changes \
                and settings.get("impl") == "scratch":  # the caller's impl, the section's layer
            run = (f"--section {found.number}" if names.cli
                   else f"TrainConfig.for_section({found.number!r})")
            raise ConfigError(
                f"{run} trains a bidirectional model, which needs {names.valued('impl', 'concise')}"
                f" (the text's scratch cells run one direction): drop "
                f"{names.valued('impl', 'scratch')}, or add "
                + (names.valued("bidirectional", False) if names.cli
                   else names.setting("bidirectional", False)))
        return cls(**settings)

    def describe(self) -> str:
        """The model in words: "scratch gru, 256 hidden", "concise lstm, 2 bidirectional layers
        of 256 hidden"."""
        if self.layers == 1 and not self.bidirectional:
            return f"{self.impl} {self.model}, {self.hidden} hidden"
        layers = f"{self.layers}{' bidirectional' if self.bidirectional else ''} " \
                 f"layer{'s' if self.layers > 1 else ''}"
        return f"{self.impl} {self.model}, {layers} of {self.hidden} hidden"

    @property
    def prediction_note(self) -> Optional[str]:
        """Why this model's predictions mean nothing (:data:`BIDIRECTIONAL_NOTE`), or None."""
        return BIDIRECTIONAL_NOTE if self.bidirectional else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the settings."""
        d = asdict(self)
        d["data"] = str(self.data) if self.data is not None else None
        return d


#: How :meth:`TrainConfig.__post_init__` converts each annotated type.
_CONVERT = {"int": as_int, "float": as_float, "bool": as_bool, "Optional[Path]": as_path}
