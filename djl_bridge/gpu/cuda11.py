"""Pointing DJL at the ``cuda11`` extra: the ``mxnet-cu112`` wheel's ``libmxnet.so`` and the folders
of its CUDA libraries, when, and only when, the machine has a GPU they run on and the user named
no ``MXNET_LIBRARY_PATH``. :func:`prepare_natives` does it in this process before the JVM starts;
:func:`java_child_env` and :func:`java_child_options` do it for a plain ``java`` child.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from ..errors import ConfigError, NativeLibraryError
from . import driver, libmxnet
from .device import choose_device
from .driver import Inventory
from .libmxnet import CUDA_WHEEL, Natives, find_cuda_libraries


@dataclass(frozen=True)
class NativesPlan:
    """What to hand DJL: the wheel's libmxnet.so and the folders of its CUDA libraries, or
    nothing (DJL then loads the CPU natives from the classpath, or the user's
    ``MXNET_LIBRARY_PATH``)."""

    library: Optional[Path] = None
    lib_dirs: tuple[Path, ...] = ()
    reason: str = ""
    preload: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def jvm_options(self) -> tuple[str, ...]:
        """JVM options that let DJL count the GPUs: its ``CudaUtils`` loads ``cudart`` through
        JNA, which finds the wheel's versioned ``libcudart.so.11.0`` only in
        ``jna.library.path``."""
        if self.library is None:
            return ()
        return ("-Djna.library.path=" + os.pathsep.join(str(d) for d in self.lib_dirs),)


def plan_natives(inv: Inventory, natives: Natives, user_set: bool) -> NativesPlan:
    """Uses the wheel's CUDA natives only when the user did not set ``MXNET_LIBRARY_PATH`` and
    the machine has a GPU they run on with every CUDA library present; otherwise the CPU
    natives stay (they need no CUDA library and no driver)."""
    if user_set:
        return NativesPlan(reason="MXNET_LIBRARY_PATH is set by the user")
    if natives.library is None or not natives.is_cuda:
        return NativesPlan(reason="the cuda11 extra is not installed")
    try:
        choose_device("gpu", inv, natives)
    except ConfigError as exc:
        return NativesPlan(reason=str(exc)[len("--device gpu: "):])
    libs = find_cuda_libraries(natives.lib_dirs)
    preload = tuple(path for path in libs.values() if path is not None)
    return NativesPlan(natives.library, natives.lib_dirs, "", preload)


def prepare_natives() -> NativesPlan:
    """Before the JVM starts: when the ``cuda11`` extra is installed and the machine has a GPU
    it runs on, preloads the CUDA libraries (so libmxnet.so finds them without
    ``LD_LIBRARY_PATH``) and sets ``MXNET_LIBRARY_PATH`` to the wheel's libmxnet.so. Does
    nothing otherwise, and never overrides a ``MXNET_LIBRARY_PATH`` set by the user."""
    user_set = libmxnet.user_library() is not None
    if not user_set and libmxnet.wheel_library() is None:
        return NativesPlan(reason="the cuda11 extra is not installed")  # no driver query
    plan = plan_natives(driver.inventory(), libmxnet.find_natives(), user_set)
    if plan.library is None:
        return plan
    for path in plan.preload:
        try:
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "unknown error"
            raise NativeLibraryError(
                f"the CUDA library {path} of the cuda11 extra does not load ({reason}): reinstall "
                f"it with pip install --force-reinstall 'djl-bridge[cuda11]', or pip uninstall "
                f"{CUDA_WHEEL} to train on the CPU natives") from None
    os.environ["MXNET_LIBRARY_PATH"] = str(plan.library)
    libmxnet.note_prepared(plan.library)
    return plan


def chosen_library() -> Optional[Path]:
    """The libmxnet.so :func:`prepare_natives` put in ``MXNET_LIBRARY_PATH`` (``None`` when it
    set nothing), so that an error loading it does not tell the user to unset a variable they
    never set."""
    value = libmxnet.prepared_value()
    return Path(value) if value else None


def java_child_env(base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment of a plain ``java`` child (the Java side's ``Main``) that should load the
    same natives as the bridge: ``MXNET_LIBRARY_PATH`` and ``LD_LIBRARY_PATH`` (the wheel folders
    first) when the CUDA natives apply, else ``base`` unchanged (default: ``os.environ``).
    Use it with :func:`java_child_options`."""
    env = dict(os.environ if base is None else base)
    plan = _child_plan(env)
    if plan.library is None:
        return env
    dirs = [str(d) for d in (plan.library.parent, *plan.lib_dirs)]
    old = env.get("LD_LIBRARY_PATH")
    env["LD_LIBRARY_PATH"] = os.pathsep.join(dirs + ([old] if old else []))
    env["MXNET_LIBRARY_PATH"] = str(plan.library)
    return env


def java_child_options(base: Optional[Mapping[str, str]] = None) -> list[str]:
    """The JVM options of that child, after ``jvm.JVM_OPTIONS`` (see
    :attr:`NativesPlan.jvm_options`); empty when the CPU natives apply."""
    return list(_child_plan(dict(os.environ if base is None else base)).jvm_options)


def _child_plan(env: Mapping[str, str]) -> NativesPlan:
    prepared = libmxnet.prepared_value()
    if env.get("MXNET_LIBRARY_PATH") and env.get("MXNET_LIBRARY_PATH") != prepared:
        return NativesPlan(reason="MXNET_LIBRARY_PATH is set by the user")
    if libmxnet.wheel_library() is None:
        return NativesPlan(reason="the cuda11 extra is not installed")
    return plan_natives(driver.inventory(), libmxnet.find_natives(), False)
