"""Paths the user gives (``--checkpoint-dir``, ``--data``, ``--plot``, ``notebooks DIR``,
``--resume``, ``--checkpoint`` and their API fields): the one check every such path passes before
anything reads or writes it, and how messages show a path.

* An empty path is refused by name: ``pathlib.Path("")`` is ``.``, so an empty
  ``--checkpoint-dir`` used to write into the working directory.
* A file name over :data:`NAME_MAX` bytes, or a path of :data:`PATH_MAX` bytes or more, is refused
  in one line: the system refuses it anyway (``ENAMETOOLONG``), at a moment when the error was
  "internal error (OSError: [Errno 36] ...)".
* A NUL byte, which no system call takes, is refused the same way.
* :func:`shown` escapes control characters, so that a path never writes raw escape sequences to
  the terminal in a message.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional, Union

from .errors import ConfigError

#: The most bytes of one file name (Linux's ``NAME_MAX``; also macOS's).
NAME_MAX = 255
#: The bytes of a whole path, its terminating NUL included (Linux's ``PATH_MAX``).
PATH_MAX = 4096

#: A ``str`` or ``os.PathLike`` given as a path.
PathArg = Union[str, "os.PathLike[str]"]


def shown(value: Any) -> str:
    """``value`` as text for a message, control characters (C0, DEL, C1) escaped as ``\\xNN``
    and bidirectional or zero-width format characters as ``\\uNNNN``."""
    return "".join(_escape(ch) for ch in str(value))


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    if code in _FORMAT_CHARS:
        return f"\\u{code:04x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return ch


#: Characters that reorder or hide what a terminal shows (bidirectional overrides and isolates,
#: zero-width characters).
_FORMAT_CHARS = frozenset([0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029,
                           *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF])


def problem(text: str) -> Optional[str]:
    """Why no system call takes the path ``text`` (empty, a NUL byte, a file name over
    :data:`NAME_MAX` bytes, a path of :data:`PATH_MAX` bytes or more), or None."""
    if text == "":
        return "is empty (an empty path would mean the current directory)"
    raw = os.fsencode(text)
    if b"\0" in raw:
        return "contains a NUL byte, which no file name may hold"
    if len(raw) >= PATH_MAX:
        return f"is {len(raw)} bytes long, and a path may have at most {PATH_MAX - 1}"
    longest = max(raw.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return (f"has a name of {len(longest)} bytes ({shown(os.fsdecode(longest[:24]))}...), "
                f"and a file name may have at most {NAME_MAX}")
    return None


def check_path(value: Any, name: str) -> Path:
    """``value`` (a ``str`` or ``os.PathLike``) as a :class:`~pathlib.Path`, or
    :class:`ConfigError` naming ``name`` when it is no path, or one no system call takes
    (:func:`problem`)."""
    if isinstance(value, (str, os.PathLike)):
        try:
            text = os.fspath(value)
        except TypeError:
            text = None
        if isinstance(text, bytes):
            text = os.fsdecode(text)
        if isinstance(text, str):
            why = problem(text)
            if why is not None:
                shown_value = f" {shown(text[:64])}..." if len(text) > 64 else ""
                raise ConfigError(f"{name}{shown_value} {why}: give another path")
            return Path(text)
    raise ConfigError(f"{name} must be a path (a str or pathlib.Path), got {shown(repr(value))}")


def file_mode() -> int:
    """The mode a new file of the user's gets (``0o666`` less the umask), as ``open()`` would
    give it; ``tempfile.mkstemp`` makes every file 0600, whatever the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def cli_path(text: str) -> "Path | str":
    """The ``type`` of a path argument of the command line: a :class:`~pathlib.Path`, except
    that an empty argument stays ``""`` (``Path("")`` is ``.``) for :func:`check_path` to refuse
    by the flag's name."""
    return Path(text) if text else text
