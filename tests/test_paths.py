"""Paths the user gives: an empty one is refused by name (it used to mean the working directory),
one the system cannot take (a name over 255 bytes, a path of 4096 bytes or more) is one line, as
predict and --resume always said it, never "internal error (OSError: [Errno 36] ...)" (issue
25, items 3 and 11)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import djl_bridge
from djl_bridge.errors import ConfigError

from .conftest import one_error, run_cli

TINY = ["--epochs", "1", "--hidden", "16", "--batch-size", "4", "--num-steps", "5",
        "--max-tokens", "800"]


def _cli_in(cwd: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    from .conftest import ROOT
    import sys

    return subprocess.run([sys.executable, "-m", "djl_bridge.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


# ------------------------------------------------------------------ item 3: an empty path

@pytest.mark.subprocess
@pytest.mark.parametrize("flag", ["--checkpoint-dir", "--data", "--plot", "--resume"])
def test_an_empty_train_path_is_refused_by_its_flag(flag: str, corpus: Path,
                                                    tmp_path: Path) -> None:
    args = ["train", *TINY, flag, ""] + (["--data", str(corpus)] if flag != "--data" else [])
    line = one_error(_cli_in(tmp_path, args))
    assert f"{flag} is empty" in line
    assert list(tmp_path.iterdir()) == []  # nothing written into the working directory


@pytest.mark.parametrize("args, flag", [(["notebooks", ""], "DIR"),
                                        (["predict", "--checkpoint", ""], "--checkpoint"),
                                        (["parity", "--data", ""], "--data"),
                                        (["bench", "--save", ""], "--save")])
def test_an_empty_path_of_another_command_is_refused(args: list[str], flag: str,
                                                     tmp_path: Path) -> None:
    line = one_error(_cli_in(tmp_path, args))
    assert f"{flag} is empty" in line
    assert list(tmp_path.iterdir()) == []


def test_an_empty_path_in_the_api_is_refused_by_its_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"RunOptions\.checkpoint_dir is empty"):
        djl_bridge.RunOptions(checkpoint_dir="").validate()
    with pytest.raises(ConfigError, match=r"TrainConfig\.data is empty"):
        djl_bridge.TrainConfig(data="").validate()
    with pytest.raises(ConfigError, match=r"PerplexityPlot\.path is empty"):
        djl_bridge.PerplexityPlot(2, path="")


# ------------------------------------------------------------------ item 11: too long

LONG_NAME = "n" * 256
LONG_PATH = "d/" * 2100 + "x"


@pytest.mark.subprocess
@pytest.mark.parametrize("flag", ["--checkpoint-dir", "--data", "--plot", "--resume"])
@pytest.mark.parametrize("long, why", [(LONG_NAME, "has a name of 2"),
                                       (LONG_PATH, " bytes long, and a path may have at most")])
def test_a_train_path_too_long_is_one_line(flag: str, long: str, why: str, corpus: Path,
                                           tmp_path: Path) -> None:
    value = str(tmp_path / long) + (".png" if flag == "--plot" else "")
    args = ["train", *TINY, flag, value] + (["--data", str(corpus)] if flag != "--data" else [])
    line = one_error(run_cli(args, timeout=120))
    assert line.startswith(f"djl-bridge: error: {flag} ") and why in line


@pytest.mark.subprocess
def test_a_notebooks_directory_too_long_is_one_line(tmp_path: Path) -> None:
    line = one_error(run_cli(["notebooks", str(tmp_path / LONG_NAME)]))
    assert "has a name of 256 bytes" in line


def test_a_long_path_in_the_api_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"RunOptions\.checkpoint_dir .* has a name of 256"):
        djl_bridge.RunOptions(checkpoint_dir=tmp_path / LONG_NAME).validate()
    # A name of exactly 255 bytes is the system's, and taken.
    djl_bridge.RunOptions(checkpoint_dir=tmp_path / ("n" * 255)).validate()
    assert (tmp_path / ("n" * 255)).is_dir()


# ------------------------------------------------------------------ the hostile pass: the cache

@pytest.mark.parametrize("env", [{"XDG_CACHE_HOME": "rel"}, {"XDG_CACHE_HOME": "."},
                                 {"XDG_CACHE_HOME": "", "HOME": ""},
                                 {"XDG_CACHE_HOME": "", "HOME": "rel"}])
def test_the_corpus_cache_is_never_relative_nor_the_root(env: dict[str, str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from djl_bridge import data

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    where = data.cache_dir()
    # A relative XDG_CACHE_HOME put the cache in the working directory; HOME="" put it in /.
    assert where.is_absolute() and where != Path("/.cache/djl_bridge"), where
    assert where.parts[-2:] == (".cache", "djl_bridge")


@pytest.mark.subprocess
def test_a_long_djl_bridge_data_is_one_line_naming_it(tmp_path: Path) -> None:
    line = one_error(run_cli(["train", *TINY], env={"DJL_BRIDGE_DATA": str(tmp_path / LONG_NAME)}))
    assert line.startswith("djl-bridge: error: DJL_BRIDGE_DATA ") and "has a name of 256" in line
