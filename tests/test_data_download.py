"""The corpus: missing files, wrong SHA-1, and the real download code against a small HTTP server
on 127.0.0.1 that serves a truncated body, wrong bytes or a 404. The cache never keeps a partial or
unverified file."""
from __future__ import annotations

import hashlib
import subprocess
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

from djl_bridge import data
from djl_bridge.errors import DataError

from .conftest import TINY, one_error, run_cli

GOOD = b"the time machine by h g wells\n" * 40


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, bytes, int]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        status, body, length = self.routes.get(self.path, (404, b"not here", 8))
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    _Handler.routes = {
        "/good.txt": (200, GOOD, len(GOOD)),
        "/truncated.txt": (200, GOOD[:300], len(GOOD)),
        "/wrong.txt": (200, GOOD.upper(), len(GOOD)),
    }
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    return tmp_path / "xdg" / "djl_bridge"


def _files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_download_ok_is_verified_and_cached(server: str, cache: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SHA1", hashlib.sha1(GOOD).hexdigest())
    monkeypatch.setenv(data.URL_ENV_VAR, server + "/good.txt")
    path = data.locate_corpus(None)
    assert path == cache / data.FILE_NAME and path.read_bytes() == GOOD
    assert _files(cache) == [data.FILE_NAME]


@pytest.mark.parametrize("route, expected", [
    ("/truncated.txt", f"stopped after 300 of {len(GOOD)} bytes"),
    ("/wrong.txt", "it was not kept"),
    ("/missing.txt", "HTTP Error 404"),
])
def test_bad_download_leaves_nothing(server: str, cache: Path, route: str, expected: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SHA1", hashlib.sha1(GOOD).hexdigest())
    monkeypatch.setenv(data.URL_ENV_VAR, server + route)
    with pytest.raises(DataError, match=expected):
        data.locate_corpus(None)
    assert _files(cache) == []  # no partial, no unverified file, no temp file


@pytest.mark.subprocess
def test_cli_reports_failed_download_in_one_line(server: str, tmp_path: Path) -> None:
    proc = run_cli(["train", "--epochs", "1"], env={
        "XDG_CACHE_HOME": str(tmp_path), data.URL_ENV_VAR: server + "/truncated.txt",
        data.ENV_VAR: ""})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: the download of"), proc.stderr
    assert "--data PATH" in lines[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "djl_bridge" / data.FILE_NAME).exists()


def test_corrupt_cached_file_is_dropped_and_fetched_again(server: str, cache: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SHA1", hashlib.sha1(GOOD).hexdigest())
    cache.mkdir(parents=True)
    (cache / data.FILE_NAME).write_bytes(GOOD[:-5])
    monkeypatch.setenv(data.URL_ENV_VAR, server + "/wrong.txt")
    with pytest.raises(DataError):
        data.locate_corpus(None)
    assert _files(cache) == []
    monkeypatch.setenv(data.URL_ENV_VAR, server + "/good.txt")
    assert data.locate_corpus(None).read_bytes() == GOOD


@pytest.mark.subprocess
def test_missing_data_file(tmp_path: Path) -> None:
    proc = run_cli(["train", "--epochs", "1", "--data", str(tmp_path / "nope.txt")])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"djl-bridge: error: corpus file not found: {tmp_path / 'nope.txt'} (from --data). Pass "
        "--data with the path of timemachine.txt, or leave it out to use the cache and download"]


@pytest.mark.subprocess
def test_sha1_mismatch_names_the_fix(tmp_path: Path, corpus: Path) -> None:
    other = tmp_path / "timemachine.txt"
    other.write_bytes(corpus.read_bytes().replace(b"Traveller", b"Travellor", 1))
    proc = run_cli(["train", "--epochs", "1", "--data", str(other)])
    assert proc.returncode == 1
    assert "is not the expected Time Machine text" in proc.stderr
    assert "--no-verify-data" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert other.read_bytes() != corpus.read_bytes()  # the user's file is left alone


# -- the cache in a bad place: one line naming the fix, the cache left as it was ----------

def _one_line(proc: "subprocess.CompletedProcess[str]") -> str:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    return lines[0]


@pytest.fixture()
def corpus_server(server: str, corpus: Path) -> str:
    """The server, also serving the real corpus at /corpus.txt (what the CLI verifies)."""
    body = corpus.read_bytes()
    _Handler.routes["/corpus.txt"] = (200, body, len(body))
    return server


def _train_from_cache(xdg: str, url: str) -> "subprocess.CompletedProcess[str]":
    return run_cli(["train", "--epochs", "1", "--hidden", "16", "--batch-size", "4",
                    "--num-steps", "5", "--max-tokens", "2000"],
                   env={"XDG_CACHE_HOME": xdg, data.URL_ENV_VAR: url, data.ENV_VAR: "",
                        "DJL_BRIDGE_CLASSPATH": "/nonexistent/classpath.txt"})


@pytest.mark.subprocess
@pytest.mark.parametrize("reachable", [True, False])
def test_xdg_cache_home_is_a_file(tmp_path: Path, corpus_server: str, reachable: bool) -> None:
    xdg = tmp_path / "not-a-dir"
    xdg.write_text("mine")
    url = corpus_server + "/corpus.txt" if reachable else "http://127.0.0.1:9/timemachine.txt"
    line = _one_line(_train_from_cache(str(xdg), url))
    assert f"the corpus cache {xdg / 'djl_bridge'} cannot be made, as {xdg} (from XDG_CACHE_HOME) " \
           "is a file, not a directory: set XDG_CACHE_HOME to a writable directory, or pass " \
           "--data PATH" in line
    assert xdg.read_text() == "mine"


@pytest.mark.subprocess
def test_xdg_cache_home_under_a_file(tmp_path: Path, corpus_server: str) -> None:
    (tmp_path / "f").write_text("mine")
    line = _one_line(_train_from_cache(str(tmp_path / "f" / "deeper"), corpus_server + "/corpus.txt"))
    assert f"as {tmp_path / 'f'} (from XDG_CACHE_HOME) is a file, not a directory" in line


@pytest.mark.subprocess
@pytest.mark.parametrize("xdg", ["/proc", "/proc/self"])
def test_cache_that_cannot_be_written(corpus_server: str, xdg: str) -> None:
    """/proc refuses new directories even to root, which ignores mode bits (a chmod'ed directory
    would not fail under root)."""
    line = _one_line(_train_from_cache(xdg, corpus_server + "/corpus.txt"))
    assert line.startswith(f"djl-bridge: error: cannot write the corpus cache in {xdg}/djl_bridge (")
    assert line.endswith("): set XDG_CACHE_HOME to a writable directory, or pass --data PATH "
                         "(or set DJL_BRIDGE_DATA)")


@pytest.mark.subprocess
@pytest.mark.parametrize("reachable", [True, False])
def test_cache_entry_is_a_directory(tmp_path: Path, corpus_server: str, reachable: bool) -> None:
    entry = tmp_path / "djl_bridge" / data.FILE_NAME
    entry.mkdir(parents=True)
    (entry / "keep.txt").write_text("mine")
    url = corpus_server + "/corpus.txt" if reachable else "http://127.0.0.1:9/timemachine.txt"
    line = _one_line(_train_from_cache(str(tmp_path), url))
    assert line == (f"djl-bridge: error: the cache entry {entry} is a directory, not the corpus "
                    f"file: remove it (rm -r {entry}), or set XDG_CACHE_HOME to a writable "
                    "directory, or pass --data PATH (or set DJL_BRIDGE_DATA)")
    assert (entry / "keep.txt").read_text() == "mine"  # nothing of the user's is removed
    assert sorted(p.name for p in entry.parent.iterdir()) == [data.FILE_NAME]  # no temp file


@pytest.mark.subprocess
def test_good_cache_still_downloads_and_verifies(tmp_path: Path, corpus_server: str,
                                                 corpus: Path) -> None:
    """The checks above do not stand in the way of a cache that works (the run stops at the
    missing Java build, after the corpus is in place)."""
    proc = _train_from_cache(str(tmp_path / "fresh" / "xdg"), corpus_server + "/corpus.txt")
    assert "the Java side is not built" in proc.stderr, proc.stderr
    cached = tmp_path / "fresh" / "xdg" / "djl_bridge" / data.FILE_NAME
    assert cached.read_bytes() == corpus.read_bytes()
    assert sorted(p.name for p in cached.parent.iterdir()) == [data.FILE_NAME]


# -- a corpus that is not UTF-8 -----------------------------------------------------------------

@pytest.mark.subprocess
@pytest.mark.parametrize("body, bad, offset", [
    (b"\xff\xfe abc", 0xff, 0),
    ("caf\u00e9 au lait\nthe time machine\n".encode("latin-1"), 0xe9, 3),
    (b"the time machine\n" * 5000 + b"\x80", 0x80, 17 * 5000),   # past the first chunk
    (b"ab\xe2\x82", 0xe2, 2),                                     # cut inside a character
])
def test_not_utf8_is_one_line_before_the_jvm(tmp_path: Path, body: bytes, bad: int,
                                             offset: int) -> None:
    text = tmp_path / "other.txt"
    text.write_bytes(body)
    proc = run_cli(["train", "--epochs", "1", "--data", str(text), "--no-verify-data"],
                   env={"DJL_BRIDGE_CLASSPATH": "/nonexistent/classpath.txt"})
    assert _one_line(proc) == (
        f"djl-bridge: error: {text} is not UTF-8 text (invalid byte 0x{bad:02x} at offset "
        f"{offset}): save it as UTF-8, or pass the D2L timemachine.txt")
    assert text.read_bytes() == body


def test_utf8_offsets_across_chunks(tmp_path: Path) -> None:
    text = tmp_path / "t.txt"
    body = "é".encode() * 10 + b"\xc3"   # 2-byte characters cut by 3-byte chunks, then a cut one
    text.write_bytes(body)
    for chunk in (1, 2, 3, 7, 1 << 16):
        with pytest.raises(DataError, match=r"invalid byte 0xc3 at offset 20\)"):
            for _ in data.iter_text(text, chunk_bytes=chunk):
                pass
    text.write_bytes("é".encode() * 10 + b"x\xa9y")
    with pytest.raises(DataError, match=r"invalid byte 0xa9 at offset 21\)"):
        data.check_utf8(text)
    text.write_bytes("é".encode() * 10)
    data.check_utf8(text)
    assert "".join(data.iter_text(text, chunk_bytes=3)) == "é" * 10


@pytest.mark.subprocess
def test_data_that_is_not_a_file_is_one_line(tmp_path: Path) -> None:
    line = one_error(run_cli(["train", *TINY, "--epochs", "1", "--data", str(tmp_path)]))
    assert f"the corpus {tmp_path} (from --data) is a directory" in line
    line = one_error(run_cli(["train", *TINY, "--epochs", "1", "--data", "/dev/zero"]))
    assert "is not a regular file" in line  # not a SHA-1 over an endless device
