"""The settings of a training run, defined once in ``settings.json`` beside this module: each
setting's name, default, check and choices, in :class:`~djl_bridge.config.TrainConfig`'s order.
Python reads the file here, at import and without a JVM; the Java side reads the same file from
its jar (``djlbridge.SettingsSpec``, which Gradle copies it into). A check is written
once per language: :meth:`TrainConfig.validate` in Python, ``SettingsSpec.check`` in Java.

The checks (``check`` in the file): ``choice`` (one of ``choices``; the model's are the model
kinds, :data:`djl_bridge.reference.kinds.NAMES`), ``count`` (a whole number > 0 that fits a Java
``int``), ``positive`` (a finite number > 0), ``switch`` (True or False), ``path`` (a path, or
None), ``integer`` (a whole number that fits a Java ``int``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .reference.kinds import NAMES as MODELS  # the model kinds are defined once: reference/kinds.py

#: The file both languages read.
SPEC_FILE = Path(__file__).with_name("settings.json")
#: The checks a setting can have.
CHECKS = ("choice", "count", "positive", "switch", "path", "integer")
#: What ``choices`` says for the model: the model kinds, which are code in each language.
MODEL_KINDS = "model kinds"
#: The largest Java ``int``: every count and integer setting is an ``int`` on the Java side.
JAVA_INT_MAX = 2**31 - 1


@dataclass(frozen=True)
class Setting:
    """One setting of ``settings.json``."""

    name: str
    check: str
    default: Any
    #: The allowed values of a ``choice``; empty for the other checks.
    choices: tuple[str, ...] = ()
    #: The ``TrainSettings.Builder`` setter that takes it; None where Java has no such setting.
    java: Optional[str] = None


def _read(path: Path) -> tuple[Setting, ...]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for entry in spec["settings"]:
        choices = entry.get("choices", ())
        if choices == MODEL_KINDS:
            choices = MODELS
        setting = Setting(entry["name"], entry["check"], entry["default"], tuple(choices),
                          entry.get("java"))
        if setting.check not in CHECKS or (setting.check == "choice") != bool(setting.choices):
            raise ValueError(f"{path}: setting {setting.name!r} has check {setting.check!r} "
                             f"and choices {setting.choices!r}")
        out.append(setting)
    return tuple(out)


#: Every setting, in TrainConfig's order.
SETTINGS: tuple[Setting, ...] = _read(SPEC_FILE)
#: Each setting's default by name.
DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}


def setting(name: str) -> Setting:
    """The setting called ``name``; KeyError for another name."""
    for s in SETTINGS:
        if s.name == name:
            return s
    raise KeyError(name)


def checked(check: str) -> tuple[Setting, ...]:
    """The settings that have the check ``check``, in TrainConfig's order."""
    return tuple(s for s in SETTINGS if s.check == check)
