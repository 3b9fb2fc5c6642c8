"""Writing a checkpoint and the run's other outputs: one writer per checkpoint directory, no
silent mixing of two runs, outputs proven writable before training, failed writes that keep the
previous checkpoint, and damage that is found instead of used. Plain functions on real files (a
real tmpfs where mounting is allowed); the few that need Java say so. At the end the same
promises through the real CLI (fresh processes, real JVMs)."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from djl_bridge import checkpoint
from djl_bridge.config import CLI_NAMES, TrainConfig
from djl_bridge.errors import CheckpointError, ConfigError

from .conftest import ROOT, TINY, Child, cli_json, fake_params, one_error, run_cli

VOCAB = ["<unk>", " ", "a", "b"]


def _write(root: Path, epoch: int, impl: str = "concise", payload: bytes = b"",
           writer: Callable[..., Path] | None = None, **config: object) -> Path:
    """One checkpoint with ``payload`` (default: some bytes that depend on the epoch) as its
    parameter file."""
    cfg = TrainConfig(impl=impl, hidden=16, data=root / "t.txt", **config)  # type: ignore[arg-type]
    data = payload or fake_params(cfg, VOCAB, seed=epoch)
    write = writer or (lambda *a: checkpoint.write_checkpoint(root, *a))
    return write(cfg, epoch, [9.0] * epoch, [100.0] * epoch, VOCAB,
                 lambda f: f.write_bytes(data))


def _names(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name != ".lock")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text, text
    return text


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# ---------------------------------------------------------------------------------------------
# 1. One writer per directory; a new run does not mix with an old one


def test_lock_refuses_a_second_writer_in_the_same_process(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    with checkpoint.CheckpointLock(root, command="djl-bridge train --checkpoint-dir ck"):
        with pytest.raises(CheckpointError) as info:
            checkpoint.CheckpointLock(root).acquire()
        msg = _one_line(info.value)
        assert msg.startswith(f"{root} is in use by another djl-bridge run (pid {os.getpid()}, "
                              "started ")
        assert "djl-bridge train --checkpoint-dir ck" in msg
        assert msg.endswith(": wait for it to finish or pick another RunOptions.checkpoint_dir")
        assert checkpoint.holds_lock(root)
    assert not (root / ".lock").exists() and not checkpoint.holds_lock(root)  # removed on release
    with checkpoint.CheckpointLock(root):  # free again
        pass


@pytest.mark.subprocess
def test_lock_between_two_processes_and_after_kill_9(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    holder = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from djl_bridge.checkpoint import CheckpointLock
        with CheckpointLock(Path(sys.argv[1]), command="the holder"):
            print("locked", flush=True)
            time.sleep(120)
    """)
    child = subprocess.Popen([sys.executable, "-c", holder, str(root)], stdout=subprocess.PIPE,
                             text=True, env=_child_env(), cwd=ROOT)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with pytest.raises(CheckpointError) as info:
            checkpoint.CheckpointLock(root).acquire()
        msg = _one_line(info.value)
        assert f"is in use by another djl-bridge run (pid {child.pid}, started " in msg
        assert "the holder" in msg
        child.send_signal(signal.SIGKILL)  # no chance to clean up: the kernel drops the flock
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert (root / ".lock").exists()  # left behind, but no longer locked
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    with checkpoint.CheckpointLock(root) as lock:
        assert lock.held
        holder_info = json.loads((root / ".lock").read_text())
        assert holder_info["pid"] == os.getpid()


def test_a_lock_file_removed_by_its_last_holder_is_not_taken(tmp_path: Path) -> None:
    """The holder removes .lock as it lets go; an opener that got the old file just before
    must not end up holding a lock on a file nobody else sees."""
    import fcntl

    root = tmp_path / "ck"
    first = checkpoint.CheckpointLock(root).acquire()
    stale = os.open(root / ".lock", os.O_RDWR)  # opened just before the first holder lets go
    first.release()

    pending = [stale]

    class Late(checkpoint.CheckpointLock):
        def _open_and_lock(self) -> int:
            if pending:
                fd = pending.pop()
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # succeeds: nobody locks it now
                return fd
            return super()._open_and_lock()

    with Late(root):
        assert (root / ".lock").exists()  # it locked a new file, which others see
        with pytest.raises(CheckpointError, match="is in use by another djl-bridge run"):
            checkpoint.CheckpointLock(root).acquire()


