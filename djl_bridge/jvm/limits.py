"""The address space a run needs, checked against the process's limit (``ulimit -v``,
RLIMIT_AS) before the JVM starts. Past that point a limit too low has no good way to fail: a JVM
that cannot reserve its heap prints its own two lines and ends the process, libmxnet that cannot
be mapped reads as missing natives, and MXNet that cannot start a thread aborts the process
("terminate called without an active exception").

What a run reserves (virtual memory, not memory used), measured as the ``VmPeak`` of a tiny run
(Java 17, MXNet 1.9.1, 2 CPUs; ``tests/test_environment.py`` trains under exactly the sum):

* the JVM's reserved ranges: the heap (``-Xmx``, plus about 3% for the collector's tables), the
  compressed class space (``-XX:CompressedClassSpaceSize``, 1 GiB by default) and the code cache
  (``-XX:ReservedCodeCacheSize``, 240 MiB by default);
* :data:`NATIVE_MIB` for Python, numpy, libjvm, libmxnet and the threads' stacks;
* 64 MiB per malloc arena beyond the first: glibc gives threads that allocate at the same time
  arenas of their own, up to ``MALLOC_ARENA_MAX`` or 8 per CPU (14-15 arenas on 2 CPUs: 0.9 GiB).

The sum errs on the high side: a limit between what a run reserves and the sum is refused with
the fix, where a limit a little too low would crash the process at a random point. The default
start reserves 3,952-4,034 MiB on 2 CPUs (the sum: 4,078 MiB); ``MALLOC_ARENA_MAX=2`` and smaller
JVM ranges (:data:`SMALL_JVM_OPTIONS`) bring it to 1,141 MiB (the sum: 1,255 MiB).
"""
from __future__ import annotations

import os
import re
import resource
from dataclasses import dataclass
from typing import Optional, Sequence

from ..errors import ResourceError
from .threads import parse_count

MIB = 1 << 20
#: Python, numpy, libjvm, libmxnet, thread stacks: a tiny run's VmPeak with one malloc arena,
#: less the JVM's ranges (measured 701-734 MiB), with a margin.
NATIVE_MIB = 800
#: The address space glibc reserves per malloc arena on 64-bit machines.
ARENA_MIB = 64
#: The JVM's defaults for the ranges it reserves besides the heap.
CLASS_SPACE_MIB = 1024
CODE_CACHE_MIB = 240
#: The collector's tables, per MiB of heap (measured: 30 MiB for a 1 GiB heap).
HEAP_OVERHEAD = 0.03
#: JVM options that reserve less (with the tuned defaults' collector settings), for the fix.
SMALL_JVM_OPTIONS = ("-XX:+UseParallelGC", "-Xmn48m", "-Xmx256m",
                     "-XX:CompressedClassSpaceSize=64m", "-XX:ReservedCodeCacheSize=64m")
#: The malloc arenas the fix suggests.
SMALL_ARENAS = 2

_SIZE = re.compile(r"^(\d+)([kKmMgGtT]?)$")
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def address_space_limit() -> Optional[int]:
    """The soft RLIMIT_AS of this process in bytes; None when unlimited."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _size(text: str) -> Optional[int]:
    m = _SIZE.match(text)
    return int(m.group(1)) * _UNITS[m.group(2).lower()] if m else None


def _env_options(name: str) -> list[str]:
    return os.environ.get(name, "").split()


@dataclass(frozen=True)
class Reservation:
    """What a run reserves, in bytes."""

    heap: int
    class_space: int
    code_cache: int
    arenas: int

    @property
    def natives(self) -> int:
        return NATIVE_MIB * MIB + max(0, self.arenas - 1) * ARENA_MIB * MIB

    @property
    def total(self) -> int:
        return int(self.heap * (1 + HEAP_OVERHEAD)) + self.class_space + self.code_cache \
            + self.natives

    def describe(self) -> str:
        return (f"JVM heap {_mib(self.heap)}, class space {_mib(self.class_space)}, code cache "
                f"{_mib(self.code_cache)}, natives and {self.arenas} malloc arenas "
                f"{_mib(self.natives)}")


def reservation(options: Sequence[str], limit: Optional[int] = None,
                arenas: Optional[int] = None) -> Reservation:
    """What a run started with the JVM ``options`` reserves. The JVM reads
    ``JAVA_TOOL_OPTIONS`` before them and ``_JAVA_OPTIONS`` after them (the last one wins);
    without ``-Xmx`` its heap is a quarter of the memory, at most half of ``limit``."""
    heap: Optional[int] = None
    class_space, code_cache = CLASS_SPACE_MIB * MIB, CODE_CACHE_MIB * MIB
    for opt in [*_env_options("JAVA_TOOL_OPTIONS"), *options, *_env_options("_JAVA_OPTIONS")]:
        for prefix in ("-Xmx", "-XX:MaxHeapSize="):
            if opt.startswith(prefix):
                heap = _size(opt[len(prefix):]) or heap
        if opt.startswith("-XX:CompressedClassSpaceSize="):
            class_space = _size(opt.split("=", 1)[1]) or class_space
        elif opt in ("-XX:-UseCompressedClassPointers", "-XX:-UseCompressedOops"):
            class_space = 0
        elif opt.startswith("-XX:ReservedCodeCacheSize="):
            code_cache = _size(opt.split("=", 1)[1]) or code_cache
    if heap is None:
        heap = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
        if limit is not None:
            heap = min(heap, limit // 2)
    return Reservation(heap, class_space, code_cache,
                       arenas if arenas is not None else malloc_arenas())


def malloc_arenas() -> int:
    """The malloc arenas glibc may make: ``MALLOC_ARENA_MAX``, else 8 per online CPU."""
    value = parse_count(os.environ.get("MALLOC_ARENA_MAX", ""))
    if value is not None and value > 0:
        return value
    return 8 * (os.cpu_count() or 1)


def check_address_space(options: Sequence[str], source: str) -> None:
    """Raises :class:`ResourceError` when the address-space limit is below what a run started
    with ``options`` reserves; ``source`` says where the options came from, for the fix."""
    limit = address_space_limit()
    if limit is None:
        return
    need = reservation(options, limit)
    if need.total <= limit:
        return
    small = reservation(SMALL_JVM_OPTIONS, limit, min(need.arenas, SMALL_ARENAS))
    fix = f"raise it (ulimit -v {_kib(need.total)} or more, or unlimited)"
    if small.total <= limit:
        shown = (f"jvm_options={list(SMALL_JVM_OPTIONS)!r}" if source == "jvm_options"
                 else f"{source}='{' '.join(SMALL_JVM_OPTIONS)}'")
        fix += (f", or reserve less: MALLOC_ARENA_MAX={SMALL_ARENAS} and {shown} (about "
                f"{_mib(small.total)})")
    raise ResourceError(
        f"the address-space limit of this process (ulimit -v {_kib(limit)}: {_mib(limit)}) is "
        f"below what the JVM and MXNet reserve (about {_mib(need.total)}: {need.describe()}): "
        f"{fix}")


def _mib(n: int) -> str:
    return f"{n / MIB:,.0f} MiB"


def _kib(n: int) -> int:
    return -(-n // 1024)
