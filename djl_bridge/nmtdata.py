"""Finding the English-French sentence pairs of D2L 9.5-9.7 (``fra.txt``, or the book's
``fra-eng.zip`` that holds it): a path given, else ``$DJL_BRIDGE_FRA``. Nothing is downloaded:
when neither names a file, one line says where the book's copy is. What the file holds is
checked by the Java reader (``djlbridge.seq2seq.NMT.readDataNMT``), which refuses anything but
the two-column English-French file with one message.

The data: sentence pairs of the Tatoeba Project (tatoeba.org) as manythings.org/anki packs them,
licence CC-BY 2.0 FR.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from .errors import DataError

#: The variable that names the file (the Java tests read the same one, build.gradle).
ENV_VAR = "DJL_BRIDGE_FRA"
FILE_NAME = "fra.txt"
#: The book's copy of the data (a zip with ``fra-eng/fra.txt`` inside).
URL = "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
#: Where the pairs come from, and their licence.
ATTRIBUTION = ("English-French sentence pairs of the Tatoeba Project (tatoeba.org), via "
               "manythings.org/anki, licence CC-BY 2.0 FR")


def locate_fra(path: Optional[Union[str, Path]] = None) -> Path:
    """The English-French file: ``path``, else ``$DJL_BRIDGE_FRA``; resolved. Raises
    :class:`DataError`, one line, when neither names a regular file."""
    for source, candidate in (("locate_fra(path)", path), (ENV_VAR, os.environ.get(ENV_VAR))):
        if candidate is None or str(candidate) == "":
            continue
        p = Path(candidate).expanduser()
        if not p.exists():
            raise DataError(f"English-French data not found: {p} (from {source}) does not exist; "
                            f"set {ENV_VAR} to the path of {FILE_NAME} or of the book's {URL}")
        if not p.is_file():
            kind = "a directory" if p.is_dir() else "not a regular file (a device or a pipe)"
            raise DataError(f"the English-French data {p} (from {source}) is {kind}: set "
                            f"{ENV_VAR} to the path of {FILE_NAME} or of fra-eng.zip")
        return p.resolve()
    raise DataError(f"no English-French data: set {ENV_VAR} to the path of {FILE_NAME} (or of "
                    f"fra-eng.zip), downloaded from {URL}")
