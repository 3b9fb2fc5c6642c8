"""The device a run gets, decided before (and without) the JVM from the machine's GPUs and the
natives' GPU code: ``cpu`` always, ``auto`` never a GPU the natives cannot run (with a one-line
note when it passes one over), ``gpu`` refused in one line naming the reason and the fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import ConfigError
from . import driver, libmxnet
from .driver import Gpu, Inventory
from .libmxnet import CU112_NATIVES_PROBE, EXTRA_INSTALL, MXNET_VERSION, Natives

#: The lowest Linux driver that runs CUDA 11.x programs (CUDA's minor version compatibility).
MIN_DRIVER_CUDA11 = (450, 80, 2)


@dataclass(frozen=True)
class Decision:
    """The device a run gets (``"cpu"`` or ``"gpu"``, or ``"auto"`` left to DJL when no GPU is
    there to decide about) and a one-line note for stderr when ``auto`` passed over a GPU."""

    device: str
    note: str = ""
    gpu: Optional[Gpu] = None


def choose_device(requested: str, inv: Inventory, natives: Natives) -> Decision:
    """Decides the device of a run from the machine's GPUs and the natives' architectures.

    ``cpu`` is always granted. ``auto`` takes the GPU when the natives run on every visible GPU
    and otherwise the CPU, with a one-line note when a GPU was passed over. ``gpu`` gets the GPU
    under the same conditions, else :class:`ConfigError` with one line naming the reason.
    """
    if requested == "cpu":
        return Decision("cpu")
    if requested not in ("auto", "gpu"):
        raise ConfigError(f"unknown device {requested!r}: use one of auto, cpu, gpu")
    fallback = "use --device cpu"

    def no(reason: str, fix: str, note: str) -> Decision:
        if requested == "gpu":
            raise ConfigError(f"--device gpu: {reason}: {fix}")
        return Decision("cpu", note)

    if not inv.has_driver:
        return no(str(inv.error), "run on a machine with an NVIDIA GPU and its driver, or "
                                  + fallback, "")
    if not inv.gpus:
        return no("the NVIDIA driver lists no GPU (check CUDA_VISIBLE_DEVICES)", fallback, "")
    # The hardware first: a GPU that MXNet 1.9.1 has no kernels for is not helped by an install.
    probe = natives if natives.is_cuda else CU112_NATIVES_PROBE
    unsupported = [g for g in inv.gpus if not probe.runs_on(g.capability)]
    if len(unsupported) == len(inv.gpus):
        reason = _unsupported_reason(unsupported[0], probe)
        return no(reason, fallback, f"{reason}: training on the CPU")
    first = next(g for g in inv.gpus if g not in unsupported)
    if not natives.is_cuda:
        # A library the user named wins over the wheel, so the fix then starts with unsetting it.
        install = (f"unset MXNET_LIBRARY_PATH and run {EXTRA_INSTALL}" if natives.library
                   else f"run {EXTRA_INSTALL}")
        return no(f"the MXNet natives in use are CPU-only ({natives.name}), so {first.label()} "
                  "cannot be used", f"{install}, or {fallback}",
                  f"{first.label()} is not used because the MXNet natives are CPU-only "
                  f"({install} for the CUDA 11.2 build): training on the CPU")
    if unsupported:
        usable = ",".join(str(g.index) for g in inv.gpus if g not in unsupported)
        reason = _unsupported_reason(unsupported[0], natives)
        return no(reason, f"set CUDA_VISIBLE_DEVICES={usable} to use the others, or {fallback}",
                  f"{reason}; set CUDA_VISIBLE_DEVICES={usable} to train on the others: "
                  "training on the CPU")
    if natives.missing:
        reason = (f"the CUDA libraries {', '.join(natives.missing)} that {natives.name} needs "
                  "are not installed")
        return no(reason, f"run {EXTRA_INSTALL}, or {fallback}", f"{reason}: training on the CPU")
    version = inv.driver_version()
    if version is not None and version < MIN_DRIVER_CUDA11:
        reason = (f"the NVIDIA driver {inv.driver} is older than 450.80.02, the oldest that runs "
                  "CUDA 11")
        return no(reason, f"update the driver, or {fallback}", f"{reason}: training on the CPU")
    return Decision("gpu", "", inv.gpus[0])


def resolve_device(requested: str) -> Decision:
    """:func:`choose_device` on this machine's facts; ``cpu`` costs no driver query."""
    if requested == "cpu":
        return Decision("cpu")
    return choose_device(requested, driver.inventory(), libmxnet.find_natives())


def _unsupported_reason(gpu: Gpu, natives: Natives) -> str:
    return (f"{gpu.name} (GPU {gpu.index}) is compute capability {gpu.capability_text}; MXNet "
            f"{MXNET_VERSION} runs on {natives.range_text()} ({natives.arch_text()})")
