"""Issue 16, part B: a checkpoint is read once, as what it claims, and Java never misreads a
user's path. A checkpoint is a directory a user may be sent, or one another run is writing:

- the lock never writes through a link, a FIFO, a device or another file's hard link (item 4);
- only regular files are read, never blocking, each named when it is not one (item 5);
- one manifest covers the config and every file, and every size is checked against it and the
  model it names before anything is hashed or built (item 6);
- the bytes that were verified are the bytes the Java side loads (item 7);
- a directory being written and pruned by another run is read consistently (item 8);
- non-ASCII paths under ``LC_ALL=C`` train, resume and predict (item 9);
- a refused write says what to fix by its cause, an object-array NPZ is named (item 18).

Each test would fail on the code before this change. The machine these run on lets root do what
an attacker with a shell could (mknod, links); the lock tests run as root there too."""
from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from djl_bridge import checkpoint
from djl_bridge.config import TrainConfig
from djl_bridge.errors import CheckpointError

from .conftest import ROOT, fake_params, run_cli

VOCAB = ["<unk>", " ", "a", "b"]
TINY = ["--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800",
        "--threads", "1"]


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text, text
    return text


def _write(root: Path, epoch: int = 1, impl: str = "scratch", **config: object) -> Path:
    """One checkpoint of a small model (its parameter file made in Python) into ``root``;
    returns its epoch directory."""
    cfg = TrainConfig(impl=impl, hidden=16, data=root / "t.txt", **config)  # type: ignore[arg-type]
    data = fake_params(cfg, VOCAB, seed=epoch)
    return checkpoint.write_checkpoint(root, cfg, epoch, [9.0] * epoch, [100.0] * epoch, VOCAB,
                                       lambda f: f.write_bytes(data))


def _edit_meta(ckpt: Path, change: Callable[[dict], None], *, manifest: bool = True) -> None:
    """Changes ``checkpoint.json`` of ``ckpt``; with ``manifest``, records the matching
    manifest SHA-256 too, as a checkpoint crafted to lie consistently would."""
    meta_file = ckpt / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    change(meta)
    if manifest:
        meta["manifest_sha256"] = checkpoint.layout.manifest_digest(meta)
    meta_file.write_text(json.dumps(meta))


def _record(ckpt: Path, name: str) -> None:
    """Records the size and SHA-256 ``name`` has now, and the manifest that goes with them."""
    data = (ckpt / name).read_bytes()

    def change(meta: dict) -> None:
        meta["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    _edit_meta(ckpt, change)


_CHILD_READ = textwrap.dedent("""
    import sys
    from djl_bridge.checkpoint import read_checkpoint
    from djl_bridge.errors import CheckpointError
    try:
        read_checkpoint(sys.argv[1])
    except CheckpointError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print("read")
""")


def _read_in_child(path: Path, timeout: float = 60) -> str:
    """Reads the checkpoint ``path`` in a fresh process (a hang there cannot hang the tests):
    returns its one error line; fails when it hangs or reads the checkpoint."""
    try:
        proc = subprocess.run([sys.executable, "-c", _CHILD_READ, str(path)], capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path} hung for {timeout} s")
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------
# 4. The lock never follows a link


@pytest.mark.parametrize("case, kind", [
    ("link", "a symbolic link"),
    ("dangling link", "a symbolic link"),
    ("hard link", "a file with 2 hard links"),
    ("fifo", "a FIFO"),
    ("directory", "a directory"),
])
def test_the_lock_never_writes_through_what_it_finds(tmp_path: Path, case: str,
                                                     kind: str) -> None:
    root = tmp_path / "ck"
    root.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("precious\n")
    nowhere = tmp_path / "created-by-nobody"
    lock = root / ".lock"
    if case == "link":
        lock.symlink_to(precious)
    elif case == "dangling link":
        lock.symlink_to(nowhere)
    elif case == "hard link":
        os.link(precious, lock)
    elif case == "fifo":
        os.mkfifo(lock)
    else:
        lock.mkdir()
    with pytest.raises(CheckpointError) as info:
        checkpoint.CheckpointLock(root).acquire()
    assert _one_line(info.value) == (
        f"{lock} is {kind}, not a lock file djl-bridge made, and is never written through: "
        "remove it, or pick another --checkpoint-dir")
    assert precious.read_text() == "precious\n"
    assert not nowhere.exists()
    assert not checkpoint.holds_lock(root)
    assert os.path.lexists(lock)  # not removed either: it is not djl-bridge's


def test_train_into_a_directory_whose_lock_is_a_link(corpus: Path, tmp_path: Path) -> None:
    """The reported case: the run used to succeed and overwrite v.txt with the lock's JSON."""
    ck = tmp_path / "ck"
    ck.mkdir()
    victim = tmp_path / "v.txt"
    victim.write_text("precious\n")
    (ck / ".lock").symlink_to(victim)
    proc = run_cli(["train", *TINY, "--epochs", "2", "--data", str(corpus),
                    "--checkpoint-dir", str(ck)])
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == (
        f"djl-bridge: error: {ck / '.lock'} is a symbolic link, not a lock file djl-bridge made, "
        "and is never written through: remove it, or pick another --checkpoint-dir"), proc.stderr
    assert victim.read_text() == "precious\n"
    assert "epoch 1/" not in proc.stderr  # refused before any training


