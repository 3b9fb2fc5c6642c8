"""Finding, reading and verifying the English-French data of D2L 9.5 (``fra.txt`` of the book's
``fra-eng.zip``), as :mod:`.data` does for *The Time Machine*.

Order: an explicit path (``data=``, ``--data``), then ``$DJL_BRIDGE_FRA``; else one line says
how to get the book's zip. There is no automatic download: the file's licence (CC-BY 2.0 FR,
tatoeba.org via manythings.org/anki, see :data:`ATTRIBUTION`) asks for attribution wherever the
data is shown, so the user fetches it once on purpose (the URL and its SHA-1 are in the message).

The file is read once (:func:`read_fra`): the zip or the text, checked and verified here, and
those very bytes (the text, taken out of a zip) are what Java's ``NMT.readDataNMT`` reads
(:func:`djl_bridge.bridge.nmt.load_data`). A file that is not the book's is refused in one line:
a directory or a FIFO, empty, binary or not UTF-8, a line without a tab, three columns (newer
copies add an attribution column, which the book's reader silently skips: every line), a last
line cut off, another language pair; then its SHA-256 must be the book's unless ``verify=False``
(``--no-verify-data``).
"""
from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from .config import API_NAMES, Names
from .errors import DataError

ENV_VAR = "DJL_BRIDGE_FRA"
FILE_NAME = "fra.txt"
ZIP_NAME = "fra-eng.zip"
#: The book's zip (d2l's ``DATA_HUB['fra-eng']``) and its SHA-1 as the book checks it.
ZIP_URL = "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip"
ZIP_SHA1 = "94646ad1522d915e7b0f9296181140edcf86a4f5"
#: The book's fra.txt (dated 2019-04-07): its SHA-256, size and number of lines.
SHA256 = "0bb85dbaa1c896844649094d7eaf2e34bee34e84fe362b26ce7e8f2e12aae104"
SIZE = 11_669_748
LINES = 167_130
#: Where the data comes from; shown wherever the data is (``train --section 9.5``, doctor).
ATTRIBUTION = ("English-French pairs from tatoeba.org via manythings.org/anki, "
               "CC-BY 2.0 FR (https://creativecommons.org/licenses/by/2.0/)")
#: A file (or a zip's fra.txt) larger than this is refused before it is read into memory.
MAX_BYTES = 256 << 20
#: The language check (as Java's ``NMTReader``): files of at least this many lines, each column
#: holding a common word of its language on at least this share of lines.
LANGUAGE_CHECK_LINES = 100
LANGUAGE_SHARE = 0.2
_ENGLISH = frozenset(
    "i you he she we they is am are the a an it to of not i'm it's don't go who what and me my "
    "your this that was be".split())
_FRENCH = frozenset(
    "je tu il elle nous vous ils est suis es sont le la les de un une ne pas c'est j'ai va qui "
    "ça à et ai me mon du".split())
_SEPARATORS = str.maketrans({c: " " for c in ".,!?\u00a0\u202f\t\r\n\f\v"})


@dataclass(frozen=True)
class FraText:
    """The English-French text as read once: ``text`` is what Java reads (``fra.txt``'s bytes,
    taken out of the zip when ``path`` is one)."""

    path: Path
    text: bytes
    sha256: str
    verified: bool
    from_zip: bool
    lines: int

    def describe(self) -> str:
        """One line: where, how many pairs, verified or not."""
        what = f"{self.path} ({FILE_NAME} of the zip)" if self.from_zip else str(self.path)
        check = (f"SHA-256 {self.sha256[:12]}... verified" if self.verified
                 else f"SHA-256 {self.sha256[:12]}..., not the book's file (not verified)")
        return f"{what}: {self.lines} lines, {check}"


def how_to_get(names: Names = API_NAMES, owner: str = "") -> str:
    """How to get the data and point at it, naming the setting as ``names`` does."""
    return (f"download the book's {ZIP_NAME} ({ZIP_URL}, SHA-1 {ZIP_SHA1}) and pass "
            f"{names.setting('data', 'PATH', owner)} (the zip or its {FILE_NAME}), or set "
            f"{ENV_VAR}=PATH")


