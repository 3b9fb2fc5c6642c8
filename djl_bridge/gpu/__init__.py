"""GPUs: what the machine has, what the MXNet natives can run, and which device a run gets.

Everything here works before (and without) the JVM. One topic a module; this package re-exports
what the rest of djl_bridge calls (``from .gpu import resolve_device``, ``gpu.prepare_natives()``):

* :mod:`.driver` -- :func:`inventory` asks the NVIDIA driver through NVML (``libnvidia-ml.so.1``,
  or the CUDA driver ``libcuda.so.1`` when NVML is missing) for each GPU's name and compute
  capability.
* :mod:`.libmxnet` -- :func:`find_natives` describes the MXNet natives a run would use: the CPU
  build from the Gradle classpath, the CUDA 11.2 build of the PyPI wheel ``mxnet-cu112`` (the
  ``cuda11`` extra), or the library ``MXNET_LIBRARY_PATH`` names. The GPU architectures of a CUDA
  build are read from the library itself (the cubins in its ``.nv_fatbin`` section).
* :mod:`.device` -- :func:`choose_device` is the decision, a plain function of those facts:
  ``auto`` never picks a GPU the natives cannot run, ``gpu`` is refused with one line naming the
  reason.
* :mod:`.cuda11` -- :func:`prepare_natives` (before the JVM starts) and :func:`java_child_env`
  (for a plain ``java`` child) point DJL at the wheel's ``libmxnet.so`` and its CUDA libraries
  when, and only when, the machine has a GPU they run on.
* :mod:`.doctor` -- the GPU rows of ``djl-bridge doctor``.

The ELF reading (sections, needed libraries) is :mod:`djl_bridge.elf`'s.
"""
from __future__ import annotations

from ..elf import needed_libraries
from .cuda11 import (
    NativesPlan,
    chosen_library,
    java_child_env,
    java_child_options,
    plan_natives,
    prepare_natives,
)
from .device import MIN_DRIVER_CUDA11, Decision, choose_device, resolve_device
from .doctor import doctor_lines
from .driver import Capability, Gpu, Inventory, inventory, visible
from .libmxnet import (
    CPU_NATIVES,
    CU112_ARCHS,
    CU112_NATIVES_PROBE,
    CUDA_SONAMES,
    CUDA_WHEEL,
    EXTRA_INSTALL,
    FATBIN_MAGIC,
    MXNET_VERSION,
    Natives,
    cuda_library_dirs,
    describe_library,
    fatbin_archs,
    find_cuda_libraries,
    find_natives,
    user_library,
    wheel_library,
)
