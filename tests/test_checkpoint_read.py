"""Reading a checkpoint: it is read once, as what it claims, and Java never misreads a user's
path. A checkpoint is a directory a user may be sent, or one another run is writing:

- the lock never writes through a link, a FIFO, a device or another file's hard link;
- only regular files are read, never blocking, each named when it is not one;
- one manifest covers the config and every file, and every size is checked against it and the
  model it names before anything is hashed or built;
- the bytes that were verified are the bytes the Java side loads;
- a directory being written and pruned by another run is read consistently;
- non-ASCII paths under ``LC_ALL=C`` train, resume and predict;
- a refused write says what to fix by its cause, an object-array NPZ is named;
- a damaged concise checkpoint is named by file when a run resumes or predicts from it.

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

from .conftest import ROOT, cli_json, fake_params, one_error, run_cli

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
        "remove it, or pick another RunOptions.checkpoint_dir")  # the API's names
    assert precious.read_text() == "precious\n"
    assert not nowhere.exists()
    assert not checkpoint.holds_lock(root)
    assert os.path.lexists(lock)  # not removed either: it is not djl-bridge's


@pytest.mark.subprocess
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


# ---------------------------------------------------------------------------------------------
# 5. Regular files only, never blocking


def _replace(path: Path, what: str, tmp_path: Path) -> str:
    """Replaces ``path`` by ``what``; returns the kind the reader must name."""
    copy = tmp_path / f"copy-of-{path.name}"
    if path.is_dir():
        shutil.rmtree(path)
    else:
        shutil.copyfile(path, copy)
        path.unlink()
    if what == "fifo":
        os.mkfifo(path)
        return "a FIFO"
    if what == "link to /dev/zero":
        path.symlink_to("/dev/zero")
        return "a symbolic link"
    if what == "link to a copy":  # the very same bytes, through a link: still refused
        path.symlink_to(copy)
        return "a symbolic link"
    if what == "directory":
        path.mkdir()
        return "a directory"
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero itself
    except PermissionError:
        pytest.skip("mknod is not permitted here")
    return "a character device"


@pytest.mark.subprocess
@pytest.mark.parametrize("what", ["fifo", "link to /dev/zero", "link to a copy", "directory",
                                  "device"])
@pytest.mark.parametrize("name", ["checkpoint.json", "vocab.json", "params.npz", "LATEST"])
def test_only_regular_files_are_read(tmp_path: Path, name: str, what: str) -> None:
    root = tmp_path / "ck"
    ckpt = _write(root)
    target = root / name if name == "LATEST" else ckpt / name
    kind = _replace(target, what, tmp_path)
    line = _read_in_child(root)
    if name == "LATEST":
        assert line.startswith(f"{target} is damaged (not a file: {kind}): "), line
    else:
        assert line == (f"{target} is {kind}, not a regular file: a checkpoint holds only "
                        "regular files; use another checkpoint or train again")


def test_an_epoch_directory_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    ckpt = _write(root, 1)
    elsewhere = tmp_path / "elsewhere"
    ckpt.rename(elsewhere)
    ckpt.symlink_to(elsewhere)
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    assert _one_line(info.value).startswith(
        f"{ckpt} is a symbolic link, not a checkpoint directory: ")
    # The directory the user names may be a link: that one is theirs.
    (tmp_path / "mine").symlink_to(elsewhere)
    assert checkpoint.read_checkpoint(tmp_path / "mine").epochs_done == 1


@pytest.mark.subprocess
def test_predict_with_params_linked_to_dev_zero_is_one_line(corpus: Path, tmp_path: Path) -> None:
    """The reported case: predict hung with no output."""
    ck = tmp_path / "ck"
    train = run_cli(["train", *TINY, "--epochs", "1", "--data", str(corpus),
                     "--checkpoint-dir", str(ck), "--json"])
    assert train.returncode == 0, train.stderr
    params = ck / "epoch-000001" / "params.npz"
    params.unlink()
    params.symlink_to("/dev/zero")
    proc = run_cli(["predict", "--checkpoint", str(ck)], timeout=300)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"djl-bridge: error: {params} is a symbolic link, not a regular file: a checkpoint holds "
        "only regular files; use another checkpoint or train again"]


# ---------------------------------------------------------------------------------------------
# 6. The config is covered, sizes are checked before anything is hashed or built


def test_an_edited_config_is_refused_by_the_manifest(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    ckpt = _write(root)
    _edit_meta(ckpt, lambda m: m["config"].update(hidden=12000), manifest=False)
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    assert _one_line(info.value) == (
        f"{ckpt / 'checkpoint.json'} is damaged (its content does not match its manifest_sha256: "
        "it was edited or damaged): use another checkpoint or train again")


@pytest.mark.parametrize("impl, hidden, expected", [
    ("scratch", 12000, "does not hold the parameters of a scratch gru with 12000 hidden units "
                       "(config.hidden) and 4 tokens (array 0 has shape (4, 16), expected "
                       "(4, 12000))"),
    ("concise", 12000, "does not fit checkpoint.json (checkpoint.json records "),
    ("scratch", 100_000_000, "names a model too large to load (a scratch gru with 100000000 "
                             "hidden units (config.hidden) and 4 tokens has "),
    ("concise", 1e8, "checkpoint.json config.hidden must be a whole number > 0, got 100000000.0"),
])
def test_a_config_the_files_do_not_bear_out_is_refused(tmp_path: Path, impl: str,
                                                       hidden: float, expected: str) -> None:
    """A checkpoint crafted to lie consistently (its manifest matches): the parameter file must
    still fit the model the config names, and the error names the field."""
    root = tmp_path / "ck"
    ckpt = _write(root, impl=impl)
    _edit_meta(ckpt, lambda m: m["config"].update(hidden=hidden))
    started = time.monotonic()
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    line = _one_line(info.value)
    assert expected in line and "config.hidden" in line
    assert "lower --hidden" not in line
    print(f"refused in {time.monotonic() - started:.3f} s")  # milliseconds; not asserted


@pytest.mark.subprocess
def test_predict_names_the_checkpoint_field_not_a_flag(tmp_path: Path) -> None:
    """The reported case: "hidden": 1e8 said "lower --hidden", which predict does not have."""
    root = tmp_path / "ck"
    ckpt = _write(root)
    _edit_meta(ckpt, lambda m: m["config"].update(hidden=100_000_000))
    proc = run_cli(["predict", "--checkpoint", str(root), "--prefix", "ab", "--num-preds", "3"],
                   timeout=300)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "config.hidden" in lines[0] and "--hidden" not in lines[0], \
        proc.stderr


@pytest.mark.parametrize("version", [1, 3])
def test_sizes_are_checked_before_a_byte_is_read(tmp_path: Path, version: int) -> None:
    """A 3 GB parameter file (sparse: it costs no disk) is refused by its size: never read,
    never hashed, never handed to Java."""
    root = tmp_path / "ck"
    ckpt = _write(root)
    written = (ckpt / "params.npz").stat().st_size
    if version == 1:
        _edit_meta(ckpt, lambda m: (m.pop("files"), m.pop("manifest_sha256", None),
                                    m.update(version=1)), manifest=False)
    with (ckpt / "params.npz").open("r+b") as fh:
        fh.truncate(3 << 30)
    with pytest.raises(CheckpointError) as info:
        checkpoint.read_checkpoint(root)
    line = _one_line(info.value)
    if version == 1:  # no recorded size: the model's size bounds it
        assert line.startswith(f"{ckpt / 'params.npz'} does not fit checkpoint.json (it is "
                               f"{3 << 30} bytes; the scratch gru with 16 hidden units "
                               "(config.hidden) and 4 tokens takes 22.."), line
    else:
        assert line == (f"{ckpt / 'params.npz'} is damaged ({3 << 30} bytes, {written} were "
                        "written): use another checkpoint or train again")


def test_a_huge_json_file_is_not_read(tmp_path: Path) -> None:
    root = tmp_path / "ck"
    ckpt = _write(root)
    with (ckpt / "checkpoint.json").open("r+b") as fh:
        fh.truncate(checkpoint.layout.META_MAX_BYTES + 1)
    with pytest.raises(CheckpointError, match=r"checkpoint.json is 67108865 bytes, more than any "
                                              r"djl-bridge writes \(at most 67108864\)"):
        checkpoint.read_checkpoint(root)


# ---------------------------------------------------------------------------------------------
# 7. The verified bytes are the loaded bytes


def _tiny(corpus: Path, seed: int, impl: str = "scratch") -> TrainConfig:
    """A small model that stays near its random start (a tiny learning rate), so that two seeds
    predict different text."""
    return TrainConfig(model="gru", impl=impl, hidden=8, batch_size=4, num_steps=5, lr=1e-6,
                       max_tokens=500, epochs=1, seed=seed, data=corpus)


@pytest.mark.parametrize("impl", ["scratch", "concise"])
def test_the_bytes_that_were_checked_are_the_bytes_loaded(
        jvm: None, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        impl: str) -> None:
    """The reported race, made certain: the parameter file is swapped for another model's right
    after it was verified. predict used to generate from the swapped-in weights."""
    import djl_bridge
    from djl_bridge import session

    mine, other = tmp_path / "mine", tmp_path / "other"
    djl_bridge.run(_tiny(corpus, 1, impl), djl_bridge.RunOptions(checkpoint_dir=mine))
    djl_bridge.run(_tiny(corpus, 2, impl), djl_bridge.RunOptions(checkpoint_dir=other))
    expected = djl_bridge.predict(mine, "time traveller", 40)
    theirs = djl_bridge.predict(other, "time traveller", 40)
    assert expected != theirs  # two different models
    name = checkpoint.PARAMS[impl]
    swapped = (other / "epoch-000001" / name).read_bytes()
    real_read = session.read_checkpoint

    def read_then_swap(path: object, *names: object) -> checkpoint.Checkpoint:
        ckpt = real_read(path, *names)  # type: ignore[arg-type]
        ckpt.params_file.write_bytes(swapped)  # between the check and the load
        return ckpt

    monkeypatch.setattr(session, "read_checkpoint", read_then_swap)
    assert djl_bridge.predict(mine, "time traveller", 40) == expected


# ---------------------------------------------------------------------------------------------
# 8. A directory another run writes into is read consistently


def test_a_checkpoint_pruned_while_it_is_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ck"
    for epoch in (1, 2):
        _write(root, epoch)
    real_read_meta = checkpoint.read._read_meta
    calls: list[Path] = []

    def writer_runs_meanwhile(ckpt: Path, dir_fd: int) -> dict:
        meta = real_read_meta(ckpt, dir_fd)
        calls.append(ckpt)
        if len(calls) == 1:  # a fast writer saves twice: epoch 2 is pruned under the reader
            _write(root, 3)
            _write(root, 4)
            assert not (root / "epoch-000002").exists()
        return meta

    monkeypatch.setattr(checkpoint.read, "_read_meta", writer_runs_meanwhile)
    ck = checkpoint.read_checkpoint(root)
    assert ck.epochs_done == 4 and ck.path == root / "epoch-000004"
    assert calls == [root / "epoch-000002", root / "epoch-000004"]
    assert hashlib.sha256(ck.params).hexdigest() == json.loads(
        (ck.path / "checkpoint.json").read_text())["files"]["params.npz"]["sha256"]


def test_a_checkpoint_replaced_while_it_is_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same epoch written again (a resumed run stopped at once): the old directory is
    renamed away and removed; what is read is one whole checkpoint, never a mix."""
    root = tmp_path / "ck"
    _write(root, 1)
    real_read_meta = checkpoint.read._read_meta
    replaced: list[bytes] = []

    def replaced_meanwhile(ckpt: Path, dir_fd: int) -> dict:
        meta = real_read_meta(ckpt, dir_fd)
        if not replaced:
            cfg = TrainConfig(impl="scratch", hidden=16, data=root / "t.txt")
            replaced.append(fake_params(cfg, VOCAB, seed=99))
            checkpoint.write_checkpoint(root, cfg, 1, [8.0], [1.0], VOCAB,
                                        lambda f: f.write_bytes(replaced[0]))
        return meta

    monkeypatch.setattr(checkpoint.read, "_read_meta", replaced_meanwhile)
    ck = checkpoint.read_checkpoint(root)
    assert ck.params == replaced[0] and ck.perplexity == [8.0]


