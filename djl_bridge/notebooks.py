"""The chapter as Jupyter notebooks, one per section (8.5 RNN from scratch ... 9.4 bidirectional
RNN, 9.5-9.7 machine translation, encoder-decoder, seq2seq): where they are and copying them where a user wants them (``djl-bridge notebooks DIR``). A
checkout has them in ``notebooks/``; a wheel carries the same files in ``djl_bridge/_notebooks/``
(put there by setup.py's build hook)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .errors import ConfigError, NotBuiltError
from .paths import check_path, file_mode, shown

_PACKAGE = Path(__file__).resolve().parent
#: The folder of an installed wheel (setup.py writes the same name).
PACKAGED = _PACKAGE / "_notebooks"
#: The folder of a checkout.
CHECKOUT = _PACKAGE.parent / "notebooks"
SUFFIX = ".ipynb"


def folder() -> Path:
    """Where the notebooks are: the wheel's copy, else the checkout's folder."""
    for candidate in (PACKAGED, CHECKOUT):
        if candidate.is_dir() and any(candidate.glob("*" + SUFFIX)):
            return candidate
    raise NotBuiltError("the notebooks are not in this installation of djl-bridge (neither "
                        f"{PACKAGED} nor {CHECKOUT}): reinstall djl-bridge from its wheel")


def notebooks() -> list[Path]:
    """Every notebook, in the order of the sections."""
    return sorted(folder().glob("*" + SUFFIX))


def copy_to(directory: Path, overwrite: bool = False) -> list[Path]:
    """Copies every notebook into ``directory`` (created if missing), each through a temporary
    file and a rename; a notebook already there is kept unless ``overwrite`` (it may hold the
    user's work). Returns the copies; raises :class:`ConfigError`, one line, when it cannot."""
    directory = check_path(directory, "DIR")
    sources = notebooks()
    targets = [directory / src.name for src in sources]
    taken = [t for t in targets if t.exists()]
    if taken and not overwrite:
        more = f" and {len(taken) - 1} more notebooks" if len(taken) > 1 else ""
        raise ConfigError(f"{directory} already holds {taken[0].name}{more} (your changes would "
                          "be lost): pick another directory, or pass --overwrite")
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"DIR {shown(directory)} is a file, not a directory: pick a directory "
                          "(it is created if missing)")
    mode = file_mode()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for src, target in zip(sources, targets):
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
            try:
                os.fchmod(fd, mode)  # mkstemp makes 0600: a notebook gets the umask's mode
                with os.fdopen(fd, "wb") as out, src.open("rb") as data:
                    shutil.copyfileobj(data, out)
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
    except OSError as exc:
        raise ConfigError(f"cannot copy the notebooks into {directory} "
                          f"({exc.strerror or exc}): pick a writable directory") from None
    return targets
