"""The MXNet natives as the JVM will load them: checking ``MXNET_LIBRARY_PATH`` where DJL itself
would skip a wrong entry in silence, checking the folder DJL unpacks the classpath's natives into
(its engine cache), and the one-line wording of a natives failure, with the fix for why it failed
(an address-space limit, the engine cache) or where the natives came from (the classpath, the
user's variable, the ``cuda11`` extra).
"""
from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from ..elf import shared_library_problem
from ..errors import NativeLibraryError
from ..paths import check_path
from .classpath import classpath_source
from .limits import address_space_limit

MXNET_LIBRARY_ENV = "MXNET_LIBRARY_PATH"
#: Where DJL keeps engine natives, as system properties or environment variables (DJL reads the
#: property first); ENGINE_CACHE_DIR wins over DJL_CACHE_DIR for engines.
ENGINE_CACHE_VARS = ("ENGINE_CACHE_DIR", "DJL_CACHE_DIR")
#: DJL's default cache folder, under the user's home (Java's ``user.home``).
DEFAULT_CACHE_NAME = ".djl.ai"
#: The sub-folder of the engine cache that holds MXNet's natives.
ENGINE_NAME = "mxnet"


@dataclass(frozen=True)
class EngineCache:
    """The folder DJL unpacks MXNet's natives into, and what chose it."""

    folder: Path
    #: ``ENGINE_CACHE_DIR``, ``DJL_CACHE_DIR`` (a variable or a ``-D`` option), or ``default``.
    origin: str

    def fix(self) -> str:
        if self.origin == "default":
            return (f"set {ENGINE_CACHE_VARS[1]} (or {ENGINE_CACHE_VARS[0]}) to a writable "
                    f"directory, or point {MXNET_LIBRARY_ENV} at a libmxnet.so 1.9.1")
        return (f"point {self.origin} at a writable directory, or unset it to use "
                f"~/{DEFAULT_CACHE_NAME}")


def engine_cache(jvm_options: Sequence[str] = ()) -> EngineCache:
    """Where DJL will unpack MXNet's natives: ``-DENGINE_CACHE_DIR``/``-DDJL_CACHE_DIR`` among
    ``jvm_options``, else those environment variables, else ``~/.djl.ai``; plus ``mxnet``."""
    for name in ENGINE_CACHE_VARS:
        value = next((o.split("=", 1)[1] for o in reversed(list(jvm_options))
                      if o.startswith(f"-D{name}=")), "") or os.environ.get(name, "")
        if value:
            return EngineCache(check_path(value, name) / ENGINE_NAME, name)
    try:
        home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # Java's user.home, not $HOME
    except KeyError:
        home = Path.home()
    return EngineCache(home / DEFAULT_CACHE_NAME / ENGINE_NAME, "default")


def check_engine_cache(jvm_options: Sequence[str] = ()) -> Optional[EngineCache]:
    """Raises :class:`NativeLibraryError` when DJL could not unpack the classpath's MXNet natives
    into its engine cache: the folder lies under a file, or cannot be written and holds no
    unpacked ``libmxnet.so`` yet. Nothing is checked (None) when ``MXNET_LIBRARY_PATH`` names the
    natives: DJL then unpacks nothing."""
    if os.environ.get(MXNET_LIBRARY_ENV):
        return None
    cache = engine_cache(jvm_options)
    existing = cache.folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        what = "a file" if existing.exists() else "a dangling link"
        raise NativeLibraryError(
            f"DJL unpacks the MXNet natives into {cache.folder}, but {existing} is {what}, not "
            f"a directory: {cache.fix()}")
    if existing == cache.folder and any(cache.folder.glob("*/libmxnet.so")):
        return cache  # unpacked before: DJL loads them from there
    if not os.access(existing, os.W_OK | os.X_OK):
        raise NativeLibraryError(
            f"DJL unpacks the MXNet natives into {cache.folder}, but {existing} is not "
            f"writable: {cache.fix()}")
    return cache


def check_mxnet_library_path() -> Optional[Path]:
    """Checks ``MXNET_LIBRARY_PATH`` as DJL reads it (a list of files named ``libmxnet.so`` or
    folders holding one), where DJL itself would skip a wrong entry in silence and use the
    classpath's natives. Returns the library DJL will load, None when the variable is unset;
    raises :class:`NativeLibraryError` for an entry that is missing or not an ELF library."""
    value = os.environ.get(MXNET_LIBRARY_ENV, "")
    if not value:
        return None
    for entry in value.split(os.pathsep):
        if not entry:
            continue
        path = check_path(entry, MXNET_LIBRARY_ENV)
        if path.is_dir():
            library = path / "libmxnet.so"
            if not library.is_file():
                raise NativeLibraryError(native_error_message(
                    f"the folder {path} holds no libmxnet.so"))
        elif path.is_file():
            if not path.name.endswith("libmxnet.so"):
                raise NativeLibraryError(native_error_message(
                    f"DJL loads only a file named libmxnet.so, not {path.name}"))
            library = path
        else:
            raise NativeLibraryError(native_error_message(f"{path}: no such file or folder"))
        problem = shared_library_problem(library)
        if problem:
            raise NativeLibraryError(native_error_message(f"{library} is {problem}"))
        return library
    return None


def native_error_message(root: str) -> str:
    """One line saying why the MXNet natives did not load and how to fix it."""
    lines = [line.strip() for line in root.strip().splitlines() if line.strip()] or ["unknown error"]
    reason = lines[0]
    if reason.endswith(":") and len(lines) > 1:  # JNA: "Unable to load library 'X':" + the why
        reason = f"{reason} {lines[1]}"
    reason = reason.rstrip(".")
    limit = address_space_limit()
    if "failed to map segment" in reason or (limit is not None and "annot allocate" in reason):
        shown = f"ulimit -v {-(-limit // 1024)}" if limit is not None else "no limit is set"
        return (f"the MXNet natives do not fit in this process's address space ({reason}; "
                f"{shown}): raise the limit (ulimit -v unlimited), or free memory")
    cache = engine_cache()
    if str(cache.folder.parent) in reason:
        return (f"DJL could not unpack the MXNet natives into {cache.folder} ({reason}): "
                f"{cache.fix()}")
    custom = os.environ.get(MXNET_LIBRARY_ENV)
    from .. import gpu

    chosen = gpu.chosen_library()
    if custom and chosen is not None and custom == str(chosen):
        return (f"DJL could not load the MXNet CUDA natives of the cuda11 extra ({chosen}: "
                f"{reason}): reinstall them with pip install --force-reinstall "
                "'djl-bridge[cuda11]', or pip uninstall mxnet-cu112 to train on the CPU natives")
    if custom:
        return (f"DJL could not load the MXNet natives from {MXNET_LIBRARY_ENV}={custom} ({reason}): "
                f"point {MXNET_LIBRARY_ENV} at a working libmxnet.so 1.9.1 (e.g. from the PyPI "
                "mxnet==1.9.1 wheel), or unset it to use the natives on the classpath "
                "(mxnet-native-mkl)")
    fix = classpath_source().fix
    if "offline" in reason.lower():
        return ("DJL could not load the MXNet natives: none is on the classpath and DJL is offline "
                "(ai.djl.offline=true), so it will not download one: put mxnet-native-mkl on the "
                f"classpath ({fix}), or point {MXNET_LIBRARY_ENV} at a libmxnet.so 1.9.1")
    return (f"DJL could not load the MXNet natives ({reason}): put mxnet-native-mkl on the "
            f"classpath ({fix}), or point {MXNET_LIBRARY_ENV} at a libmxnet.so 1.9.1")
