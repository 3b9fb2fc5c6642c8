"""Finding, downloading and verifying *The Time Machine*, and reading it as the texts do.

Order: an explicit path, then ``$DJL_BRIDGE_DATA``, then the user cache, then a download from the
D2L data host. Downloads are checked against the SHA-1 before they are moved into place, so the
cache never holds a partial or unverified file.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

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


def cache_dir() -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/djl_bridge`` or ``~/.cache/djl_bridge``."""
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "djl_bridge"


def verify(path: Path, expected: Optional[str] = None) -> None:
    """Raises :class:`DataError` unless ``path`` has the expected SHA-1 (default :data:`SHA1`)."""
    expected = expected or SHA1
    actual = sha1_of(path)
    if actual != expected:
        raise DataError(
            f"{path} is not the expected Time Machine text (SHA-1 {actual}, expected {expected}): "
            "it is corrupt or a different text. Delete it and let djl-bridge download it again, or "
            "pass --no-verify-data to train on another text on purpose"
        )


def download(url: str, dest: Path, expected: Optional[str] = None, timeout: float = 60.0) -> Path:
    """Downloads ``url`` to ``dest`` through a temporary file in the same directory, checks the
    SHA-1 (default :data:`SHA1`), and only then renames it into place. Nothing is left behind on
    failure."""
    expected = expected or SHA1
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha1()
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - fixed URL
                    expected_len = resp.headers.get("Content-Length")
                    received = 0
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        digest.update(chunk)
                        out.write(chunk)
                        received += len(chunk)
            except http.client.IncompleteRead as exc:  # closed before Content-Length bytes
                got = received + len(exc.partial)
                raise DataError(
                    f"the download of {url} stopped after {got} of {expected_len} bytes: "
                    "try again, or pass --data PATH to a copy you have"
                ) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                raise DataError(
                    f"could not download {url}: {exc}. Check the network, or download "
                    f"{FILE_NAME} yourself and pass --data PATH (or set {ENV_VAR})"
                ) from None
            if expected_len is not None and received != int(expected_len):
                raise DataError(
                    f"the download of {url} stopped after {received} of {expected_len} bytes: "
                    "try again, or pass --data PATH to a copy you have"
                )
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != expected:
            raise DataError(
                f"the file downloaded from {url} has SHA-1 {digest.hexdigest()}, expected "
                f"{expected}: it was not kept. Try again later, or pass --data PATH"
            )
        os.replace(tmp, dest)
        return dest
    finally:
        if tmp.exists():
            tmp.unlink()


def locate_corpus(path: Optional[Path] = None, *, verify_sha1: bool = True,
                  allow_download: bool = True) -> Path:
    """Finds the corpus: ``path``, then ``$DJL_BRIDGE_DATA``, then the cache, then a download."""
    for source, candidate in (("--data", path), (ENV_VAR, os.environ.get(ENV_VAR))):
        if candidate:
            p = Path(candidate).expanduser()
            if not p.is_file():
                raise DataError(
                    f"corpus file not found: {p} (from {source}). Pass --data with the path of "
                    f"{FILE_NAME}, or leave it out to use the cache and download"
                )
            if verify_sha1:
                verify(p)
            return p.resolve()
    cached = cache_dir() / FILE_NAME
    if cached.is_file():
        if sha1_of(cached) == SHA1:
            return cached
        cached.unlink()  # an unverified file never stays in the cache
    if not allow_download:
        raise DataError(
            f"no corpus: pass --data PATH, set {ENV_VAR}, or allow the download into {cached}"
        )
    return download(os.environ.get(URL_ENV_VAR, URL), cached)


def read_time_machine(path: Path) -> list[str]:
    """The text's lines, each reduced to lower-case letters and single spaces."""
    # Split as Java's Files.readAllLines does (\n, \r, \r\n), not as str.splitlines.
    lines = re.split("\r\n|\r|\n", path.read_text(encoding="utf-8"))
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def count_tokens(path: Path) -> int:
    """The number of character tokens in the corpus."""
    return sum(len(line) for line in read_time_machine(path))
