"""The MXNet natives a run would load, and which GPUs they have code for: the CPU build of the
Gradle classpath, the CUDA 11.2 build of the PyPI wheel ``mxnet-cu112`` (the ``cuda11`` extra)
with the CUDA libraries of the ``nvidia-*-cu11`` wheels, or the library ``MXNET_LIBRARY_PATH``
names. A CUDA build's GPU architectures are read from the library itself: the cubins and PTX of
the fat binaries in its ``.nv_fatbin`` section (the ELF sections by :mod:`djl_bridge.elf`).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from .. import elf
from ..paths import check_path
from .driver import Capability

#: The MXNet release DJL 0.36 runs.
MXNET_VERSION = "1.9.1"
#: The PyPI wheel of MXNet's CUDA 11.2 build, pulled by ``pip install 'djl-bridge[cuda11]'``.
CUDA_WHEEL = "mxnet-cu112"
#: The install command of the GPU natives.
EXTRA_INSTALL = "pip install 'djl-bridge[cuda11]'"

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

FATBIN_MAGIC = 0xBA55ED50


def fatbin_archs(library: Path) -> tuple[tuple[Capability, ...], tuple[Capability, ...]]:
    """The GPU architectures compiled into a CUDA library: (cubin archs, PTX archs), read from
    the fat binaries in its ``.nv_fatbin`` section (each: a 16-byte header, then entries whose
    header holds the kind, 1 = PTX and 2 = cubin, at byte 0 and the architecture at byte 28)."""
    sass: set[Capability] = set()
    ptx: set[Capability] = set()
    with elf.mapped(library) as data:
        sections = elf.sections(data)
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
    needed = elf.needed_libraries(library)
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


#: Set by :func:`note_prepared` when djl_bridge, not the user, set MXNET_LIBRARY_PATH.
_PREPARED: dict[str, str] = {}


def note_prepared(library: Path) -> None:
    """Remembers that djl_bridge itself set ``MXNET_LIBRARY_PATH`` to ``library`` (the cuda11
    extra's), so that it is not taken for the user's."""
    _PREPARED["MXNET_LIBRARY_PATH"] = str(library)


def prepared_value() -> Optional[str]:
    """The ``MXNET_LIBRARY_PATH`` djl_bridge set (:func:`note_prepared`); None when it set none."""
    return _PREPARED.get("MXNET_LIBRARY_PATH")


def user_library() -> Optional[Path]:
    """The libmxnet.so the user named in ``MXNET_LIBRARY_PATH`` (not one djl_bridge set)."""
    value = os.environ.get("MXNET_LIBRARY_PATH")
    if not value or prepared_value() == value:
        return None
    path = check_path(value, "MXNET_LIBRARY_PATH")  # a name too long is one line, not OSError
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
