"""GPUs: what the machine has, what the MXNet natives can run, and which device a run gets.

Everything here works before (and without) the JVM:

* :func:`inventory` asks the NVIDIA driver through NVML (``libnvidia-ml.so.1``, or the CUDA
  driver ``libcuda.so.1`` when NVML is missing) for each GPU's name and compute capability.
* :func:`find_natives` describes the MXNet natives a run would use: the CPU build from the
  Gradle classpath, the CUDA 11.2 build of the PyPI wheel ``mxnet-cu112`` (the ``cuda11``
  extra), or the library ``MXNET_LIBRARY_PATH`` names. The GPU architectures of a CUDA build are
  read from the library itself (the cubins in its ``.nv_fatbin`` section).
* :func:`choose_device` is the decision, a plain function of those facts: ``auto`` never picks
  a GPU the natives cannot run, ``gpu`` is refused with one line naming the reason.
* :func:`prepare_natives` (before the JVM starts) and :func:`java_child_env` (for a plain
  ``java`` child) point DJL at the wheel's ``libmxnet.so`` and its CUDA libraries when, and only
  when, the machine has a GPU they run on.
"""
from __future__ import annotations

import ctypes
import importlib.metadata
import importlib.util
import mmap
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional, Sequence

from .errors import ConfigError, NativeLibraryError

#: The MXNet release DJL 0.36 runs.
MXNET_VERSION = "1.9.1"
#: The PyPI wheel of MXNet's CUDA 11.2 build, pulled by ``pip install 'djl-bridge[cuda11]'``.
CUDA_WHEEL = "mxnet-cu112"
#: The install command of the GPU natives.
EXTRA_INSTALL = "pip install 'djl-bridge[cuda11]'"
#: The lowest Linux driver that runs CUDA 11.x programs (CUDA's minor version compatibility).
MIN_DRIVER_CUDA11 = (450, 80, 2)

#: The CUDA libraries the wheel's libmxnet.so needs, in an order that loads each one after the
#: libraries it depends on (libcublas needs libcublasLt; libcusolver needs libcublas(Lt)).
#: ``libcuda.so.1`` is the driver's and is not listed: it comes with the NVIDIA driver.
CUDA_SONAMES = (
    "libcudart.so.11.0",
    "libnvToolsExt.so.1",
    "libnvrtc.so.11.2",
    "libcublasLt.so.11",
    "libcublas.so.11",
    "libcufft.so.10",
    "libcurand.so.10",
    "libcusolver.so.11",
    "libcudnn.so.8",
    "libnccl.so.2",
)

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


@dataclass(frozen=True)
class Natives:
    """The MXNet native library a run loads, and which GPUs it has code for.

    ``sass`` lists the architectures with compiled kernels (cubins), ``ptx`` those with PTX the
    driver can compile for newer GPUs; both empty for a CPU build (``cuda`` is ``None``).
    """

    name: str
    library: Optional[Path] = None
    cuda: Optional[str] = None
    sass: tuple[Capability, ...] = ()
    ptx: tuple[Capability, ...] = ()
    missing: tuple[str, ...] = ()
    lib_dirs: tuple[Path, ...] = ()

    @property
    def is_cuda(self) -> bool:
        """Whether this is a GPU build."""
        return self.cuda is not None

    def runs_on(self, capability: Capability) -> bool:
        """Whether the library has kernels a GPU of ``capability`` can run: a cubin built for
        X.y runs on X.z with z >= y (same major); PTX for X.y is compiled by the driver for any
        GPU of X.y or newer."""
        if any(major == capability[0] and minor <= capability[1] for major, minor in self.sass):
            return True
        return any(arch <= capability for arch in self.ptx)

    def range_text(self) -> str:
        """The capabilities the library runs on, e.g. ``"5.0-8.x"`` (``"none"`` for a CPU
        build)."""
        if not self.sass and not self.ptx:
            return "none"
        low = min(self.sass + self.ptx)
        if self.ptx:
            return f"{low[0]}.{low[1]} and newer"
        return f"{low[0]}.{low[1]}-{max(self.sass)[0]}.x"

    def arch_text(self) -> str:
        """``"sm_50, sm_60, sm_70, sm_80, sm_86; no PTX"``."""
        sass = ", ".join(f"sm_{a}{b}" for a, b in self.sass) or "no cubins"
        ptx = ("PTX " + ", ".join(f"compute_{a}{b}" for a, b in self.ptx)) if self.ptx else "no PTX"
        return f"{sass}; {ptx}"


#: The natives the Gradle build puts on the classpath (``mxnet-native-mkl``): CPU only.
CPU_NATIVES = Natives(name=f"MXNet {MXNET_VERSION} CPU natives (mxnet-native-mkl jar)")

#: What DJL's documentation and the wheel's .nv_fatbin section (read 2026-11-29: 198 fatbins, one
#: cubin each for sm_50, sm_60, sm_70, sm_80, sm_86, no PTX) say about mxnet-cu112 1.9.1; used
#: when the library cannot be read.
CU112_ARCHS: tuple[Capability, ...] = ((5, 0), (6, 0), (7, 0), (8, 0), (8, 6))

