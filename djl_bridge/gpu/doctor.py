"""The GPU rows of ``djl-bridge doctor``: the driver and each GPU, the CUDA libraries of the
``cuda11`` extra, and what ``--device auto`` and ``--device gpu`` will do on this machine.
"""
from __future__ import annotations

from ..errors import ConfigError
from . import driver, libmxnet
from .device import choose_device
from .libmxnet import CU112_NATIVES_PROBE, EXTRA_INSTALL, MXNET_VERSION, find_cuda_libraries


def doctor_lines() -> list[tuple[str, bool, str]]:
    """``(name, ok, detail)`` rows for ``djl-bridge doctor``: the driver and each GPU, the CUDA
    libraries of the extra, and what ``--device auto`` / ``gpu`` will do. Only the CUDA natives
    missing a library of their own are a failure; no GPU is a fact, not a fault."""
    inv = driver.inventory()
    natives = libmxnet.find_natives()
    rows: list[tuple[str, bool, str]] = []
    if not inv.has_driver:
        rows.append(("nvidia", True, f"{inv.error}; training runs on the CPU"))
    else:
        cuda = f", CUDA {inv.cuda_driver} driver API" if inv.cuda_driver else ""
        rows.append(("nvidia", True, f"driver {inv.driver or 'unknown'}{cuda} ({inv.source}), "
                                     f"{len(inv.gpus)} GPU(s)"))
        for g in inv.gpus:
            probe = natives if natives.is_cuda else CU112_NATIVES_PROBE
            if probe.runs_on(g.capability):
                verdict = ("the CUDA natives have kernels for it" if natives.is_cuda
                           else f"MXNet's CUDA 11.2 build runs on it: {EXTRA_INSTALL}")
            else:
                verdict = (f"no MXNet {MXNET_VERSION} kernels for it (they cover "
                           f"{probe.range_text()}): use --device cpu")
            rows.append((f"gpu {g.index}", True, f"{g.name}, compute capability "
                                                 f"{g.capability_text}: {verdict}"))
    if natives.is_cuda:
        dirs = natives.lib_dirs
        libs = find_cuda_libraries(dirs)
        have = [s for s, p in libs.items() if p is not None]
        lacking = [s for s, p in libs.items() if p is None]
        where = str(dirs[0].parent.parent) if dirs else "site-packages/nvidia"
        detail = (f"{natives.name}: {natives.arch_text()}; CUDA libraries found in {where}: "
                  f"{len(have)} of {len(libs)} ({', '.join(have) or 'none'})")
        if lacking:
            rows.append(("cuda libs", False, f"{detail}; missing {', '.join(lacking)}: run "
                                             f"{EXTRA_INSTALL}"))
        else:
            rows.append(("cuda libs", True, detail))
    else:
        rows.append(("cuda libs", True, f"{natives.name}; none needed ({EXTRA_INSTALL} adds "
                                        "MXNet's CUDA 11.2 build for GPUs of compute capability "
                                        "5.0-8.x)"))
    try:
        decision = choose_device("auto", inv, natives)
        auto = f"--device auto trains on the {decision.device.upper()}"
        if decision.note:
            auto += f" ({decision.note})"
    except ConfigError as exc:  # auto never refuses; kept for safety
        auto = str(exc)
    try:
        choose_device("gpu", inv, natives)
        gpu_text = "--device gpu is possible"
    except ConfigError as exc:
        gpu_text = f"--device gpu will be refused ({str(exc)[len('--device gpu: '):]})"
    rows.append(("device", True, f"{auto}; {gpu_text}"))
    return rows
