"""The GPUs of this machine as the NVIDIA driver reports them: NVML (``libnvidia-ml.so.1``), or
the CUDA driver API (``libcuda.so.1``) where NVML is missing, seen through
``CUDA_VISIBLE_DEVICES``. Loads no CUDA runtime and needs no JVM.
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from typing import Optional, Sequence

#: A compute capability, ``(8, 6)``.
Capability = tuple[int, int]


@dataclass(frozen=True)
class Gpu:
    """One GPU as the driver reports it."""

    index: int
    name: str
    capability: Capability

    @property
    def capability_text(self) -> str:
        """``"8.6"``."""
        return f"{self.capability[0]}.{self.capability[1]}"

    def label(self) -> str:
        """``"GPU 0 (NVIDIA A100-SXM4-40GB, compute capability 8.0)"``."""
        return f"GPU {self.index} ({self.name}, compute capability {self.capability_text})"


@dataclass(frozen=True)
class Inventory:
    """The GPUs of this machine; ``error`` says why none could be listed (no driver)."""

    gpus: tuple[Gpu, ...] = ()
    driver: Optional[str] = None
    cuda_driver: Optional[str] = None
    error: Optional[str] = None
    source: str = ""

    @property
    def has_driver(self) -> bool:
        """Whether an NVIDIA driver answered."""
        return self.error is None

    def driver_version(self) -> Optional[tuple[int, ...]]:
        """The driver version as numbers, ``(550, 54, 15)``; ``None`` when unknown."""
        if not self.driver:
            return None
        try:
            return tuple(int(part) for part in self.driver.split("."))
        except ValueError:
            return None


def inventory() -> Inventory:
    """Lists the NVIDIA GPUs through the driver (NVML, else libcuda); ``error`` is set when no
    driver can be loaded or it fails. ``CUDA_VISIBLE_DEVICES`` is honoured when it lists
    indices."""
    nvml, _ = _load(("libnvidia-ml.so.1", "libnvidia-ml.so"))
    found: Optional[Inventory] = None
    failure = ""
    if nvml is not None:
        try:
            found = _nvml_inventory(nvml)
        except (OSError, AttributeError) as exc:
            failure = f"NVML: {exc}"
    if found is None:
        cuda, _ = _load(("libcuda.so.1",))
        if cuda is None:
            reason = failure or "libnvidia-ml.so.1 and libcuda.so.1 cannot be loaded"
            return Inventory(error=f"no NVIDIA driver ({reason})")
        try:
            found = _cuda_inventory(cuda)
        except (OSError, AttributeError) as exc:
            return Inventory(error=f"the NVIDIA driver does not answer ({failure or exc})")
    return visible(found, os.environ.get("CUDA_VISIBLE_DEVICES"))


def visible(found: Inventory, cuda_visible_devices: Optional[str]) -> Inventory:
    """The GPUs CUDA will show under ``CUDA_VISIBLE_DEVICES`` (a list of indices; UUIDs and
    other forms leave the list as it is)."""
    if cuda_visible_devices is None:
        return found
    text = cuda_visible_devices.strip()
    if text in ("", "-1"):
        return Inventory((), found.driver, found.cuda_driver, found.error, found.source)
    try:
        wanted = [int(part) for part in text.split(",")]
    except ValueError:
        return found
    by_index = {g.index: g for g in found.gpus}
    kept = []
    for index in wanted:
        if index not in by_index:
            break  # CUDA stops at the first invalid entry
        kept.append(by_index[index])
    renumbered = tuple(Gpu(i, g.name, g.capability) for i, g in enumerate(kept))
    return Inventory(renumbered, found.driver, found.cuda_driver, found.error, found.source)


def _load(names: Sequence[str]) -> tuple[Optional[ctypes.CDLL], str]:
    """The first of ``names`` that loads, or the loader's reason for the last failure."""
    reason = ""
    for name in names:
        try:
            return ctypes.CDLL(name), ""
        except OSError as exc:
            reason = str(exc)
    return None, reason


def _nvml_inventory(nvml: ctypes.CDLL) -> Inventory:
    def check(code: int, what: str) -> None:
        if code != 0:
            nvml.nvmlErrorString.restype = ctypes.c_char_p
            text = nvml.nvmlErrorString(code)
            raise OSError(f"{what}: {text.decode() if text else code}")

    init = getattr(nvml, "nvmlInit_v2", None) or nvml.nvmlInit
    check(init(), "nvmlInit")
    try:
        buf = ctypes.create_string_buffer(96)
        check(nvml.nvmlSystemGetDriverVersion(buf, ctypes.c_uint(96)), "nvmlSystemGetDriverVersion")
        driver = buf.value.decode()
        cuda_version = ctypes.c_int()
        cuda_text = None
        get_cuda = getattr(nvml, "nvmlSystemGetCudaDriverVersion_v2", None) \
            or getattr(nvml, "nvmlSystemGetCudaDriverVersion", None)
        if get_cuda is not None and get_cuda(ctypes.byref(cuda_version)) == 0:
            cuda_text = f"{cuda_version.value // 1000}.{cuda_version.value % 1000 // 10}"
        count = ctypes.c_uint()
        get_count = getattr(nvml, "nvmlDeviceGetCount_v2", None) or nvml.nvmlDeviceGetCount
        check(get_count(ctypes.byref(count)), "nvmlDeviceGetCount")
        get_handle = getattr(nvml, "nvmlDeviceGetHandleByIndex_v2", None) \
            or nvml.nvmlDeviceGetHandleByIndex
        gpus = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            check(get_handle(ctypes.c_uint(index), ctypes.byref(handle)), "nvmlDeviceGetHandleByIndex")
            name = ctypes.create_string_buffer(96)
            check(nvml.nvmlDeviceGetName(handle, name, ctypes.c_uint(96)), "nvmlDeviceGetName")
            major, minor = ctypes.c_int(), ctypes.c_int()
            check(nvml.nvmlDeviceGetCudaComputeCapability(handle, ctypes.byref(major),
                                                          ctypes.byref(minor)),
                  "nvmlDeviceGetCudaComputeCapability")
            gpus.append(Gpu(index, name.value.decode(errors="replace"), (major.value, minor.value)))
        return Inventory(tuple(gpus), driver, cuda_text, None, "NVML")
    finally:
        nvml.nvmlShutdown()


def _cuda_inventory(cuda: ctypes.CDLL) -> Inventory:
    """The same facts from the CUDA driver API, for a driver without NVML."""
    if cuda.cuInit(0) != 0:
        raise OSError("cuInit failed")
    version = ctypes.c_int()
    cuda.cuDriverGetVersion(ctypes.byref(version))
    count = ctypes.c_int()
    if cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        raise OSError("cuDeviceGetCount failed")
    gpus = []
    for index in range(count.value):
        dev = ctypes.c_int()
        cuda.cuDeviceGet(ctypes.byref(dev), index)
        name = ctypes.create_string_buffer(96)
        cuda.cuDeviceGetName(name, 96, dev)
        major, minor = ctypes.c_int(), ctypes.c_int()
        cuda.cuDeviceGetAttribute(ctypes.byref(major), 75, dev)  # COMPUTE_CAPABILITY_MAJOR
        cuda.cuDeviceGetAttribute(ctypes.byref(minor), 76, dev)  # COMPUTE_CAPABILITY_MINOR
        gpus.append(Gpu(index, name.value.decode(errors="replace"), (major.value, minor.value)))
    cuda_text = f"{version.value // 1000}.{version.value % 1000 // 10}"
    return Inventory(tuple(gpus), None, cuda_text, None, "libcuda")