@pytest.mark.subprocess
@pytest.mark.slow
def test_predict_while_another_run_writes_and_prunes(jvm: None, corpus: Path,
                                                     tmp_path: Path) -> None:
    """The reported case: with `train --save-every 1` writing into the same directory, 25 of 25
    predict calls failed with "file not found: .../params.npz"."""
    import djl_bridge

    ck = tmp_path / "ck"
    writer = subprocess.Popen(
        [sys.executable, "-m", "djl_bridge.cli", "train", "--hidden", "8", "--batch-size", "4",
         "--num-steps", "5", "--max-tokens", "500", "--epochs", "100000", "--save-every", "1",
         "--threads", "1",
         "--data", str(corpus), "--checkpoint-dir", str(ck)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 180
        while checkpoint.find_latest(ck) is None:
            assert writer.poll() is None and time.monotonic() < deadline, "the writer never saved"
            time.sleep(0.2)
        seen = set()
        for _ in range(15):
            text = djl_bridge.predict(ck, "time traveller", 5)
            assert text.startswith("time traveller")
            seen.add(checkpoint.read_checkpoint(ck).epochs_done)
        assert writer.poll() is None  # it was writing all along
        assert len(seen) > 1, seen  # and saved (and pruned) between the reads
    finally:
        writer.kill()
        writer.wait(30)


# ---------------------------------------------------------------------------------------------
# 9. Non-ASCII paths under LC_ALL=C


@pytest.mark.subprocess
def test_non_ascii_paths_under_the_c_locale(corpus: Path, tmp_path: Path) -> None:
    """The JVM names files in the locale's charset; under LC_ALL=C (a common container default)
    it cannot name dätä/tïme.txt, and the checkpoint of a non-ASCII --checkpoint-dir failed at
    its first save. Python opens the files now; Java gets bytes or /proc/self/fd/N."""
    data = tmp_path / "dätä" / "tïme.txt"
    data.parent.mkdir()
    shutil.copyfile(corpus, data)
    ck = tmp_path / "chéckpoints-ü"
    env = {"LC_ALL": "C", "LANG": "C"}
    common = ["--model", "gru", *TINY, "--seed", "4"]
    first = run_cli(["train", *common, "--epochs", "1", "--data", str(data),
                     "--checkpoint-dir", str(ck), "--json"], env=env)
    assert first.returncode == 0, first.stderr
    resumed = run_cli(["train", "--resume", str(ck), "--epochs", "2", "--json"], env=env)
    assert resumed.returncode == 0, resumed.stderr
    out = json.loads(resumed.stdout)
    assert out["epochs_done"] == 2 and out["resumed_from_epoch"] == 1
    proc = run_cli(["predict", "--checkpoint", str(ck), "--prefix", "time traveller",
                    "--num-preds", "20"], env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip("\n") == out["predictions"]["time traveller"][:len("time traveller")
                                                                            + 20]
    assert "Malformed input" not in first.stderr + resumed.stderr + proc.stderr


# ---------------------------------------------------------------------------------------------
# 18 (part). The fix a refused write names, and an object-array NPZ


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM, errno.EROFS])
def test_a_write_that_is_not_allowed_does_not_say_free_space(tmp_path: Path, code: int) -> None:
    root = tmp_path / "ck"
    _write(root, 1)

    def refused(f: Path) -> None:
        raise OSError(code, os.strerror(code), str(f))

    cfg = TrainConfig(impl="scratch", hidden=16)
    with pytest.raises(CheckpointError) as info:
        checkpoint.write_checkpoint(root, cfg, 2, [9.0] * 2, [1.0] * 2, VOCAB, refused)
    assert _one_line(info.value) == (
        f"could not write the checkpoint of epoch 2 into {root}: {os.strerror(code)}: make "
        f"{root} writable or pick another RunOptions.checkpoint_dir; the checkpoint of epoch 1 is "
        "intact")


def test_an_object_array_npz_names_the_file(jvm: None, tmp_path: Path) -> None:
    """A checkpoint whose params.npz holds an object array (its sums and manifest consistent):
    the error used to be Java's bare "Unsupported dataType: |O". It is read without unpickling
    anything: only the .npy headers are looked at."""
    import djl_bridge

    root = tmp_path / "ck"
    ckpt = _write(root)
    params = ckpt / "params.npz"
    arrays = dict(np.load(params, allow_pickle=False))
    first = next(iter(arrays))
    arrays[first] = np.empty(arrays[first].shape, dtype=object)
    out = io.BytesIO()
    np.savez(out, **arrays)
    params.write_bytes(out.getvalue())
    _record(ckpt, "params.npz")
    with pytest.raises(CheckpointError) as info:
        djl_bridge.predict(root, "a", 3)
    assert _one_line(info.value) == (
        f"{params} does not hold the parameters of a scratch gru with 16 hidden units "
        "(config.hidden) and 4 tokens (array 0 (W_xz.npy) is |O, not float32): use another "
        "checkpoint or train again")


# ------------------------------------------------------------------------- a damaged checkpoint

@pytest.mark.subprocess
def test_resume_from_a_damaged_concise_checkpoint_names_the_file(corpus: Path,
                                                                  tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", "--impl", "concise", *TINY, "--data", str(corpus), "--epochs", "2",
                      "--checkpoint-dir", str(ck), "--json"]))
    params = checkpoint.read_checkpoint(ck).params_file
    data = bytearray(params.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of a weight
    params.write_bytes(bytes(data))
    for args in (["train", "--resume", str(ck), "--epochs", "3"], ["predict", "--checkpoint",
                                                                   str(ck)]):
        line = one_error(run_cli(args))
        assert f"{params} is damaged (SHA-256 mismatch" in line
