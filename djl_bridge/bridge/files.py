"""Java opens no user path by name: the JVM turns file names into bytes with the locale's
charset, so under ``LC_ALL=C`` it cannot name ``dätä.txt``. Python opens the file and hands the
JVM ``/proc/self/fd/N`` (:func:`readable_by_java`); files the JVM writes come back as bytes that
Python writes (:meth:`.session.Session.write_last_good`)."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator, Optional

from ..errors import BridgeError, DataError


@contextlib.contextmanager
def readable_by_java(path: Path, fd: Optional[int] = None) -> Iterator[str]:
    """A name under which the JVM reads the file ``path`` whatever the locale: the JVM reads
    ``/proc/self/fd/N`` (ASCII) of a descriptor Python holds open for as long as the block runs;
    a message that names it is given back ``path``. Where ``/proc`` is not mounted, the name
    itself. ``fd``: a descriptor already open on what the JVM must read (``data.snapshot``'s
    copy of ``path``), used and left open."""
    owned = fd is None
    if fd is None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise DataError(f"cannot open {path} ({exc.strerror or exc}): check that it is "
                            "still there and readable") from None
    try:
        name = f"/proc/self/fd/{fd}"
        if not os.path.exists(name):
            name = str(path)
        try:
            yield name
        except BridgeError as exc:
            if exc.args and isinstance(exc.args[0], str) and name in exc.args[0]:
                exc.args = (exc.args[0].replace(name, str(path)),) + exc.args[1:]
            raise
    finally:
        if owned:
            os.close(fd)