#: The CUDA build a machine could install: the hardware check when the natives are CPU-only (a GPU
#: the CUDA build cannot run either is reported as such, not as a missing install).
CU112_NATIVES_PROBE = Natives(name=f"MXNet {MXNET_VERSION} CUDA 11.2 natives (PyPI mxnet-cu112)",
                              cuda="11.2", sass=CU112_ARCHS)


@dataclass(frozen=True)
class Decision:
    """The device a run gets (``"cpu"`` or ``"gpu"``, or ``"auto"`` left to DJL when no GPU is
    there to decide about) and a one-line note for stderr when ``auto`` passed over a GPU."""

    device: str
    note: str = ""
    gpu: Optional[Gpu] = None


# --- the driver -------------------------------------------------------------------------------


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


# --- the natives ------------------------------------------------------------------------------


def _elf_sections(data: "mmap.mmap") -> dict[str, tuple[int, int, int]]:
    """Section name -> (type, file offset, size) of a 64-bit little-endian ELF file."""
    if data[:6] != b"\x7fELF\x02\x01":
        raise ValueError("not a 64-bit little-endian ELF library")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    entsize, count, strndx = struct.unpack_from("<HHH", data, 0x3A)

    def header(i: int) -> tuple[int, ...]:
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * entsize)

    names_at = header(strndx)[4]
    sections = {}
    for i in range(count):
        h = header(i)
        start = names_at + h[0]
        name = bytes(data[start:data.find(b"\0", start)]).decode(errors="replace")
        sections[name] = (h[1], h[4], h[5])
    return sections


def needed_libraries(library: Path) -> list[str]:
    """The DT_NEEDED entries (sonames) of an ELF shared library, as ``readelf -d`` lists them."""
    with library.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        sections = _elf_sections(data)
        if ".dynamic" not in sections or ".dynstr" not in sections:
            return []
        _, dyn_at, dyn_size = sections[".dynamic"]
        _, str_at, _ = sections[".dynstr"]
        needed = []
        for pos in range(dyn_at, dyn_at + dyn_size, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == 0:
                break
            if tag == 1:  # DT_NEEDED
                start = str_at + value
                needed.append(bytes(data[start:data.find(b"\0", start)]).decode())
        return needed


FATBIN_MAGIC = 0xBA55ED50


def fatbin_archs(library: Path) -> tuple[tuple[Capability, ...], tuple[Capability, ...]]:
    """The GPU architectures compiled into a CUDA library: (cubin archs, PTX archs), read from
    the fat binaries in its ``.nv_fatbin`` section (each: a 16-byte header, then entries whose
    header holds the kind, 1 = PTX and 2 = cubin, at byte 0 and the architecture at byte 28)."""
    sass: set[Capability] = set()
    ptx: set[Capability] = set()
    with library.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        sections = _elf_sections(data)
        if ".nv_fatbin" not in sections:
            return (), ()
        _, pos, size = sections[".nv_fatbin"]
        end = pos + size
        while pos + 16 <= end:
            magic, _version, header_size, fat_size = struct.unpack_from("<IHHQ", data, pos)
            if magic != FATBIN_MAGIC:
                pos += 8  # fat binaries are 8-byte aligned, padding in between
                continue
            entry, stop = pos + header_size, min(pos + header_size + fat_size, end)
            while entry + 32 <= stop:
                kind, _, entry_header, entry_size = struct.unpack_from("<HHIQ", data, entry)
                (arch,) = struct.unpack_from("<I", data, entry + 28)
                if entry_header == 0:
                    break
                cap = (arch // 10, arch % 10)
                (ptx if kind == 1 else sass).add(cap)
                entry += entry_header + entry_size
            pos = stop
    return tuple(sorted(sass)), tuple(sorted(ptx))


def wheel_library() -> Optional[Path]:
    """The ``libmxnet.so`` of the installed ``mxnet-cu112`` wheel (not imported), if any."""
    try:
        dist = importlib.metadata.distribution(CUDA_WHEEL)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file("mxnet/libmxnet.so")))
    return path if path.is_file() else None


def cuda_library_dirs() -> list[Path]:
    """The ``lib`` folders of the installed ``nvidia-*-cu11`` wheels (``site-packages/nvidia/*/lib``)."""
    try:
        spec = importlib.util.find_spec("nvidia")
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    dirs: list[Path] = []
    for root in spec.submodule_search_locations:
        for lib in sorted(Path(root).glob("*/lib")):
            if lib.is_dir() and lib not in dirs:
                dirs.append(lib)
    return dirs


def find_cuda_libraries(dirs: Sequence[Path]) -> dict[str, Optional[Path]]:
    """Each CUDA soname of :data:`CUDA_SONAMES` -> its file in ``dirs`` (``None`` if absent)."""
    found: dict[str, Optional[Path]] = {}
    for soname in CUDA_SONAMES:
        found[soname] = next((d / soname for d in dirs if (d / soname).is_file()), None)
    return found


