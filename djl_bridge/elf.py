"""ELF files read as bytes, never loaded: the one ELF reader of djl_bridge.

* :class:`Header` and :func:`shared_library_problem`: whether a file is a shared library this
  machine can load (the JVM's ``libjvm.so``, the ``libmxnet.so`` of ``MXNET_LIBRARY_PATH``).
* :func:`sections` and :func:`needed_libraries`: the section table and the ``DT_NEEDED`` entries
  of a 64-bit little-endian library (what the GPU code reads from MXNet's natives; the CUDA fat
  binaries inside a section are the GPU code's own business, in ``gpu.libmxnet``).
"""
from __future__ import annotations

import mmap
import platform
import struct
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAGIC = b"\x7fELF"
#: The identification and the fields up to ``e_machine``: what :class:`Header` reads.
HEADER_BYTES = 20
#: ``e_type`` of a shared object.
ET_DYN = 3
#: The ``d_tag`` of a needed library in the dynamic section; 0 ends the section.
DT_NEEDED = 1

_MACHINES = {"x86_64": 62, "amd64": 62, "aarch64": 183, "arm64": 183, "ppc64le": 21,
             "s390x": 22}


@dataclass(frozen=True)
class Header:
    """The start of an ELF header: word size, byte order, file type and CPU."""

    #: 32 or 64 (``EI_CLASS``).
    bits: int
    #: ``"little"`` or ``"big"`` (``EI_DATA``).
    byteorder: str
    #: ``e_type``: :data:`ET_DYN` for a shared library.
    type: int
    #: ``e_machine``: 62 for x86-64, 183 for AArch64.
    machine: int

    @classmethod
    def parse(cls, head: bytes) -> "Header":
        """Reads the first :data:`HEADER_BYTES` bytes of a file; :class:`ValueError` saying what
        the file is instead when they are not an ELF header."""
        if head[:4] != MAGIC:
            raise ValueError("not an ELF shared library")
        if len(head) < HEADER_BYTES:
            raise ValueError("a truncated ELF file")
        order = "little" if head[5] == 1 else "big"
        return cls(bits=64 if head[4] == 2 else 32, byteorder=order,
                   type=int.from_bytes(head[16:18], order),
                   machine=int.from_bytes(head[18:20], order))


def shared_library_problem(path: Path) -> str:
    """Empty when ``path`` is a readable ELF shared library for this machine (checked on Linux
    only), else what it is instead, e.g. ``not an ELF shared library``."""
    try:
        with path.open("rb") as fh:
            head = fh.read(HEADER_BYTES)
    except OSError as exc:
        return f"not readable: {exc.strerror or exc}"
    if not sys.platform.startswith("linux"):
        return ""
    try:
        header = Header.parse(head)
    except ValueError as exc:
        return str(exc)
    if header.type != ET_DYN:
        return "an ELF file but not a shared library"
    if header.bits != (64 if sys.maxsize > 2**32 else 32):
        return f"a {header.bits}-bit library, this Python is not {header.bits}-bit"
    expected = _MACHINES.get(platform.machine().lower())
    if expected is not None and header.machine != expected:
        return f"built for another CPU (ELF machine {header.machine}), not {platform.machine()}"
    return ""


@contextmanager
def mapped(path: Path) -> Iterator[mmap.mmap]:
    """The bytes of ``path``, mapped read-only for as long as the ``with`` block runs."""
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield data


def sections(data: mmap.mmap) -> dict[str, tuple[int, int, int]]:
    """Section name -> (type, file offset, size) of a 64-bit little-endian ELF file; raises
    :class:`ValueError` for any other file (:class:`struct.error` when it is cut short)."""
    try:
        header = Header.parse(bytes(data[:HEADER_BYTES]))
    except ValueError:
        header = None
    if header is None or (header.bits, header.byteorder) != (64, "little"):
        raise ValueError("not a 64-bit little-endian ELF library")
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    entsize, count, strndx = struct.unpack_from("<HHH", data, 0x3A)

    def entry(i: int) -> tuple[int, ...]:
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * entsize)

    names_at = entry(strndx)[4]
    found = {}
    for i in range(count):
        h = entry(i)
        found[_string(data, names_at + h[0])] = (h[1], h[4], h[5])
    return found


def needed_libraries(library: Path) -> list[str]:
    """The DT_NEEDED entries (sonames) of an ELF shared library, as ``readelf -d`` lists them."""
    with mapped(library) as data:
        table = sections(data)
        if ".dynamic" not in table or ".dynstr" not in table:
            return []
        _, dyn_at, dyn_size = table[".dynamic"]
        _, str_at, _ = table[".dynstr"]
        needed = []
        for pos in range(dyn_at, dyn_at + dyn_size, 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == 0:
                break
            if tag == DT_NEEDED:
                needed.append(_string(data, str_at + value, errors="strict"))
        return needed


def _string(data: mmap.mmap, start: int, errors: str = "replace") -> str:
    """The NUL-terminated string at ``start`` of a string table."""
    return bytes(data[start:data.find(b"\0", start)]).decode(errors=errors)
