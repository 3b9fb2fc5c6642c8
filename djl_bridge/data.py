"""Finding, downloading and verifying *The Time Machine*, and reading it as the texts do.

Order: an explicit path, then ``$DJL_BRIDGE_DATA``, then the user cache, then a download from the
D2L data host. Downloads are checked against the SHA-1 before they are moved into place, so the
cache never holds a partial or unverified file.
"""
from __future__ import annotations

import codecs
import contextlib
import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from .config import API_NAMES, Names
from .paths import check_path, file_mode
from .errors import DataError

FILE_NAME = "timemachine.txt"
SHA1 = "090b5e7e70c295757f55df93cb0a180b9691891a"
URL = "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt"
ENV_VAR = "DJL_BRIDGE_DATA"
URL_ENV_VAR = "DJL_BRIDGE_DATA_URL"


def sha1_of(path: Path) -> str:
    """The SHA-1 of a file, as hex."""
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_fix(names: Names = API_NAMES) -> str:
    """How to get past a corpus cache that cannot be used, naming settings as ``names`` does."""
    return (f"set XDG_CACHE_HOME to a writable directory, or pass "
            f"{names.setting('data', 'PATH')} (or set {ENV_VAR})")


def cache_dir(names: Names = API_NAMES) -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/djl_bridge`` or ``~/.cache/djl_bridge``.
    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG specification says; an empty or relative
    ``HOME`` gives way to the account's home: neither may put the cache in the working
    directory."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(base):
        return Path(base) / "djl_bridge"
    try:
        home = Path.home()  # HOME="" is "/" to pathlib
        if not home.is_absolute() or not os.environ.get("HOME", "x").strip():
            import pwd

            home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    except (RuntimeError, KeyError, ImportError):  # no HOME and no passwd entry
        home = Path()
    if not home.is_absolute():
        raise DataError("there is no home directory to hold the corpus cache: "
                        f"{cache_fix(names)}")
    return home / ".cache" / "djl_bridge"


def cache_write_error(directory: Path, exc: OSError, names: Names = API_NAMES) -> DataError:
    """The error for a cache directory that cannot be made or written to."""
    return DataError(f"cannot write the corpus cache in {directory} "
                     f"({exc.strerror or exc}): {cache_fix(names)}")


def check_cache(directory: Path, names: Names = API_NAMES) -> None:
    """Raises :class:`DataError` when ``directory`` (the cache) cannot hold the corpus for a
    reason known before writing: a file where a directory should be, or the cache entry
    ``directory/timemachine.txt`` being something other than a file."""
    entry = directory / FILE_NAME
    existing = directory
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        origin = " (from XDG_CACHE_HOME)" if os.environ.get("XDG_CACHE_HOME") else ""
        raise DataError(f"the corpus cache {directory} cannot be made, as {existing}{origin} is "
                        f"a file, not a directory: {cache_fix(names)}")
    if os.path.lexists(entry) and not entry.is_file():
        kind = "a directory" if entry.is_dir() else "not a regular file"
        raise DataError(f"the cache entry {entry} is {kind}, not the corpus file: remove it "
                        f"(rm -r {entry}), or {cache_fix(names)}")


def verify(path: Path, expected: Optional[str] = None, names: Names = API_NAMES) -> None:
    """Raises :class:`DataError` unless ``path`` has the expected SHA-1 (default :data:`SHA1`)."""
    expected = expected or SHA1
    actual = sha1_of(path)
    if actual != expected:
        raise DataError(
            f"{path} is not the expected Time Machine text (SHA-1 {actual}, expected {expected}): "
            "it is corrupt or a different text. Delete it and let djl-bridge download it again, or "
            f"pass {names.setting('verify_data', False)} to train on another text on purpose"
        )


def download(url: str, dest: Path, expected: Optional[str] = None, timeout: float = 60.0,
             names: Names = API_NAMES) -> Path:
    """Downloads ``url`` to ``dest`` through a temporary file in the same directory, checks the
    SHA-1 (default :data:`SHA1`), and only then renames it into place. Nothing is left behind on
    failure."""
    expected = expected or SHA1
    data_path = names.setting("data", "PATH")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise cache_write_error(dest.parent, exc, names) from None
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, file_mode())  # mkstemp makes 0600: the cached corpus gets the umask's mode
        digest = hashlib.sha1()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed URL
                    expected_len = resp.headers.get("Content-Length")
                    received = 0
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        digest.update(chunk)
                        _write(out, chunk, dest.parent, names)
                        received += len(chunk)
            except http.client.IncompleteRead as exc:  # closed before Content-Length bytes
                got = received + len(exc.partial)
                raise DataError(
                    f"the download of {url} stopped after {got} of {expected_len} bytes: "
                    f"try again, or pass {data_path} to a copy you have"
                ) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                raise DataError(
                    f"could not download {url}: {exc}. Check the network, or download "
                    f"{FILE_NAME} yourself and pass {data_path} (or set {ENV_VAR})"
                ) from None
            if expected_len is not None and received != int(expected_len):
                raise DataError(
                    f"the download of {url} stopped after {received} of {expected_len} bytes: "
                    f"try again, or pass {data_path} to a copy you have"
                )
            try:
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                raise cache_write_error(dest.parent, exc, names) from None
        if digest.hexdigest() != expected:
            raise DataError(
                f"the file downloaded from {url} has SHA-1 {digest.hexdigest()}, expected "
                f"{expected}: it was not kept. Try again later, or pass {data_path}"
            )
        try:
            os.replace(tmp, dest)
        except OSError as exc:
            raise cache_write_error(dest.parent, exc, names) from None
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()