def describe_library(library: Path, name: str, wheel: bool = False) -> Natives:
    """The facts of one libmxnet.so: a CUDA build when it links libcudart, with the architectures
    of its cubins and PTX. For the wheel (``wheel=True``) also the folders of the CUDA wheels and
    the CUDA libraries missing from them (a library named by the user finds its CUDA libraries
    through the loader, which is not checked here)."""
    needed = needed_libraries(library)
    cudart = [n for n in needed if n.startswith("libcudart.so")]
    if not cudart:
        return Natives(name=name, library=library)
    try:
        sass, ptx = fatbin_archs(library)
    except (OSError, ValueError, struct.error):
        sass, ptx = (CU112_ARCHS, ()) if wheel else ((), ())
    if not wheel:
        return Natives(name=name, library=library, cuda=cudart[0].split(".so.")[-1], sass=sass,
                       ptx=ptx)
    dirs = tuple(cuda_library_dirs())
    missing = tuple(s for s, path in find_cuda_libraries(dirs).items() if path is None)
    return Natives(name=name, library=library, cuda="11.2", sass=sass, ptx=ptx, missing=missing,
                   lib_dirs=dirs)


#: Set by :func:`prepare_natives` when it, not the user, set MXNET_LIBRARY_PATH.
_PREPARED: dict[str, str] = {}


def user_library() -> Optional[Path]:
    """The libmxnet.so the user named in ``MXNET_LIBRARY_PATH`` (not one this module set)."""
    value = os.environ.get("MXNET_LIBRARY_PATH")
    if not value or _PREPARED.get("MXNET_LIBRARY_PATH") == value:
        return None
    path = Path(value)
    return path / "libmxnet.so" if path.is_dir() else path


def find_natives() -> Natives:
    """The natives available to a run: the user's ``MXNET_LIBRARY_PATH`` first, then the
    ``mxnet-cu112`` wheel, else the CPU natives of the Gradle build."""
    custom = user_library()
    if custom is not None:
        if not custom.is_file():
            return Natives(name=f"MXNET_LIBRARY_PATH={custom} (missing)", library=custom)
        try:
            return describe_library(custom, f"MXNET_LIBRARY_PATH={custom}")
        except (OSError, ValueError, struct.error):
            return Natives(name=f"MXNET_LIBRARY_PATH={custom} (unreadable)", library=custom)
    wheel = wheel_library()
    if wheel is not None:
        try:
            return describe_library(wheel, f"MXNet {MXNET_VERSION} CUDA 11.2 natives "
                                           f"(PyPI {CUDA_WHEEL})", wheel=True)
        except (OSError, ValueError, struct.error):
            return Natives(name=f"PyPI {CUDA_WHEEL} ({wheel}, unreadable)", library=wheel)
    return CPU_NATIVES


# --- the decision -----------------------------------------------------------------------------


def _unsupported_reason(gpu: Gpu, natives: Natives) -> str:
    return (f"{gpu.name} (GPU {gpu.index}) is compute capability {gpu.capability_text}; MXNet "
            f"{MXNET_VERSION} runs on {natives.range_text()} ({natives.arch_text()})")


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
    return choose_device(requested, inventory(), find_natives())


# --- pointing DJL at the wheel ----------------------------------------------------------------


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
    user_set = user_library() is not None
    if not user_set and wheel_library() is None:
        return NativesPlan(reason="the cuda11 extra is not installed")  # no driver query
    plan = plan_natives(inventory(), find_natives(), user_set)
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
    _PREPARED["MXNET_LIBRARY_PATH"] = str(plan.library)
    return plan


def chosen_library() -> Optional[Path]:
    """The libmxnet.so :func:`prepare_natives` put in ``MXNET_LIBRARY_PATH`` (``None`` when it
    set nothing), so that an error loading it does not tell the user to unset a variable they
    never set."""
    value = _PREPARED.get("MXNET_LIBRARY_PATH")
    return Path(value) if value else None


def _child_plan(env: Mapping[str, str]) -> NativesPlan:
    prepared = _PREPARED.get("MXNET_LIBRARY_PATH")
    if env.get("MXNET_LIBRARY_PATH") and env.get("MXNET_LIBRARY_PATH") != prepared:
        return NativesPlan(reason="MXNET_LIBRARY_PATH is set by the user")
    if wheel_library() is None:
        return NativesPlan(reason="the cuda11 extra is not installed")
    return plan_natives(inventory(), find_natives(), False)


def java_child_env(base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment of a plain ``java`` child (``djlbridge.training.Main``) that should load the same
    natives as the bridge: ``MXNET_LIBRARY_PATH`` and ``LD_LIBRARY_PATH`` (the wheel folders
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


# --- doctor -----------------------------------------------------------------------------------


def doctor_lines() -> list[tuple[str, bool, str]]:
    """``(name, ok, detail)`` rows for ``djl-bridge doctor``: the driver and each GPU, the CUDA
    libraries of the extra, and what ``--device auto`` / ``gpu`` will do. Only the CUDA natives
    missing a library of their own are a failure; no GPU is a fact, not a fault."""
    inv = inventory()
    natives = find_natives()
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
