"""Issue 25 item 6: the corpus bytes verified are the bytes trained on. The corpus is read once
into a copy the JVM reads; a file replaced or rewritten after its check changes nothing, and the
checkpoint records the SHA-1 of what was trained on."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

import djl_bridge
from djl_bridge import DataError, RunOptions, TrainConfig, bridge, data, read_checkpoint

SMALL = dict(epochs=1, hidden=16, batch_size=4, num_steps=5, max_tokens=800)
OTHER = b"zzz qqq xxx\n" * 400  # another text: another vocabulary


def _replace_before_java_reads(monkeypatch: pytest.MonkeyPatch, path: Path,
                               how: Callable[[Path], None]) -> list[bool]:
    """Replaces ``path`` after every Python check, just before the JVM opens its corpus."""
    original = bridge.Session.open
    done: list[bool] = []

    def open_after_replacing(*args: Any, **kwargs: Any) -> Any:
        how(path)
        done.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(bridge.Session, "open", open_after_replacing)
    return done


def _rename_over(path: Path) -> None:
    tmp = path.with_name("other.txt")
    tmp.write_bytes(OTHER)
    os.replace(tmp, path)


def _rewrite_in_place(path: Path) -> None:
    with path.open("r+b") as fh:  # the same inode, as `cp other.txt corpus.txt` does
        fh.truncate(0)
        fh.write(OTHER)


@pytest.mark.parametrize("how", [_rename_over, _rewrite_in_place])
def test_a_corpus_replaced_after_its_check_is_not_trained_on(
        jvm: None, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        how: Callable[[Path], None]) -> None:
    mine = tmp_path / "timemachine.txt"
    shutil.copyfile(corpus, mine)
    done = _replace_before_java_reads(monkeypatch, mine, how)
    ck = tmp_path / "ck"
    djl_bridge.run(TrainConfig(data=mine, **SMALL), RunOptions(checkpoint_dir=ck))
    assert done and mine.read_bytes() == OTHER  # it was replaced before Java read it
    ckpt = read_checkpoint(ck)
    assert ckpt.config.verify_data
    assert ckpt.data_sha1 == data.SHA1, "the checkpoint records the digest trained on"
    assert len(ckpt.vocab) == 28, "the Time Machine's characters, not the other text's 5"


def test_an_unverified_corpus_records_its_own_digest(
        jvm: None, corpus: Path, tmp_path: Path) -> None:
    text = corpus.read_bytes()[:20_000]
    mine = tmp_path / "part.txt"
    mine.write_bytes(text)
    ck = tmp_path / "ck"
    djl_bridge.run(TrainConfig(data=mine, verify_data=False, **SMALL),
                   RunOptions(checkpoint_dir=ck))
    assert read_checkpoint(ck).data_sha1 == hashlib.sha1(text).hexdigest()


def test_the_snapshot_holds_the_bytes_it_hashed(tmp_path: Path) -> None:
    mine = tmp_path / "t.txt"
    mine.write_bytes(OTHER)
    with data.snapshot(mine, verify_sha1=False) as snap:
        mine.write_bytes(b"changed")
        with open(f"/proc/self/fd/{snap.fd}", "rb") as fh:
            assert fh.read() == OTHER
        assert snap.sha1 == hashlib.sha1(OTHER).hexdigest() and snap.size == len(OTHER)
    with pytest.raises(DataError, match=r"is not the expected Time Machine text as read for "
                                        r"training .*--no-verify-data|verify_data=False"):
        with data.snapshot(mine, verify_sha1=True):
            pass


def test_a_large_corpus_is_not_copied_and_a_change_while_read_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A text above COPY_MAX_BYTES is streamed by Java (a text of any size fits in memory): it
    is read in place through the descriptor hashed, and a write meanwhile is refused."""
    monkeypatch.setattr(data, "COPY_MAX_BYTES", 100)
    mine = tmp_path / "big.txt"
    mine.write_bytes(OTHER)
    with data.snapshot(mine, verify_sha1=False) as snap:
        assert os.readlink(f"/proc/self/fd/{snap.fd}") == str(mine)  # the file itself
        assert snap.sha1 == hashlib.sha1(OTHER).hexdigest()
    with pytest.raises(DataError, match=r"was changed while it was read for training"):
        with data.snapshot(mine, verify_sha1=False):
            with mine.open("ab") as fh:
                fh.write(b"more\n")
    with pytest.raises(DataError, match=r"was changed while it was read for training"):
        with data.snapshot(mine, verify_sha1=False):  # no byte changes, but the inode's ctime:
            os.replace(tmp_path / "big.txt", tmp_path / "moved.txt")  # refused on the safe side


def test_a_large_corpus_rewritten_while_java_reads_it_is_refused(
        jvm: None, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "COPY_MAX_BYTES", 100)
    mine = tmp_path / "timemachine.txt"
    shutil.copyfile(corpus, mine)
    ck = tmp_path / "ck"
    djl_bridge.run(TrainConfig(data=mine, **SMALL), RunOptions(checkpoint_dir=ck))
    assert read_checkpoint(ck).data_sha1 == data.SHA1  # read in place, hashed as read
    original = bridge.Session.open

    def open_then_rewrite(*args: Any, **kwargs: Any) -> Any:
        session = original(*args, **kwargs)
        _rewrite_in_place(mine)  # as if it happened while Java read it
        return session

    monkeypatch.setattr(bridge.Session, "open", open_then_rewrite)
    with pytest.raises(DataError, match="was changed while it was read for training"):
        djl_bridge.run(TrainConfig(data=mine, **SMALL), RunOptions(checkpoint_dir=ck,
                                                                    overwrite=True))
    assert read_checkpoint(ck).epochs_done == 1  # nothing written over the first run
