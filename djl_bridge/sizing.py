"""The memory a model of a :class:`~djl_bridge.config.TrainConfig` needs, from its settings
alone, checked before any JVM starts: a model whose parameters do not fit a checkpoint's
parameter file (the reader's limit: the largest Java ``byte[]``), or whose training cannot fit
this machine's memory, is refused in one line naming the setting to lower. Without the check
``--layers 2147483647`` built layers for minutes at gigabytes, deaf to a stop, and
``--hidden 30000 --layers 3`` was killed by the kernel at 22 GB without a word.

The training estimate is a lower bound (a run needs at least this much): the parameters three
times (the values, their gradients, the last good copy ``LastGoodParameters`` keeps), and per
batch each token's gate values and state in every layer and direction, its one-hot input, its
logits and their gradient, all float32."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .errors import ConfigError
from .reference.kinds import kind, parameter_count

#: A ``config.TrainConfig`` and a ``config.Names`` (not imported: config calls this module).
TrainConfig = Any
Names = Any

#: The most tokens a character vocabulary holds: 26 letters, the space and ``<unk>`` (the
#: reader keeps letters only, any text).
VOCAB_MAX = 28
#: The largest parameter file, in bytes: :data:`djl_bridge.checkpoint.layout.PARAMS_MAX_BYTES`.
PARAMS_MAX_BYTES = 2**31 - 1 - 8
GIB = 1 << 30


@dataclass(frozen=True)
class Estimate:
    """The numbers of one config: its parameters, and the bytes training takes at least."""

    parameters: int
    parameter_bytes: int
    activation_bytes: int

    @property
    def training_bytes(self) -> int:
        """Three copies of the parameters and one batch's activations."""
        return 3 * self.parameter_bytes + self.activation_bytes


def estimate(config: TrainConfig) -> Estimate:
    """The memory of ``config``'s model (its settings already checked one by one)."""
    params = parameter_count(config.model, config.impl, VOCAB_MAX, config.hidden, config.layers,
                             config.bidirectional)
    k = kind(config.model)
    dirs = 2 if config.bidirectional else 1
    per_token = config.layers * dirs * config.hidden * (k.gates + k.states) + 3 * VOCAB_MAX
    return Estimate(params, 4 * params, 4 * config.batch_size * config.num_steps * per_token)


def machine_memory() -> Optional[int]:
    """This machine's memory in bytes, or the control group's limit where lower; None where
    neither can be read."""
    found: list[int] = []
    try:
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (OSError, ValueError, AttributeError):
        pass
    for limit in (Path("/sys/fs/cgroup/memory.max"),
                  Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")):
        try:
            text = limit.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            found.append(int(text))
    return min(found) if found else None


def check_saveable(config: TrainConfig, names: Names) -> None:
    """Raises :class:`ConfigError` when ``config``'s model cannot be saved: its parameters over
    :data:`PARAMS_MAX_BYTES` (part of :meth:`TrainConfig.validate`, so a checkpoint of such a
    model is refused by its reader too)."""
    est = estimate(config)
    if est.parameter_bytes + _file_overhead(config, est.parameter_bytes) > PARAMS_MAX_BYTES:
        raise ConfigError(
            f"the model ({config.describe()}) has {est.parameters:,} parameters, "
            f"{_gib(est.parameter_bytes)} as float32: more than a checkpoint's parameter file "
            f"holds (2 GiB): lower {_model_culprit(config, names, PARAMS_MAX_BYTES // 4)}")


def check_trainable(config: TrainConfig, names: Names, memory: Optional[int] = None) -> None:
    """Raises :class:`ConfigError` when training ``config`` cannot fit ``memory`` bytes
    (default: this machine's, :func:`machine_memory`), naming the setting to lower; checked
    when a run is prepared, before the JVM starts."""
    est = estimate(config)
    memory = machine_memory() if memory is None else memory
    if memory is None or est.training_bytes <= memory:
        return
    if est.activation_bytes > 3 * est.parameter_bytes:
        lower = f"{names('batch_size')} or {names('num_steps')}"
    else:
        lower = _model_culprit(config, names, memory // 12)
    raise ConfigError(
        f"training the model ({config.describe()}, batch {config.batch_size} x "
        f"{config.num_steps} steps) needs at least {_gib(est.training_bytes)}, more than this "
        f"machine's memory ({_gib(memory)}): lower {lower}")


def _model_culprit(config: TrainConfig, names: Names, max_params: int) -> str:
    """The setting to lower first: ``layers`` when one layer of the model would fit, else
    ``hidden`` (with ``layers`` too when there are several)."""
    if config.layers > 1 and parameter_count(config.model, config.impl, VOCAB_MAX, config.hidden,
                                             1, config.bidirectional) <= max_params:
        return f"{names('layers')} (or {names('hidden')})"
    if config.layers > 1:
        return f"{names('hidden')} (or {names('layers')})"
    return names("hidden")


def _file_overhead(config: TrainConfig, numbers: int) -> int:
    """The most a parameter file adds to its ``numbers`` bytes (``layout.params_size_range``,
    with room): a header per array (DJL's block format, or an NPZ entry with its ``.npy``
    header), and for the NPZ what deflating random floats may add (0.1%)."""
    k = kind(config.model)
    dirs = 2 if config.bidirectional else 1
    arrays = (3 * k.gates if config.impl == "scratch" else 4 * dirs) * config.layers + 2
    deflate = numbers // 1000 if config.impl == "scratch" else 0
    return 4096 + 2048 * arrays + deflate


def _gib(size: int) -> str:
    return f"{size / GIB:,.1f} GiB"
