"""Every JSON djl-bridge reads goes through one bounded reader (djl_bridge/jsonfile.py): deep
nesting, huge size, NaN, odd bytes give one line, never "internal error (RecursionError ...)"
(issue 25 item 12)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from djl_bridge import jsonfile
from djl_bridge.checkpoint import checks, lock
from djl_bridge.errors import CheckpointError

from .conftest import one_error, run_cli

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("data, reason", [
    (DEEP, "is nested more than 64 levels deep"),
    (b'{"a": ' * 70 + b"1" + b"}" * 70, "is nested more than 64 levels deep"),
    (b'{"a": NaN}', "is not valid JSON (NaN is not a JSON number)"),
    (b"[Infinity]", "is not valid JSON (Infinity is not a JSON number)"),
    (b"1" * 5000, "is not valid JSON"),  # more digits than int() converts
    (b'{"a": "\xff"}', "is not UTF-8 text"),
    (b'{"a": 1', "is not valid JSON"),
    (b"x" * 2000, "is 2000 bytes, more than 1000"),
])
def test_the_reader_says_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(jsonfile.JsonFileError, match="^" + reason.replace("(", r"\(")
                       .replace(")", r"\)")):
        jsonfile.parse(data, 1000 if len(data) == 2000 else 1 << 20)


def test_brackets_inside_strings_are_not_nesting() -> None:
    assert jsonfile.parse(b'{"a": "' + b"[" * 500 + b'"}', 1 << 20) == {"a": "[" * 500}
    assert jsonfile.parse(b'["\\"[[[[", {"b": [1, 2]}]', 1000) == ['"[[[[', {"b": [1, 2]}]


@pytest.mark.subprocess
def test_a_deep_checkpoint_json_is_one_line(tmp_path: Path) -> None:
    epoch = tmp_path / "ck" / "epoch-000001"
    epoch.mkdir(parents=True)
    (epoch / "checkpoint.json").write_bytes(DEEP)
    line = one_error(run_cli(["predict", "--checkpoint", str(epoch)]))
    assert "checkpoint.json is nested more than 64 levels deep" in line


def test_a_deep_vocabulary_is_a_checkpoint_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="vocab.json is nested more than 64 levels deep"):
        checks.parse_vocab(tmp_path, DEEP)


def test_a_deep_lock_file_names_no_holder(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    path.write_bytes(b"[" * 4096)  # a lock file is read 4096 bytes at most
    fd = os.open(path, os.O_RDONLY)
    try:
        assert lock._read_holder(fd) == "pid unknown"  # was RecursionError
    finally:
        os.close(fd)