@pytest.mark.subprocess
def test_a_second_writer_can_no_longer_delete_the_first_ones_files(tmp_path: Path) -> None:
    """The reported race: run B wrote into A's directory while A was writing; B's pruning removed
    A's temporary directory and A died with a FileNotFoundError traceback. Now B is refused and A
    finishes its checkpoint."""
    root = tmp_path / "ck"
    second_writer = textwrap.dedent("""
        import sys
        from pathlib import Path
        from djl_bridge import checkpoint
        from djl_bridge.config import TrainConfig
        from djl_bridge.errors import BridgeError
        try:
            checkpoint.write_checkpoint(Path(sys.argv[1]), TrainConfig(impl="concise"), 1, [9.0],
                                        [1.0], ["<unk>", "a"], lambda f: f.write_bytes(b"B"))
        except BridgeError as exc:
            print(f"djl-bridge: error: {exc}", file=sys.stderr)
            sys.exit(1)
    """)
    seen: list[subprocess.CompletedProcess[str]] = []
    payload = fake_params(TrainConfig(impl="concise", hidden=16), VOCAB)
    half = len(payload) // 2

    def slow_params(f: Path) -> None:  # run A, in the middle of writing its parameters
        f.write_bytes(payload[:half])
        seen.append(subprocess.run([sys.executable, "-c", second_writer, str(root)],
                                   capture_output=True, text=True, env=_child_env(), cwd=ROOT,
                                   timeout=120))
        with f.open("ab") as fh:
            fh.write(payload[half:])

    _write(root, 2, payload=b"", writer=lambda *a: checkpoint.write_checkpoint(
        root, *a[:-1], slow_params))
    (b,) = seen
    assert b.returncode == 1
    lines = b.stderr.strip().splitlines()
    assert len(lines) == 1 and "is in use by another djl-bridge run" in lines[0], b.stderr
    ck = checkpoint.read_checkpoint(root)
    assert ck.epochs_done == 2 and ck.params_file.read_bytes() == payload
    assert _names(root) == ["LATEST", "epoch-000002"]


def test_a_new_run_may_use_a_missing_empty_or_unrelated_directory(tmp_path: Path) -> None:
    assert checkpoint.check_new_run(tmp_path / "missing") is False
    (tmp_path / "empty").mkdir()
    assert checkpoint.check_new_run(tmp_path / "empty") is False
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.txt").write_text("my runs\n")
    assert checkpoint.check_new_run(tmp_path / "notes") is False


def test_a_new_run_refuses_a_directory_with_another_runs_checkpoints(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 3, model="lstm")
    with pytest.raises(CheckpointError) as info:
        checkpoint.CheckpointWriter(root).open()
    assert _one_line(info.value) == (
        f"{root} already holds the checkpoints of another run (epoch 3, concise lstm, 16 hidden): "
        f"continue it with `djl_bridge.resume('{root}')`, replace it with "
        "RunOptions.overwrite=True, or pick another RunOptions.checkpoint_dir")
    assert not checkpoint.holds_lock(root)  # a refused writer does not keep the lock
    assert checkpoint.read_checkpoint(root).epochs_done == 3  # untouched
    (root / "LATEST").write_bytes(b"\xff\xfe")  # a damaged one is still another run's
    with pytest.raises(CheckpointError, match=r"LATEST, epoch-000003; unreadable\): continue it with"):
        checkpoint.check_new_run(root)
    with pytest.raises(CheckpointError) as info:  # the CLI's words
        checkpoint.check_new_run(root, names=CLI_NAMES)
    assert _one_line(info.value).endswith(
        f"continue it with `djl-bridge train --resume {root}`, replace it with --overwrite, or "
        "pick another --checkpoint-dir")