def _write(out: BinaryIO, chunk: bytes, directory: Path, names: Names) -> None:
    """Writes a downloaded chunk; a full or failing disk is the cache's fault, not the network's."""
    try:
        out.write(chunk)
    except OSError as exc:
        raise cache_write_error(directory, exc, names) from None


def locate_corpus(path: Optional[Path] = None, *, verify_sha1: bool = True,
                  allow_download: bool = True, names: Names = API_NAMES) -> Path:
    """Finds the corpus: ``path``, then ``$DJL_BRIDGE_DATA``, then the cache, then a download.
    Messages name settings as ``names`` does (``--data`` or ``TrainConfig.data``)."""
    data = names("data")
    for source, candidate in ((data, path), (ENV_VAR, os.environ.get(ENV_VAR) or None)):
        if candidate is not None:
            p = check_path(candidate, source).expanduser()
            if p.exists() and not p.is_file():
                kind = "a directory" if p.is_dir() else "not a regular file (a device or a pipe)"
                raise DataError(
                    f"the corpus {p} (from {source}) is {kind}: pass the path of {FILE_NAME}")
            if not p.is_file():
                raise DataError(
                    f"corpus file not found: {p} (from {source}). Pass {data} with the path of "
                    f"{FILE_NAME}, or leave it out to use the cache and download"
                )
            try:
                if verify_sha1:
                    verify(p, names=names)
                else:
                    check_utf8(p)  # the SHA-1 vouches for the real text; another must be UTF-8
            except OSError as exc:
                raise DataError(f"cannot read {p} ({exc.strerror or exc}): check its permissions, "
                                f"or pass another {names.setting('data', 'PATH')}") from None
            return p.resolve()
    directory = cache_dir(names)
    check_cache(directory, names)
    cached = directory / FILE_NAME
    if cached.is_file():
        try:
            if sha1_of(cached) == SHA1:
                return cached
            cached.unlink()  # an unverified file never stays in the cache
        except OSError as exc:
            raise DataError(f"cannot read or replace the cached corpus {cached} "
                            f"({exc.strerror or exc}): delete it, or {cache_fix(names)}") from None
    if not allow_download:
        raise DataError(
            f"no corpus: pass {names.setting('data', 'PATH')}, set {ENV_VAR}, or allow the "
            f"download into {cached}"
        )
    return download(os.environ.get(URL_ENV_VAR, URL), cached, names=names)


@dataclass(frozen=True)
class Snapshot:
    """The corpus as one run reads it: ``fd`` is an anonymous file of this process holding
    exactly the bytes that were hashed (``sha1``), which the JVM reads (as ``/proc/self/fd/N``);
    replacing or rewriting ``path`` meanwhile changes nothing the run trains on."""

    path: Path
    fd: int
    sha1: str
    size: int


@contextlib.contextmanager
def snapshot(path: Path, verify_sha1: bool = True,
             names: Names = API_NAMES) -> Iterator[Snapshot]:
    """The corpus as the run reads it, hashed as read; with ``verify_sha1`` it must be *The Time
    Machine* (:data:`SHA1`), else :class:`DataError`. A text of up to :data:`COPY_MAX_BYTES` is
    read once into an anonymous in-memory file (an unlinked temporary file where
    ``memfd_create`` is missing) that the JVM reads: nothing done to ``path`` reaches it. A
    larger one (streamed by Java, so that a text of any size fits in memory) is hashed through
    the descriptor the JVM reads too, and when the block ends the file must be unchanged since
    (its size, mtime and ctime: any write changes the ctime, and so does a rename or an unlink,
    refused on the safe side), else :class:`DataError`: run the block around the JVM's reading. The checks made on the path
    before (:func:`locate_corpus`) vouch for the path; this one for the bytes trained on."""
    try:
        src = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        before = os.fstat(src)
    except OSError as exc:
        raise DataError(f"cannot open {path} ({exc.strerror or exc}): check that it is still "
                        "there and readable") from None
    copy: Optional[int] = None
    try:
        try:
            if before.st_size <= COPY_MAX_BYTES:
                copy = _anonymous_file()
            actual, size = _hash(src, copy, path)
        except OSError as exc:
            raise DataError(f"cannot read the corpus {path} ({exc.strerror or exc}): check "
                            "that it is readable and that there is memory for a copy") from None
        if verify_sha1 and actual != SHA1:
            raise DataError(
                f"{path} is not the expected Time Machine text as read for training (SHA-1 "
                f"{actual}, expected {SHA1}; was it replaced after it was checked?): restore it, "
                f"or pass {names.setting('verify_data', False)} to train on another text on "
                "purpose")
        yield Snapshot(path, src if copy is None else copy, actual, size)
        after = os.fstat(src)
        if copy is None and _stamp(after) != _stamp(before):
            raise DataError(f"{path} was changed while it was read for training: keep it "
                            "unchanged while a run starts, or train on a copy")
    finally:
        os.close(src)
        if copy is not None:
            os.close(copy)


