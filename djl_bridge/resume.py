"""The resume rule, the same for the CLI (``train --resume DIR``) and the Python API
(:func:`djl_bridge.run` with ``resume_from``, :func:`djl_bridge.resume`).

A setting given for a resumed run is never ignored, even when it equals its default:

- :data:`FIXED_ON_RESUME` define the model or the data; given, they must equal the checkpoint's
  (a contradiction is one :class:`ConfigError` naming both values);
- :data:`CHANGEABLE_ON_RESUME` only change the schedule; given, they are applied, and the plan
  lists each change ("--lr 0.5 -> 0.1") for the caller to show;
- ``data`` may point at the same text elsewhere (the vocabulary is checked against the
  checkpoint's when the run starts); ``verify_data=False`` is applied;
- ``epochs`` is the new total and must be above the epochs already done.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .config import API_NAMES, Names, TrainConfig
from .errors import ConfigError

if TYPE_CHECKING:  # the checkpoint package imports config only; no cycle at run time
    from .checkpoint import Checkpoint

#: Settings that define the model or the data: they must match the checkpoint.
FIXED_ON_RESUME = ("model", "impl", "hidden", "layers", "bidirectional", "batch_size",
                   "num_steps", "max_tokens", "random_iter", "seed")
#: Settings that only change the schedule: given ones are applied and reported.
CHANGEABLE_ON_RESUME = ("lr", "clip", "device", "hybridize", "epochs")
#: Every :class:`TrainConfig` field a resumed run may be given (besides ``data``/``verify_data``).
RESUME_FIELDS = FIXED_ON_RESUME + CHANGEABLE_ON_RESUME


@dataclass(frozen=True)
class ResumePlan:
    """How a checkpoint goes on: the config of the resumed run and what changed."""

    checkpoint: "Checkpoint"
    config: TrainConfig
    #: One entry per applied change, e.g. "--lr 0.5 -> 0.1" (spelled as the caller's names).
    changes: tuple[str, ...]

    def describe(self, extra: tuple[str, ...] = ()) -> str:
        """The line a resumed run starts with: "resuming DIR/epoch-000005 at epoch 5 of 10:
        --lr 0.5 -> 0.1"."""
        changes = self.changes + extra
        return (f"resuming {self.checkpoint.path} at epoch {self.checkpoint.epochs_done} of "
                f"{self.config.epochs}" + (": " + ", ".join(changes) if changes else ""))


def plan_resume(ckpt: "Checkpoint", given: Mapping[str, Any], names: Names = API_NAMES) -> ResumePlan:
    """The config that continues ``ckpt`` with the settings in ``given`` (field name -> value,
    only the ones the caller chose; ``data`` and ``verify_data`` may be among them). Raises
    :class:`ConfigError` for an unknown field, a model or data setting that contradicts the
    checkpoint, a bad value, or an ``epochs`` total that trains nothing."""
    unknown = sorted(set(given) - set(RESUME_FIELDS) - {"data", "verify_data"})
    if unknown:
        raise ConfigError(f"{names(unknown[0])} is not a setting of a resumed run: use the "
                          f"fields of TrainConfig ({', '.join(RESUME_FIELDS)}, data, verify_data)")
    saved = ckpt.config
    for name in FIXED_ON_RESUME:
        if name in given and given[name] != getattr(saved, name):
            raise ConfigError(
                f"{names.valued(name, given[name])} contradicts the checkpoint "
                f"({names.valued(name, getattr(saved, name))}): drop it to go on with {ckpt.path}, or "
                f"start a new run with another {names('checkpoint_dir', 'RunOptions')}")
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name in CHANGEABLE_ON_RESUME:
        if name in given and given[name] != getattr(saved, name):
            changes[name] = given[name]
            notes.append(names.change(name, getattr(saved, name), given[name]))
    data = given.get("data")
    if data is not None and Path(data).expanduser().resolve() != saved.data:
        changes["data"] = Path(data)  # the vocabulary is checked against the checkpoint's
        notes.append(f"{names('data')} {saved.data} -> {data}")
    if given.get("verify_data") is False:
        changes["verify_data"] = False
    config = dataclasses.replace(saved, **changes).validate(names)
    if config.epochs <= ckpt.epochs_done:
        told = f"{names('epochs')} {config.epochs}" if "epochs" in given else \
            f"its {names('epochs')} {config.epochs} (give a larger one)"
        raise ConfigError(
            f"the checkpoint {ckpt.path} already has {ckpt.epochs_done} epochs, so {told} "
            f"trains nothing: pass {names('epochs')} N with N > {ckpt.epochs_done}")
    return ResumePlan(ckpt, config, tuple(notes))


def given_by(config: TrainConfig) -> dict[str, Any]:
    """What a whole :class:`TrainConfig` gives a resumed run: every field it has, ``data`` only
    when set (None: the checkpoint's corpus)."""
    given = {name: getattr(config, name) for name in RESUME_FIELDS}
    if config.data is not None:
        given["data"] = config.data
    given["verify_data"] = config.verify_data
    return given
