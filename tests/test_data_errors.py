"""The corpus: missing files, wrong SHA-1, and the real download code against a small HTTP server
on 127.0.0.1 that serves a truncated body, wrong bytes or a 404. The cache never keeps a partial or
unverified file."""
from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path
from typing import Iterator

import pytest

from djl_bridge import data
from djl_bridge.errors import DataError

from .conftest import run_cli

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


def test_missing_data_file(tmp_path: Path) -> None:
    proc = run_cli(["train", "--epochs", "1", "--data", str(tmp_path / "nope.txt")])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"djl-bridge: error: corpus file not found: {tmp_path / 'nope.txt'} (from --data). Pass "
        "--data with the path of timemachine.txt, or leave it out to use the cache and download"]


def test_sha1_mismatch_names_the_fix(tmp_path: Path, corpus: Path) -> None:
    other = tmp_path / "timemachine.txt"
    other.write_bytes(corpus.read_bytes().replace(b"Traveller", b"Travellor", 1))
    proc = run_cli(["train", "--epochs", "1", "--data", str(other)])
    assert proc.returncode == 1
    assert "is not the expected Time Machine text" in proc.stderr
    assert "--no-verify-data" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert other.read_bytes() != corpus.read_bytes()  # the user's file is left alone
