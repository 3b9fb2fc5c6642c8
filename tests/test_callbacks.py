"""A run's callbacks (issue 23): the start, epoch and end hooks called with the right arguments
and counts, from train/run/resume and in a notebook kernel; a raising callback stops the run with
one error naming it and the last good checkpoint kept; the on_epoch shortcut; the plot learns the
epoch count when the run starts."""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pytest

import djl_bridge
from djl_bridge import Callback, CallbackError, EpochRecord, RunInfo, TrainConfig, TrainingResult

from .conftest import ROOT

TINY = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=2000)


class Recorder(Callback):
    """Records every hook call with its arguments."""

    def __init__(self, stop_after: Optional[int] = None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.stop_after = stop_after

    def on_run_start(self, run: RunInfo) -> None:
        self.calls.append(("start", run))

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> Optional[bool]:
        self.calls.append(("epoch", (record, tuple(history))))
        return None if self.stop_after is None else record.epoch < self.stop_after

    def on_run_end(self, result: TrainingResult) -> None:
        self.calls.append(("end", result))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.calls]


class Boom(Callback):
    """Raises after epoch ``at``."""

    def __init__(self, at: int) -> None:
        self.at = at

    def on_epoch_end(self, record: EpochRecord, history: Sequence[EpochRecord]) -> None:
        if record.epoch == self.at:
            raise ValueError(f"no good at epoch {record.epoch}")


def test_the_hooks_are_called_in_order_with_the_runs_facts(jvm: None, corpus: Path) -> None:
    config = TrainConfig(epochs=3, data=corpus, **TINY)
    rec, shortcut = Recorder(), []
    result = djl_bridge.train(config, callbacks=[rec],
                              on_epoch=lambda e, p, s: shortcut.append((e, p, s)))
    assert rec.kinds() == ["start", "epoch", "epoch", "epoch", "end"]
    run = rec.calls[0][1]
    assert (run.epochs, run.start_epoch, run.measure, run.history, run.checkpoint_dir) == \
        (3, 0, "perplexity", (), None)
    assert run.config.epochs == 3 and Path(run.config.data).resolve() == corpus.resolve()
    records = [rec.calls[i][1][0] for i in (1, 2, 3)]
    assert [r.epoch for r in records] == [1, 2, 3]
    for i, (record, history) in enumerate(rec.calls[i][1] for i in (1, 2, 3)):
        assert history == tuple(records[:i + 1])  # every record so far, this one last
    # The records are the result's numbers, and the shortcut saw the same ones.
    np.testing.assert_array_equal([r.perplexity for r in records], result.perplexity)
    np.testing.assert_array_equal([r.tokens_per_sec for r in records], result.epoch_tokens_per_sec)
    assert all(r.value == r.perplexity and r.seconds is not None and r.seconds > 0
               for r in records)
    assert shortcut == [(r.epoch, r.value, r.tokens_per_sec) for r in records]
    assert rec.calls[-1][1] is result


def test_callbacks_change_no_number(jvm: None, corpus: Path) -> None:
    config = TrainConfig(model="lstm", epochs=2, data=corpus, seed=3, **TINY)
    plain = djl_bridge.train(config)
    with_hooks = djl_bridge.train(config, callbacks=[Recorder(), Recorder()])
    np.testing.assert_array_equal(plain.perplexity, with_hooks.perplexity)
    assert plain.predictions == with_hooks.predictions


def test_a_callback_stops_the_run_by_returning_false(jvm: None, corpus: Path) -> None:
    rec, other = Recorder(stop_after=2), Recorder()
    result = djl_bridge.train(TrainConfig(epochs=50, data=corpus, **TINY), callbacks=[rec, other])
    assert result.perplexity.shape == (2,)
    assert rec.kinds() == other.kinds() == ["start", "epoch", "epoch", "end"]


def test_a_raising_callback_stops_the_run_names_itself_and_keeps_the_checkpoint(
        jvm: None, corpus: Path, tmp_path: Path) -> None:
    after = Recorder()
    config = TrainConfig(epochs=10, data=corpus, **TINY)
    options = djl_bridge.RunOptions(checkpoint_dir=tmp_path / "ck", save_every=100)
    with pytest.raises(CallbackError) as info:
        djl_bridge.run(config, options, callbacks=[Recorder(), Boom(at=3), after])
    message = str(info.value)
    assert message.startswith("callback Boom raised ValueError: no good at epoch 3 in "
                              "on_epoch_end after epoch 3; the run stopped there: the checkpoint "
                              f"of epoch 3 is in {tmp_path / 'ck'}"), message
    assert "\n" not in message
    assert (info.value.callback, info.value.hook, info.value.epoch) == ("Boom", "on_epoch_end", 3)
    assert isinstance(info.value.__cause__, ValueError)
    # The run stopped there: the callbacks after it did not hear of epoch 3, nor of an end.
    assert after.kinds() == ["start", "epoch", "epoch"]
    ckpt = djl_bridge.read_checkpoint(tmp_path / "ck")  # on disk, and readable
    assert ckpt.epochs_done == 3 and len(ckpt.perplexity) == 3
    # ... and it goes on from there, the earlier epochs handed to the callbacks at the start.
    rec = Recorder()
    resumed = djl_bridge.resume(tmp_path / "ck", callbacks=[rec], epochs=4)
    run = rec.calls[0][1]
    assert (run.start_epoch, run.epochs) == (3, 4)
    assert [r.epoch for r in run.history] == [1, 2, 3] and run.history[0].seconds is None
    np.testing.assert_array_equal([r.value for r in run.history], ckpt.perplexity)
    assert rec.kinds() == ["start", "epoch", "end"]
    record, history = rec.calls[1][1]
    assert record.epoch == 4 and [r.epoch for r in history] == [1, 2, 3, 4]
    assert resumed.perplexity.shape == (4,)