#: The largest corpus copied into memory for a run; a larger one is read in place, checked
#: unchanged (:func:`snapshot`). The Time Machine is 178 KB.
COPY_MAX_BYTES = 64 << 20


def _hash(src: int, copy: Optional[int], path: Path) -> tuple[str, int]:
    """The SHA-1 and size of what ``src`` holds from its start, written into ``copy`` too when
    given (then rewound for its reader); ``src`` is rewound either way."""
    digest, size = hashlib.sha1(), 0
    while True:
        chunk = os.read(src, CHUNK_BYTES)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
        view = memoryview(chunk)
        while copy is not None and view:
            view = view[os.write(copy, view):]
    os.lseek(src, 0, os.SEEK_SET)
    if copy is not None:
        os.lseek(copy, 0, os.SEEK_SET)
    return digest.hexdigest(), size


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _anonymous_file() -> int:
    """A descriptor of a file no path names: a memfd, else an unlinked temporary file."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        try:
            return memfd_create("djl-bridge-corpus", os.MFD_CLOEXEC)
        except OSError:
            pass  # no memfd (an old kernel, a sandbox): a temporary file
    fd, name = tempfile.mkstemp(prefix="djl-bridge-corpus-")
    os.unlink(name)
    return fd


#: Bytes read at a time when a corpus is streamed.
CHUNK_BYTES = 1 << 16

_TOKEN_RUNS = re.compile(r"[A-Za-z]+|[\r\n]|[^A-Za-z\r\n]+")


def not_utf8_error(path: Path, bad: int, offset: int) -> DataError:
    """The error for a corpus that is not UTF-8 (the Java reader words it the same way)."""
    return DataError(
        f"{path} is not UTF-8 text (invalid byte 0x{bad:02x} at offset {offset}): save it as "
        "UTF-8, or pass the D2L timemachine.txt"
    )


def iter_text(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The file decoded as strict UTF-8, one chunk at a time (memory O(chunk)). Raises
    :class:`DataError` naming the first byte that is not UTF-8 and its offset in the file."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    fed = 0  # bytes handed to the decoder so far
    with path.open("rb") as fh:
        while True:
            block = fh.read(chunk_bytes)
            final = not block
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                # exc.object is the decoder's pending bytes followed by this block.
                start = fed - (len(exc.object) - len(block)) + exc.start
                raise not_utf8_error(path, exc.object[exc.start], start) from None
            fed += len(block)
            if text:
                yield text
            if final:
                return


def check_utf8(path: Path) -> None:
    """Raises :class:`DataError` unless the whole file is UTF-8 text; reads it in chunks."""
    for _ in iter_text(path):
        pass


def read_time_machine(path: Path) -> list[str]:
    """The text's lines, each reduced to lower-case letters and single spaces."""
    # Split as Java's Files.readAllLines does (\n, \r, \r\n), not as str.splitlines.
    lines = re.split("\r\n|\r|\n", "".join(iter_text(path)))
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def count_tokens(path: Path, limit: Optional[int] = None) -> int:
    """The number of character tokens in the corpus (the length of the text's corpus: lines
    reduced to letters and single inner spaces, joined without separator), streamed in chunks.
    With ``limit``, reading stops as soon as ``limit`` tokens are seen and ``limit`` is returned:
    ``count_tokens(p, n) == min(count_tokens(p), n)``. Bytes that are not UTF-8 (in the part read)
    raise :class:`DataError`."""
    count = 0
    in_line = False  # the current line has a letter
    gap = False      # non-letters follow the line's last letter
    for text in iter_text(path):
        for run in _TOKEN_RUNS.finditer(text):
            first = run.group()[0]
            if first == "\n" or first == "\r":
                in_line = gap = False
            elif first.isascii() and first.isalpha():
                count += len(run.group()) + gap
                in_line, gap = True, False
            elif in_line:
                gap = True
        if limit is not None and count >= limit:
            return limit
    return count if limit is None else min(count, limit)
