"""What a notebook shows, tested without a kernel: the plot leaves matplotlib as the user set it,
PerplexityPlot writes its PNG outside a notebook, progress picks one display, results and
checkpoints render as HTML tables, a djl_bridge error as one line."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from djl_bridge import Checkpoint, ConfigError, Interrupted, PerplexityPlot, TrainConfig, \
    TrainingResult
from djl_bridge import progress

from .conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"

#: Run in a fresh interpreter: the user's backend, a pyplot figure and an rcParam, then every
#: way the package draws; prints what changed.
_USER_STATE = """
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
from pathlib import Path
plt.figure()
plt.rcParams["lines.linewidth"] = 3.5
before = (matplotlib.get_backend(), plt.get_fignums(), dict(matplotlib.rcParams))
from djl_bridge.plot import PerplexityPlot, plot_perplexity
out = Path(__import__("sys").argv[1])
plot_perplexity([9.0, 5.0, 3.0], out / "a.png", 3, "title")
plot = PerplexityPlot(2, path=out / "b.png")
plot(1, 9.0, 100.0); plot(2, 4.0, 100.0)
after = (matplotlib.get_backend(), plt.get_fignums(), dict(matplotlib.rcParams))
print("backend", before[0], "->", after[0])
print("figures", before[1], "->", after[1])
print("rcParams changed", sorted(k for k in before[2] if before[2][k] != after[2][k]))
"""


@pytest.mark.subprocess
def test_plotting_leaves_matplotlib_as_the_user_set_it(tmp_path: Path) -> None:
    # Issue 16, item 17: plot_perplexity switched the backend to Agg, so a notebook's later
    # plt.show() showed nothing.
    proc = subprocess.run([sys.executable, "-c", _USER_STATE, str(tmp_path)], capture_output=True,
                          text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": ""},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["backend svg -> svg", "figures [1] -> [1]",
                                        "rcParams changed []"], proc.stdout
    for name in ("a.png", "b.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG


def test_perplexity_plot_outside_a_notebook(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"outside a notebook the curve needs a file: pass path="):
        PerplexityPlot(10)
    with pytest.raises(ConfigError, match=r"PerplexityPlot.path .*curve.jpg: the file name must "
                                          r"end in \.png"):
        PerplexityPlot(10, path=tmp_path / "curve.jpg")
    with pytest.raises(ConfigError, match=r"PerplexityPlot.num_epochs must be a whole number > 0"):
        PerplexityPlot(True, path=tmp_path / "c.png")
    plot = PerplexityPlot(np.int64(3), path=str(tmp_path / "c.png"))  # numpy and str, as the API
    assert plot(1, 20.0, 1000.0) is True and plot(2, 15.0, 1000.0) is True
    assert not (tmp_path / "c.png").exists()  # written at the last epoch, not before
    plot(3, 12.0, 1000.0)
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    assert [p.name for p in tmp_path.iterdir()] == ["c.png"]  # no temporary file left


def test_the_curve_of_a_loss_says_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # D2L 9.7 draws its loss with the same live plot: the axis must not say perplexity.
    from djl_bridge import plot as plot_module

    assert plot_module.draw([3.0, 2.0], 2).axes[0].get_ylabel() == "perplexity"
    drawn = []
    original = plot_module.draw

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        drawn.append(original(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(plot_module, "draw", spy)
    curve = PerplexityPlot(2, path=tmp_path / "loss.png", ylabel="loss")
    curve(1, 0.3)
    curve(2, 0.2)
    assert [fig.axes[0].get_ylabel() for fig in drawn] == ["loss"]
    assert (tmp_path / "loss.png").read_bytes()[:8] == PNG


def test_a_run_that_stopped_early_is_drawn_on_close(tmp_path: Path) -> None:
    with PerplexityPlot(500, path=tmp_path / "early.png") as plot:
        plot(1, 20.0, 1000.0)
        plot(2, 18.0, 1000.0)
    assert (tmp_path / "early.png").read_bytes()[:8] == PNG
    assert plot.close() == tmp_path / "early.png"  # a second close does nothing more


def test_progress_fits_where_it_runs() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress.for_run(10, quiet=True) is None
    piped = io.StringIO()
    lines = progress.for_run(10, 0, stdout=piped, stderr=piped)
    assert isinstance(lines, progress.ProgressLines)
    for epoch in range(1, 11):
        lines.update(epoch, 30.0 / epoch, 1234.0)
    assert piped.getvalue().splitlines()[:2] == ["epoch 1/10  perplexity 30.000  1,234 tokens/s",
                                                 "epoch 2/10  perplexity 15.000  1,234 tokens/s"]
    term = Terminal()
    bar = progress.for_run(10, 0, stdout=term, stderr=term)
    assert isinstance(bar, progress.ProgressBar)
    bar.close()
    # A closed stdout is no terminal (not a ValueError).
    closed = io.StringIO()
    closed.close()
    assert isinstance(progress.for_run(10, 0, stdout=closed, stderr=term), progress.ProgressLines)


def _result(tmp_path: Path) -> TrainingResult:
    config = TrainConfig(model="lstm", impl="concise", epochs=3, hidden=16, data=tmp_path)
    return TrainingResult(perplexity=np.array([20.0, 10.0, 5.25]),
                          epoch_tokens_per_sec=np.array([900.0, 1000.0, 1100.0]),
                          tokens_per_sec=12345.6, device="cpu()", wall_seconds=61.25,
                          predictions={"time traveller": "time traveller <b>&",
                                       "traveller": "traveller x"},
                          config=config, extras={"checkpoint": "runs/x/epoch-000003"})


def test_training_result_is_a_table_in_a_notebook(tmp_path: Path) -> None:
    result = _result(tmp_path)
    page = result._repr_html_()
    assert page.startswith("<table>") and "TrainingResult" in page
    for shown in ("concise lstm, 16 hidden", "5.250", "12,346", "cpu()", "61.2 s",
                  "runs/x/epoch-000003", "time traveller &lt;b&gt;&amp;", "traveller x"):
        assert shown in page, shown
    assert "<b>" not in page  # predictions are escaped
    assert repr(result).startswith("TrainingResult(perplexity=array(")  # the plain repr elsewhere


def test_checkpoint_is_a_table_in_a_notebook(tmp_path: Path) -> None:
    ckpt = Checkpoint(path=tmp_path / "epoch-000020", config=TrainConfig(epochs=50, hidden=32),
                      epochs_done=20, perplexity=[9.0, 4.5], epoch_tokens_per_sec=[1.0, 2500.0],
                      vocab=["<unk>", " "])
    page = ckpt._repr_html_()
    for shown in ("Checkpoint", "epoch-000020", "scratch gru, 32 hidden", "20 of 50",
                  "4.500", "2,500", "verified (SHA-256)"):
        assert shown in page, shown
    old = Checkpoint(path=tmp_path, config=TrainConfig(), epochs_done=1, perplexity=[],
                     epoch_tokens_per_sec=[], vocab=[], version=1, verified=False)
    assert "cannot be checked for damage" in old._repr_html_()


def test_an_error_shows_as_one_line_in_ipython() -> None:
    err = Interrupted("interrupted by Ctrl-C during epoch 4: nothing was saved", 3, None)
    assert err._render_traceback_() == [
        "Interrupted: interrupted by Ctrl-C during epoch 4: nothing was saved"]
    assert ConfigError("TrainConfig.hidden must be > 0")._render_traceback_() == [
        "ConfigError: TrainConfig.hidden must be > 0"]


@pytest.mark.subprocess
def test_starting_the_jvm_keeps_the_users_locale(corpus: Path) -> None:
    # The JVM sets the process's C locale from the environment as it starts (LC_PAPER, LC_NAME...
    # from LANG here; LC_NUMERIC too with another LANG), under Python, numpy and every C library.
    script = ("import locale, djl_bridge\n"
              "before = locale.setlocale(locale.LC_ALL)\n"
              "djl_bridge.start()\n"
              "print(before == locale.setlocale(locale.LC_ALL), locale.setlocale(locale.LC_ALL))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**env, "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("True "), proc.stdout


@pytest.mark.subprocess
def test_notebooks_command_copies_them_and_keeps_a_users_copy(tmp_path: Path) -> None:
    from .conftest import run_cli

    target = tmp_path / "mine"
    proc = run_cli(["notebooks", str(target)])
    assert proc.returncode == 0, proc.stderr
    shipped = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert len(shipped) >= 4
    assert proc.stdout.split() == [str(target / p.name) for p in shipped]
    assert all((target / p.name).read_bytes() == p.read_bytes() for p in shipped)
    assert f"jupyter lab {target}" in proc.stderr
    edited = target / shipped[0].name
    edited.write_text("{}")  # the user's work
    proc = run_cli(["notebooks", str(target)])
    assert proc.returncode == 1 and edited.read_text() == "{}"
    assert proc.stderr.strip().splitlines() == [
        f"djl-bridge: error: {target} already holds {shipped[0].name} and {len(shipped) - 1} "
        "more notebooks (your changes would be lost): pick another directory, or pass "
        "--overwrite"]
    assert run_cli(["notebooks", str(target), "--overwrite"]).returncode == 0
    assert edited.read_bytes() == shipped[0].read_bytes()
    assert sorted(p.name for p in target.iterdir()) == [p.name for p in shipped]  # no temporaries
    proc = run_cli(["notebooks", str(edited / "under-a-file")])
    assert proc.returncode == 1 and "cannot copy the notebooks into" in proc.stderr