def test_a_raising_start_or_end_hook_is_one_error_too(jvm: None, corpus: Path,
                                                      tmp_path: Path) -> None:
    class BadStart(Callback):
        def on_run_start(self, run: RunInfo) -> None:
            raise RuntimeError("cannot start")

    class BadEnd(Callback):
        def on_run_end(self, result: TrainingResult) -> None:
            raise KeyError("x")

    config = TrainConfig(epochs=2, data=corpus, **TINY)
    with pytest.raises(CallbackError, match=r"^callback BadStart raised RuntimeError: cannot "
                                            r"start in on_run_start; the run did not start$"):
        djl_bridge.train(config, callbacks=[BadStart()])
    options = djl_bridge.RunOptions(checkpoint_dir=tmp_path / "ck")
    with pytest.raises(CallbackError, match=r"^callback BadEnd raised KeyError: 'x' in on_run_end; "
                                            r"the run had finished \(its checkpoint is in .*ck"):
        djl_bridge.run(config, options, callbacks=[BadEnd()])
    assert djl_bridge.read_checkpoint(tmp_path / "ck").epochs_done == 2


def test_the_shortcut_names_its_function_when_it_raises(jvm: None, corpus: Path) -> None:
    def my_hook(epoch: int, perplexity: float, speed: float) -> None:
        raise ZeroDivisionError("oops")

    with pytest.raises(CallbackError, match=r"^callback on_epoch \(.*my_hook\) raised "
                                            r"ZeroDivisionError: oops in on_epoch_end after epoch 1; "
                                            r"the run stopped there: nothing was saved"):
        djl_bridge.train(TrainConfig(epochs=3, data=corpus, **TINY), on_epoch=my_hook)


@pytest.mark.parametrize("callbacks, match", [
    (Recorder(), r"^callbacks must be a list of djl_bridge.Callback, got <"),
    ([Recorder(), print], r"^callbacks\[1\] must be a djl_bridge.Callback \(subclass it"),
    ("abc", r"^callbacks must be a list"),
])
def test_a_bad_callback_list_is_one_line_before_the_jvm(corpus: Path, callbacks: Any,
                                                        match: str) -> None:
    with pytest.raises(djl_bridge.ConfigError, match=match):
        djl_bridge.train(TrainConfig(epochs=1, data=corpus, **TINY), callbacks=callbacks)


def test_a_record_is_generic_over_the_measure() -> None:
    loss = EpochRecord(2, "loss", 0.25, 1000.0, 1.5)
    assert loss.value == 0.25
    with pytest.raises(AttributeError, match="this run measures loss, not perplexity: use .value"):
        loss.perplexity
    with pytest.raises(Exception):
        loss.value = 1.0  # type: ignore[misc] - frozen
    assert EpochRecord(1, "perplexity", 9.0, 5.0).perplexity == 9.0


def test_the_plot_learns_the_epoch_count_when_the_run_starts(jvm: None, corpus: Path,
                                                             tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    plot = djl_bridge.PerplexityPlot(path=tmp_path / "curve.png")
    assert plot.num_epochs is None

    class Spy(Callback):  # after the plot in the list: what the plot knew at the start
        def on_run_start(self, run: RunInfo) -> None:
            self.seen = plot.num_epochs

    spy = Spy()
    result = djl_bridge.train(TrainConfig(epochs=3, data=corpus, **TINY), callbacks=[plot, spy])
    assert spy.seen == 3 == plot.num_epochs
    assert plot.epochs == [1, 2, 3] and plot.perplexity == list(result.perplexity)
    assert (tmp_path / "curve.png").read_bytes().startswith(b"\x89PNG")


def _require(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed: pip install -e '.[test,notebook]'")


NOTEBOOK_CELLS = [
    "import djl_bridge\n"
    "class Counter(djl_bridge.Callback):\n"
    "    def __init__(self):\n"
    "        self.calls = {'start': 0, 'epoch': 0, 'end': 0}\n"
    "    def on_run_start(self, run):\n"
    "        self.calls['start'] += 1; self.epochs = run.epochs\n"
    "    def on_epoch_end(self, record, history):\n"
    "        self.calls['epoch'] += 1; self.last = (record.epoch, len(history))\n"
    "    def on_run_end(self, result):\n"
    "        self.calls['end'] += 1",
    "counter, plot = Counter(), djl_bridge.PerplexityPlot()\n"
    "config = djl_bridge.TrainConfig(epochs=3, hidden=16, batch_size=4, num_steps=5,\n"
    "                                max_tokens=2000)\n"
    "result = djl_bridge.train(config, callbacks=[plot, counter])",
    "print(counter.calls, counter.epochs, counter.last, plot.num_epochs, plot.epochs)",
]


def test_a_callback_list_in_a_notebook_kernel(tmp_path: Path, corpus: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _require("ipykernel")
    _require("matplotlib")
    nbformat, nbclient = _require("nbformat"), _require("nbclient")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("DJL_BRIDGE_DATA", str(corpus))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    train_cell = nb.cells[1]
    images = [o for o in train_cell.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, train_cell.outputs  # one figure, redrawn in place
    printed = "".join(o.text for o in nb.cells[2].outputs if o.output_type == "stream")
    assert printed == "{'start': 1, 'epoch': 3, 'end': 1} 3 (3, 3) 3 [1, 2, 3]\n", printed