def test_overwrite_replaces_the_old_run_only_at_the_first_new_checkpoint(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    for epoch in (9, 10):
        _write(root, epoch)
    with checkpoint.CheckpointWriter(root, overwrite=True) as writer:
        assert checkpoint.read_checkpoint(root).epochs_done == 10  # nothing removed yet

        def full(f: Path) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        with pytest.raises(CheckpointError):
            writer.write(TrainConfig(impl="concise"), 1, [5.0], [1.0], VOCAB, full)
        assert _names(root) == ["LATEST", "epoch-000009", "epoch-000010"]  # still the old run
        assert checkpoint.read_checkpoint(root).epochs_done == 10
        for epoch in (1, 2, 3):
            _write(root, epoch, writer=writer.write)
            assert checkpoint.read_checkpoint(root).epochs_done == epoch
        assert _names(root) == ["LATEST", "epoch-000002", "epoch-000003"]  # no old epoch left


def test_resuming_writer_continues_in_its_own_directory(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    for epoch in (1, 2):
        _write(root, epoch)
    with checkpoint.CheckpointWriter(root, resuming=True) as writer:
        _write(root, 3, writer=writer.write)
        _write(root, 4, writer=writer.write)
    assert _names(root) == ["LATEST", "epoch-000003", "epoch-000004"]
    assert checkpoint.checkpoint_root(root / "epoch-000004") == root
    assert checkpoint.checkpoint_root(root) == root


def test_prune_survives_entries_that_vanish_or_cannot_be_removed(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 1)
    (root / ".epoch-000007.abc.tmp").mkdir()  # a temporary of a writer killed mid-write
    (root / ".epoch-000008.abc.tmp").write_text("a file, not a directory")
    (root / "epoch-000005").mkdir()  # incomplete: not counted, not removed
    checkpoint.layout.prune(root / "gone", keep_name="epoch-000001")  # a missing root: no error
    _write(root, 2)
    assert _names(root) == ["LATEST", "epoch-000001", "epoch-000002", "epoch-000005"]


# ---------------------------------------------------------------------------------------------
# 2. Outputs proven writable before the JVM starts


def test_checkpoint_dir_is_created_and_probed(tmp_path: Path) -> None:
    from djl_bridge.outputs import check_checkpoint_dir

    target = tmp_path / "a" / "b" / "ck"
    assert check_checkpoint_dir(target) == target
    assert target.is_dir() and list(target.iterdir()) == []  # the probe file is gone


@pytest.mark.parametrize("case, expected", [
    ("file", "--checkpoint-dir {p} is a file, not a directory: pass a directory"),
    ("under-file", "--checkpoint-dir {p}: {f} is a file, so no directory can be made under it: "
                   "pick another --checkpoint-dir"),
    ("proc", "--checkpoint-dir {p}: the directory cannot be created ("),
    ("proc-dir", "--checkpoint-dir {p} is not writable ("),
])
def test_checkpoint_dir_that_cannot_be_written(tmp_path: Path, case: str, expected: str) -> None:
    from djl_bridge.outputs import check_checkpoint_dir

    f = tmp_path / "afile"
    f.write_text("x")
    p = {"file": f, "under-file": f / "sub" / "ck", "proc": Path("/proc/djl-bridge-test/ck"),
         "proc-dir": Path("/proc/self")}[case]
    with pytest.raises(ConfigError) as info:
        check_checkpoint_dir(p, CLI_NAMES)
    assert _one_line(info.value).startswith(expected.format(p=p, f=f))


def test_checkpoint_dir_on_a_read_only_file_system(tmpfs: Callable[[str], Path]) -> None:
    from djl_bridge.outputs import check_checkpoint_dir

    ro = tmpfs("ro")
    with pytest.raises(ConfigError) as info:
        check_checkpoint_dir(ro, CLI_NAMES)
    assert _one_line(info.value) == (f"--checkpoint-dir {ro} is not writable (Read-only file "
                                     "system): pick another --checkpoint-dir, or make it writable")
    with pytest.raises(ConfigError) as info:  # the API's words: the field, not the flag
        check_checkpoint_dir(ro)
    assert _one_line(info.value) == (f"RunOptions.checkpoint_dir {ro} is not writable (Read-only "
                                     "file system): pick another RunOptions.checkpoint_dir, or "
                                     "make it writable")
    with pytest.raises(ConfigError,
                       match=r"the directory cannot be created \(Read-only file system"):
        check_checkpoint_dir(ro / "ck")


@pytest.mark.parametrize("case, expected", [
    ("dir", "--plot {p} is a directory: give a file name, e.g. {p}/perplexity.png"),
    ("png-dir", "--plot {p} is a directory: give a file name"),
    ("under-file", "--plot {p}: {f} is a file, not a directory: pick another place for the file"),
    ("missing", "--plot {p}: the directory {d} does not exist; create it"),
    ("proc", "--plot {p}: the directory /proc is not writable ("),
    ("jpg", "--plot {p}: the file name must end in .png"),
])
def test_plot_target_that_cannot_be_written(tmp_path: Path, case: str, expected: str) -> None:
    from djl_bridge.plot import check_target

    f = tmp_path / "afile"
    f.write_text("x")
    (tmp_path / "curve.png").mkdir()
    p = {"dir": tmp_path, "png-dir": tmp_path / "curve.png", "under-file": f / "curve.png",
         "missing": tmp_path / "no" / "curve.png", "proc": Path("/proc/curve.png"),
         "jpg": tmp_path / "curve.jpg"}[case]
    with pytest.raises(ConfigError) as info:
        check_target(p)
    assert _one_line(info.value).startswith(expected.format(p=p, f=f, d=p.parent))


def test_plot_target_fine_and_on_a_read_only_file_system(
        tmp_path: Path, tmpfs: Callable[[str], Path]) -> None:
    from djl_bridge.plot import check_target

    check_target(tmp_path / "curve.png")
    assert list(tmp_path.iterdir()) == []  # no probe left behind
    ro = tmpfs("ro")
    with pytest.raises(ConfigError) as info:
        check_target(ro / "curve.png")
    assert _one_line(info.value) == (f"--plot {ro / 'curve.png'}: the directory {ro} is not "
                                     "writable (Read-only file system): pick a writable place "
                                     "for the file")


# ---------------------------------------------------------------------------------------------
# 3. A failed write keeps the previous checkpoint and says so in one line


def _intact(root: Path, epoch: int, latest_before: bytes) -> None:
    assert _names(root) == ["LATEST", checkpoint.epoch_dir_name(epoch)]  # no temporary left
    assert (root / "LATEST").read_bytes() == latest_before
    assert checkpoint.read_checkpoint(root).epochs_done == epoch


def test_a_full_disk_keeps_the_previous_checkpoint(tmpfs: Callable[[str], Path]) -> None:
    root = tmpfs("size=64k")
    _write(root, 1)
    before = (root / "LATEST").read_bytes()
    with pytest.raises(CheckpointError) as info:
        _write(root, 2, payload=os.urandom(256 * 1024))  # a real ENOSPC from the kernel
    assert _one_line(info.value) == (
        f"could not write the checkpoint of epoch 2 into {root}: No space left on device: free "
        "space or pick another RunOptions.checkpoint_dir; the checkpoint of epoch 1 is intact")
    assert isinstance(info.value, OSError)  # also an OSError, as the failure it reports
    _intact(root, 1, before)


def test_an_oserror_from_write_params_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 4)
    before = (root / "LATEST").read_bytes()

    def full(f: Path) -> None:
        f.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(f))

    with pytest.raises(CheckpointError) as info:
        _write(root, 5, writer=lambda *a: checkpoint.write_checkpoint(root, *a[:-1], full))
    assert _one_line(info.value).endswith(
        "No space left on device: free space or pick another RunOptions.checkpoint_dir; the "
        "checkpoint of epoch 4 is intact")
    _intact(root, 4, before)


