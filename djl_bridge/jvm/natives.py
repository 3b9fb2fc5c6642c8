"""The MXNet natives as the JVM will load them: checking ``MXNET_LIBRARY_PATH`` where DJL itself
would skip a wrong entry in silence, and the one-line wording of a natives failure, with the fix
for where the natives came from (the classpath, the user's variable, the ``cuda11`` extra).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from ..elf import shared_library_problem
from ..errors import NativeLibraryError
from .classpath import classpath_source

MXNET_LIBRARY_ENV = "MXNET_LIBRARY_PATH"


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
        path = Path(entry)
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