def locate_fra(path: Union[str, os.PathLike, None] = None, *, names: Names = API_NAMES,
               owner: str = "") -> Path:
    """The data file: ``path``, else ``$DJL_BRIDGE_FRA``; it must be a regular file (a
    directory or a FIFO is refused without opening it). Raises :class:`DataError` with how to
    get the book's zip when neither is given."""
    data = names("data", owner)
    for source, candidate in ((data, path), (ENV_VAR, os.environ.get(ENV_VAR))):
        if candidate is None or candidate == "":
            continue
        p = Path(candidate).expanduser()
        try:
            mode = p.stat().st_mode
        except FileNotFoundError:
            raise DataError(f"English-French data not found: {p} (from {source}); "
                            f"{how_to_get(names, owner)}") from None
        except OSError as exc:
            raise DataError(f"cannot read {p} (from {source}): {exc.strerror or exc}; check "
                            f"its permissions or pass another {names.setting('data', 'PATH', owner)}"
                            ) from None
        if not stat.S_ISREG(mode):
            kind = ("a directory" if stat.S_ISDIR(mode) else
                    "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "not a regular file")
            raise DataError(f"the English-French data {p} (from {source}) is {kind}: pass the "
                            f"path of {ZIP_NAME} or of its {FILE_NAME}")
        return p.resolve()
    raise DataError(f"no English-French data: {how_to_get(names, owner)}")


def read_fra(path: Union[str, os.PathLike, None] = None, *, verify: bool = True,
             names: Names = API_NAMES, owner: str = "") -> FraText:
    """Finds (:func:`locate_fra`), reads once and checks the data: the zip or the text; with
    ``verify`` its SHA-256 must be the book's (``verify=False``, ``--no-verify-data``, takes
    another two-column English-French file on purpose)."""
    p = locate_fra(path, names=names, owner=owner)
    raw = _read_bytes(p, names, owner)
    from_zip = raw[:4] == b"PK\x03\x04"
    text = _from_zip(raw, p) if from_zip else raw
    name = f"{p} ({FILE_NAME} of the zip)" if from_zip else str(p)
    lines = check_text(text, name)
    digest = hashlib.sha256(text).hexdigest()
    if verify and digest != SHA256:
        why = (f"{lines} lines of {LINES}: truncated, or another version"
               if len(text) < SIZE else f"{lines} lines, {len(text)} bytes: another version")
        raise DataError(
            f"{name} is not the book's {FILE_NAME} (SHA-256 {digest[:12]}..., expected "
            f"{SHA256[:12]}...; {why}): pass the book's {ZIP_NAME}, or "
            f"{names.setting('verify_data', False, owner)} to use this file on purpose")
    return FraText(p, text, digest, digest == SHA256, from_zip, lines)


def _read_bytes(p: Path, names: Names, owner: str) -> bytes:
    try:
        with p.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:
                raise DataError(f"{p} is {size} bytes, more than the {MAX_BYTES >> 20} MiB "
                                f"read at most: the book's {FILE_NAME} is {SIZE} bytes")
            return fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DataError(f"cannot read {p} ({exc.strerror or exc}): check its permissions or "
                        f"pass another {names.setting('data', 'PATH', owner)}") from None


def _from_zip(raw: bytes, p: Path) -> bytes:
    """``fra.txt`` out of the zip (its entry ``fra-eng/fra.txt``, or any ``…/fra.txt``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            entries = [i for i in archive.infolist()
                       if i.filename.rsplit("/", 1)[-1] == FILE_NAME and not i.is_dir()]
            if not entries:
                raise DataError(f"{p} is a zip without {FILE_NAME}: pass {ZIP_NAME} or the "
                                f"extracted {FILE_NAME}")
            if entries[0].file_size > MAX_BYTES:
                raise DataError(f"{p}: its {FILE_NAME} is {entries[0].file_size} bytes, more "
                                f"than the {MAX_BYTES >> 20} MiB read at most")
            return archive.read(entries[0])
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, NotImplementedError) as exc:
        raise DataError(f"{p} is a damaged or truncated zip ({exc}): download {ZIP_NAME} "
                        "again") from None


def check_text(text: bytes, name: str) -> int:
    """Raises :class:`DataError` (one line) unless ``text`` is two-column English-French text
    as Java's ``NMTReader`` reads it; returns the number of lines."""
    layout = f"expected {FILE_NAME}, lines of english<TAB>french"
    if not text:
        raise DataError(f"{name} is empty: {layout}")
    if b"\0" in text:
        raise DataError(f"{name} holds NUL bytes (a binary file?): {layout}")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not UTF-8 text (invalid byte 0x{text[exc.start]:02x} at "
                        f"offset {exc.start}; a binary file?): {layout}") from None
    if not decoded.endswith("\n"):
        raise DataError(f"{name} does not end with a line end: the file looks truncated "
                        f"({FILE_NAME} ends with one); download it again")
    lines = decoded.split("\n")[:-1]
    english = french = 0
    for i, line in enumerate(lines, 1):
        tabs = line.count("\t")
        if tabs == 0:
            raise DataError(f"{name}: line {i} has no tab: expected english<TAB>french on "
                            "every line")
        if tabs > 1:
            raise DataError(f"{name}: line {i} has {tabs + 1} columns, not 2 (newer copies add "
                            "an attribution column, which the book's reader silently skips): "
                            f"keep the first two (cut -f1,2) or use the {FILE_NAME} of {ZIP_NAME}")
        source, target = line.split("\t")
        english += not _ENGLISH.isdisjoint(source.lower().translate(_SEPARATORS).split())
        french += not _FRENCH.isdisjoint(target.lower().translate(_SEPARATORS).split())
    count = len(lines)
    if count >= LANGUAGE_CHECK_LINES and min(english, french) < LANGUAGE_SHARE * count:
        raise DataError(
            f"{name} does not look like English<TAB>French: {100 * english / count:.0f}% of "
            f"first columns hold a common English word and {100 * french / count:.0f}% of "
            f"second columns a common French word (at least {100 * LANGUAGE_SHARE:.0f}% each "
            "expected); another language pair or the columns swapped?")
    return count


def doctor_line(path: Optional[Path] = None, names: Names = API_NAMES) -> str:
    """What ``djl-bridge doctor`` reports of the data: found and verified (raises
    :class:`DataError` with what to do otherwise)."""
    fra = read_fra(path, verify=True, names=names)
    return f"{fra.describe()}; {ATTRIBUTION}"