def test_a_failed_latest_update_keeps_latest_and_drops_the_new_epoch(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ck"
    _write(root, 1)
    before = (root / "LATEST").read_bytes()

    def no_space(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(checkpoint.files, "atomic_write_text", no_space)
    with pytest.raises(CheckpointError, match="the checkpoint of epoch 1 is intact$"):
        _write(root, 2)
    _intact(root, 1, before)


def test_a_failed_first_write_says_nothing_was_kept(tmp_path: Path) -> None:
    root = tmp_path / "ck"

    def broken(f: Path) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    with pytest.raises(CheckpointError) as info:
        _write(root, 1, writer=lambda *a: checkpoint.write_checkpoint(root, *a[:-1], broken))
    assert _one_line(info.value) == (
        f"could not write the checkpoint of epoch 1 into {root}: Input/output error: free space "
        "or pick another RunOptions.checkpoint_dir; no earlier checkpoint was written")
    assert _names(root) == []


def test_a_bug_in_write_params_is_not_disguised(tmp_path: Path) -> None:
    def bug(f: Path) -> None:
        raise TypeError("a bug")

    with pytest.raises(TypeError, match="a bug"):
        _write(tmp_path, 1, writer=lambda *a: checkpoint.write_checkpoint(tmp_path, *a[:-1], bug))
    assert _names(tmp_path) == []


def test_a_java_ioexception_on_a_full_disk(jvm: None, corpus: Path,
                                           tmpfs: Callable[[str], Path]) -> None:
    """The real path: the Java side writes the parameters into a full file system."""
    from djl_bridge import bridge
    from djl_bridge.session import prepare

    root = tmpfs("size=64k")
    config = prepare(TrainConfig(impl="concise", model="gru", hidden=64, batch_size=4,
                                 num_steps=5, max_tokens=800, epochs=1, data=corpus))
    session = bridge.Session.open(config)
    try:
        session.train(1)
        vocab = session.vocab()
        (root / "filler").write_bytes(b"\0" * (60 * 1024))  # leave a few KiB
        java_writes = session.write_last_good

        with pytest.raises(CheckpointError) as info:
            checkpoint.write_checkpoint(root, config, 1, [9.0], [1.0], vocab, java_writes)
    finally:
        session.close()
    assert _one_line(info.value) == (
        f"could not write the checkpoint of epoch 1 into {root}: No space left on device: free "
        "space or pick another RunOptions.checkpoint_dir; no earlier checkpoint was written")
    assert sorted(p.name for p in root.iterdir()) == ["filler"]


# ---------------------------------------------------------------------------------------------
# 4. Damage is found, named and refused


@pytest.mark.parametrize("impl, name", [("concise", "model.params"), ("scratch", "params.npz"),
                                        ("concise", "vocab.json")])
def test_a_flipped_byte_is_found(tmp_path: Path, impl: str, name: str) -> None:
    root = tmp_path / "ck"
    _write(root, 5, impl=impl)
    target = root / "epoch-000005" / name
    data = bytearray(target.read_bytes())
    expected = hashlib.sha256(data).hexdigest()
    if name == "vocab.json":  # still a valid vocabulary, just another one
        data = bytearray(bytes(data).replace(b'"a"', b'"c"'))
    else:
        data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    assert _one_line(info.value) == (
        f"{target} is damaged (SHA-256 mismatch: expected {expected}, got "
        f"{hashlib.sha256(data).hexdigest()}): use another checkpoint or train again")


def test_a_truncated_or_missing_params_file_is_found(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 2)
    params = root / "epoch-000002" / "model.params"
    size = params.stat().st_size
    params.write_bytes(params.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=rf"is damaged \(100 bytes, {size} were written\)"):
        checkpoint.read_checkpoint(root)
    params.unlink()
    with pytest.raises(CheckpointError, match=f"{params} is missing: the checkpoint is incomplete"):
        checkpoint.read_checkpoint(root / "epoch-000002")


@pytest.mark.parametrize("content", [b"", b'{"format": "djl-bridge-checkpoint", "vers',
                                     b"garbage\n", b"\x89PNG\r\n\x1a\n\x00\xff", b"[1, 2]",
                                     b"null", b'{"format": "other"}',
                                     b'{"format": "djl-bridge-checkpoint", "version": "2"}'])
def test_a_damaged_checkpoint_json_gives_one_line(tmp_path: Path, content: bytes) -> None:
    root = tmp_path / "ck"
    _write(root, 1)
    (root / "epoch-000001" / "checkpoint.json").write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    assert _one_line(info.value).startswith(
        f"{root / 'epoch-000001'} is not a readable djl-bridge checkpoint (")


@pytest.mark.parametrize("case, detail", [
    ("nowhere", "is damaged (it names epoch-000099, which is not a complete checkpoint in"),
    ("binary", "is damaged (not text)"),
    ("directory", "is damaged (not a file: a directory)"),
    ("empty", "is damaged (it holds '', not an epoch-N name)"),
    ("junk", "is damaged (it holds '../../etc', not an epoch-N name)"),
])
def test_a_damaged_latest_gives_one_line(tmp_path: Path, case: str, detail: str) -> None:
    root = tmp_path / "ck"
    _write(root, 1)
    _write(root, 2)
    latest = root / "LATEST"
    latest.unlink()
    if case == "directory":
        latest.mkdir()
    else:
        latest.write_bytes({"nowhere": b"epoch-000099\n", "binary": b"\xff\xd8\xff\xe0\x00",
                            "empty": b"", "junk": b"../../etc\n"}[case])
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    msg = _one_line(info.value)
    assert msg.startswith(f"{latest} {detail}"), msg
    assert msg.endswith(f"pass one of its checkpoints directly (e.g. {root / 'epoch-000002'}), or "
                        f"delete {latest} to use the newest one")


def test_no_latest_after_a_crash_between_the_renames_uses_the_newest(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 1)
    _write(root, 2)
    (root / "LATEST").unlink()
    assert checkpoint.read_checkpoint(root).epochs_done == 2


def test_checkpoint_versions(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    _write(root, 3)
    assert checkpoint.read_checkpoint(root).verified
    meta_file = root / "epoch-000003" / "checkpoint.json"
    meta = json.loads(meta_file.read_text())
    assert meta["version"] == checkpoint.VERSION == 3
    assert meta["config"]["layers"] == 1 and meta["config"]["bidirectional"] is False
    assert set(meta["files"]) == {"model.params", "vocab.json"}
    assert meta["manifest_sha256"] == checkpoint.layout.manifest_digest(meta)
    second = {k: v for k, v in meta.items() if k != "manifest_sha256"}
    # version 2, as djl-bridge wrote it: no manifest, no layers, no bidirectional in the config
    one_layer = {k: v for k, v in meta["config"].items() if k not in ("layers", "bidirectional")}
    meta_file.write_text(json.dumps({**second, "version": 2, "config": one_layer}))
    ck = checkpoint.read_checkpoint(root)
    assert ck.epochs_done == 3 and ck.verified and ck.version == 2 and ck.warning is None
    assert ck.config.layers == 1 and ck.config.bidirectional is False
    older = {k: v for k, v in second.items() if k != "files"}
    meta_file.write_text(json.dumps({**older, "version": 1, "config": one_layer}))  # version 1
    ck = checkpoint.read_checkpoint(root)
    assert ck.epochs_done == 3 and not ck.verified and ck.version == 1 and ck.config.layers == 1
    assert ck.warning == (f"{ck.path} is a version-1 checkpoint, written before checkpoints "
                          "carried SHA-256 sums: its files cannot be checked for damage (a "
                          "resumed run writes version-3 checkpoints)")
    meta_file.write_text(json.dumps({**meta, "version": 4}))
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    assert _one_line(info.value) == (
        f"{ck.path} was written by a newer djl-bridge (checkpoint version 4; this one reads "
        "versions 1 to 3): upgrade djl-bridge, or train again")
    meta_file.write_text(json.dumps(older | {"version": 2}))  # version 2 without its sums
    with pytest.raises(CheckpointError, match=r"checkpoint.json lists no files"):
        checkpoint.read_checkpoint(root)
    meta_file.write_text(json.dumps(second | {"version": 3}))  # version 3 without its manifest
    with pytest.raises(CheckpointError, match=r"checkpoint.json has no manifest_sha256"):
        checkpoint.read_checkpoint(root)


@pytest.mark.subprocess
def test_predict_refuses_a_damaged_concise_model(corpus: Path, tmp_path: Path) -> None:
    """The reported case, end to end: flipped bytes in model.params used to give garbage
    predictions and exit 0."""
    root = tmp_path / "ck"
    train = run_cli(["train", "--impl", "concise", "--model", "gru", *TINY, "--epochs", "2",
                     "--data", str(corpus), "--checkpoint-dir", str(root), "--json"])
    assert train.returncode == 0, train.stderr
    params = root / "epoch-000002" / "model.params"
    data = bytearray(params.read_bytes())
    data[-5] ^= 0x40  # a weight near the end: the file still loads
    params.write_bytes(bytes(data))
    proc = run_cli(["predict", "--checkpoint", str(root), "--prefix", "time traveller"])
    assert proc.returncode == 1, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"djl-bridge: error: {params} is damaged (SHA-256 mismatch: ")


# ---------------------------------------------------------------- one writer per checkpoint dir

@pytest.mark.subprocess
def test_a_second_writer_is_refused_and_the_first_is_unharmed(corpus: Path,
                                                              tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    first = Child(["train", *TINY, "--data", str(corpus), "--epochs", "100000", "--save-every",
                   "1", "--checkpoint-dir", str(ck)])
    first.wait_for(lambda: checkpoint.find_latest(ck) is not None)
    line = one_error(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "2",
                              "--checkpoint-dir", str(ck), "--overwrite"]))
    assert f"{ck} is in use by another djl-bridge run (pid {first.proc.pid}" in line
    assert first.proc.poll() is None  # still training
    first.proc.send_signal(signal.SIGINT)
    code, _, err = first.finish()
    assert code == 130 and "Traceback" not in err, err
    assert checkpoint.read_checkpoint(ck).epochs_done >= 1


@pytest.mark.subprocess
def test_a_new_run_into_another_runs_directory_is_refused(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "2", "--checkpoint-dir",
                      str(ck), "--json"]))
    line = one_error(run_cli(["train", *TINY, "--model", "rnn", "--data", str(corpus),
                              "--epochs", "1", "--checkpoint-dir", str(ck)]))
    assert f"{ck} already holds the checkpoints of another run" in line
    assert "--resume" in line and "--overwrite" in line
    out = cli_json(run_cli(["train", *TINY, "--model", "rnn", "--data", str(corpus), "--epochs",
                            "1", "--checkpoint-dir", str(ck), "--overwrite", "--json"]))
    assert out["epochs_done"] == 1
    assert sorted(p.name for p in ck.iterdir() if not p.name.startswith(".")) == \
        ["LATEST", "epoch-000001"]
    assert checkpoint.read_checkpoint(ck).config.model == "rnn"


# ---------------------------------------------------------- outputs checked before any training

@pytest.mark.subprocess
@pytest.mark.parametrize("flag", ["--checkpoint-dir", "--plot"])
def test_unwritable_outputs_fail_before_training(corpus: Path, tmp_path: Path, flag: str) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    target = a_file / ("ck" if flag == "--checkpoint-dir" else "p.png")
    proc = run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "3", flag, str(target)])
    line = one_error(proc)
    assert str(a_file) in line
    assert "epoch 1/" not in proc.stderr  # nothing was trained


@pytest.mark.subprocess
def test_plot_pointing_at_a_directory_fails_before_training(corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "dir.png"
    target.mkdir()
    line = one_error(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "3",
                              "--plot", str(target)]))
    assert str(target) in line
