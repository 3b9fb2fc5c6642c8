"""Issue 25's UX items on the Python side: each message names what the user typed, in the form
they type it, and files get the modes the user's umask gives."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from djl_bridge import jvm, notebooks
from djl_bridge.config import API_NAMES, CLI_NAMES
from djl_bridge.errors import ConfigError, NotBuiltError
from djl_bridge.interrupt import StopGuard
from djl_bridge.plot import check_target, write_png

from .conftest import run_cli

TINY = ["--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800"]


def _one_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    return lines[0]


@pytest.mark.subprocess
def test_section_9_4_with_scratch_blames_the_impl_not_bidirectional() -> None:
    line = _one_error(run_cli(["train", "--section", "9.4", "--impl", "scratch"]))
    assert "--section 9.4 trains a bidirectional model, which needs --impl concise" in line
    assert "drop --impl scratch, or add --no-bidirectional" in line
    assert "--bidirectional needs" not in line  # the user never typed --bidirectional


def test_bool_settings_are_written_as_flags() -> None:
    assert CLI_NAMES.valued("bidirectional", False) == "--no-bidirectional"
    assert CLI_NAMES.change("hybridize", True, False) == "--hybridize -> --no-hybridize"
    assert CLI_NAMES.change("lr", 0.5, 1.0) == "--lr 0.5 -> 1.0"
    assert API_NAMES.change("hybridize", True, False) == "TrainConfig.hybridize True -> False"


@pytest.mark.subprocess
def test_resume_messages_write_bool_flags_as_flags(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    proc = run_cli(["train", "--impl", "scratch", *TINY, "--epochs", "1", "--data", str(corpus),
                    "--checkpoint-dir", str(ck), "--json"])
    assert proc.returncode == 0, proc.stderr
    line = _one_error(run_cli(["train", "--resume", str(ck), "--epochs", "2",
                               "--no-bidirectional", "--impl", "concise"]))
    assert "--impl concise contradicts the checkpoint (--impl scratch)" in line
    proc = run_cli(["train", "--resume", str(ck), "--epochs", "2", "--no-hybridize", "--json"])
    assert proc.returncode == 0, proc.stderr
    assert "--hybridize -> --no-hybridize" in proc.stderr  # was "--hybridize True -> False"


def test_notebooks_and_plots_get_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        copies = notebooks.copy_to(tmp_path / "nb")
        png = write_png(b"\x89PNG\r\n", tmp_path / "p.png")
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in copies} == {"0o644"}  # was 0o600
    assert oct(png.stat().st_mode & 0o777) == "0o644"


def test_notebooks_into_a_regular_file_says_so(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("mine")
    with pytest.raises(ConfigError, match=r"^DIR .*/file is a file, not a directory"):
        notebooks.copy_to(target)  # was "cannot copy ... (File exists)"
    assert target.read_text() == "mine"


def test_a_broken_java_first_on_the_path_does_not_hide_a_good_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = shutil.which("java")
    if good is None:
        pytest.skip("no java on the PATH")
    broken = tmp_path / "bin"
    broken.mkdir()
    (broken / "java").write_text("#!/bin/sh\nexit 1\n")
    (broken / "java").chmod(0o755)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", f"{broken}{os.pathsep}{os.path.dirname(good)}")
    found = jvm.find_java()  # was "no Java found"
    assert found.origin == "PATH" and found.launcher == os.path.join(os.path.dirname(good), "java")


def test_a_classpath_variable_naming_a_directory_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJL_BRIDGE_CLASSPATH", str(tmp_path))
    with pytest.raises(NotBuiltError, match=r"DJL_BRIDGE_CLASSPATH=.* is a directory, not a "
                                            r"classpath list"):
        jvm.find_classpath()  # was "... is missing"


def test_sigusr1_while_predicting_says_nothing_is_trained(capfd: pytest.CaptureFixture[str]) -> None:
    with StopGuard(unit="character", can_save=False) as guard:
        os.kill(os.getpid(), signal.SIGUSR1)
        time.sleep(0.05)
    assert not guard.save_requested and guard.request.signal_name is None
    err = capfd.readouterr().err
    assert "SIGUSR1: no epoch is being trained, so there is nothing to save" in err
    assert "no checkpoint directory was given" not in err


@pytest.mark.subprocess
def test_control_characters_of_a_path_are_escaped(tmp_path: Path) -> None:
    bad = tmp_path / "a\x1b[31mred\x07"
    proc = run_cli(["train", *TINY, "--epochs", "1", "--data", str(bad)])
    line = _one_error(proc)
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "a\\x1b[31mred\\x07" in line


def test_a_plot_named_dot_png_is_a_png(tmp_path: Path) -> None:
    check_target(tmp_path / ".png")  # was "the file name must end in .png"
    with pytest.raises(ConfigError, match="must end in .png"):
        check_target(tmp_path / "plot.jpg")
