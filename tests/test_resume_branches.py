"""Issue 25 item 7: a run resumed from an older ``epoch-N`` never replaces or mixes with the
later checkpoints of its directory; it is refused with the two ways on (the newest, or another
checkpoint directory), and the second way trains."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge import CheckpointError, RunOptions, TrainConfig, read_checkpoint

from .conftest import run_cli

SMALL = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=800)


def _tree(root: Path) -> dict[str, float]:
    return {str(p.relative_to(root)): p.stat().st_mtime for p in sorted(root.rglob("*"))}


@pytest.fixture()
def three_epochs(jvm: None, corpus: Path, tmp_path: Path) -> Path:
    ck = tmp_path / "ck"
    djl_bridge.run(TrainConfig(epochs=3, lr=0.5, data=corpus, **SMALL),
                   RunOptions(checkpoint_dir=ck, save_every=1))
    assert sorted(p.name for p in ck.glob("epoch-*")) == ["epoch-000002", "epoch-000003"]
    return ck


def test_resume_from_an_older_epoch_into_its_directory_is_refused(three_epochs: Path) -> None:
    before = _tree(three_epochs)
    with pytest.raises(CheckpointError) as err:
        djl_bridge.resume(three_epochs / "epoch-000002", epochs=4, lr=0.1)
    assert str(err.value) == (
        f"{three_epochs} holds checkpoints after epoch-000002 (epoch-000003): a run resumed from "
        f"it would mix its epochs with them. Go on from the newest with "
        f"`djl_bridge.resume({str(three_epochs / 'epoch-000003')!r})`, or keep both by writing "
        f"this run's "
        f"checkpoints into another RunOptions.checkpoint_dir")
    assert _tree(three_epochs) == before  # nothing replaced, nothing written
    # the documented fallback (no LATEST) still finds the run's own newest checkpoint
    os.remove(three_epochs / "LATEST")
    assert read_checkpoint(three_epochs).epochs_done == 3


@pytest.mark.subprocess
def test_the_cli_refuses_in_one_line_and_another_directory_branches(
        three_epochs: Path, tmp_path: Path) -> None:
    old = three_epochs / "epoch-000002"
    proc = run_cli(["train", "--resume", str(old), "--epochs", "4", "--save-every", "1"])
    assert proc.returncode == 1, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("djl-bridge: error")]
    assert lines == [f"djl-bridge: error: {three_epochs} holds checkpoints after epoch-000002 "
                     f"(epoch-000003): a run resumed from it would mix its epochs with them. Go "
                     f"on from the newest with `djl-bridge train --resume "
                     f"{three_epochs / 'epoch-000003'}`, or "
                     f"keep both by writing this run's checkpoints into another "
                     f"--checkpoint-dir"]
    branch = tmp_path / "branch"
    result = djl_bridge.resume(old, RunOptions(checkpoint_dir=branch, save_every=1), epochs=4)
    assert len(result.perplexity) == 4
    assert sorted(p.name for p in branch.glob("epoch-*")) == ["epoch-000003", "epoch-000004"]
    assert read_checkpoint(three_epochs).epochs_done == 3  # the first branch untouched


def test_resume_from_the_newest_goes_on_in_place(three_epochs: Path) -> None:
    djl_bridge.resume(three_epochs / "epoch-000003", RunOptions(save_every=1), epochs=4)
    assert read_checkpoint(three_epochs).epochs_done == 4


def test_a_stale_latest_is_no_way_around_it(three_epochs: Path) -> None:
    """LATEST naming an older epoch (edited, or left by an old tool): resuming the directory
    is refused too, and the advice names the newest checkpoint itself, which goes on."""
    (three_epochs / "LATEST").write_text("epoch-000002\n")
    with pytest.raises(CheckpointError, match=r"Go on from the newest with "
                                              r"`djl_bridge\.resume\('.*epoch-000003'\)`"):
        djl_bridge.resume(three_epochs, epochs=4)
    djl_bridge.resume(three_epochs / "epoch-000003", RunOptions(save_every=1), epochs=4)
    assert read_checkpoint(three_epochs).epochs_done == 4
