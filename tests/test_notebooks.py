"""The chapter's notebooks, executed top to bottom by a real Jupyter kernel (nbclient + ipykernel)
at tiny settings: a cell after the one tagged ``parameters`` makes them tiny. Checked: no cell
fails, every training prints the text's lines and shows one redrawn figure, the Pythonic cells
show one progress display (never also a terminal bar) and an HTML table, nothing is on stderr
but the PredictionWarning of a bidirectional model's run (9.4), at the cell's line, the user's
matplotlib backend and other state are as before, and an interrupted training cell ends in one
line with its checkpoint intact and the next cell training again. The saved notebooks hold the
outputs of a run at the text's settings. The seq2seq notebooks (9.5-9.7) have checks of their
own: the English-French data, the loss curve, the four translations with their BLEU."""
from __future__ import annotations

import importlib
import json
import os
import re
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from djl_bridge import read_checkpoint
from djl_bridge.config import BIDIRECTIONAL_NOTE
from djl_bridge.jvm import DEFAULT_THREADS_ENV

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The seq2seq notebooks (D2L 9.5-9.7, English-French data), by name: the override that makes
#: each tiny, and the text's settings its saved outputs must come from.
SEQ2SEQ_TINY = {
    "9.5-machine-translation": {"batchSize": 2, "numSteps": 8, "numExamples": 600},
    "9.6-encoder-decoder": {"batchSize": 2, "numSteps": 3},
    "9.7-seq2seq": {"numEpochs": 3, "embedSize": 8, "numHiddens": 8, "numExamples": 100,
                    "batchSize": 16},
}
SEQ2SEQ_TEXT = {
    "9.5-machine-translation": {"batchSize": 2, "numSteps": 8, "numExamples": 600},
    "9.6-encoder-decoder": {"batchSize": 4, "numSteps": 7, "vocabSize": 10, "embedSize": 8,
                            "numHiddens": 16, "numLayers": 2},
    "9.7-seq2seq": {"embedSize": 32, "numHiddens": 32, "numLayers": 2, "batchSize": 64,
                    "numSteps": 10, "numExamples": 600, "numEpochs": 300, "dropout": 0.1,
                    "lr": 0.005},
}
SEQ2SEQ = sorted(ROOT / "notebooks" / f"{name}.ipynb" for name in SEQ2SEQ_TINY)
#: The language-model notebooks (8.5-9.4, The Time Machine).
LANGUAGE_MODELS = [p for p in NOTEBOOKS if p not in SEQ2SEQ]
#: The override the tests put after the parameters cell: few epochs, a small model and corpus.
TINY = {"numEpochs": 3, "numHiddens": 16, "maxTokens": 2000, "batchSize": 4, "numSteps": 5,
        "moreEpochs": 2}
#: The text's settings, which the saved outputs must come from.
TEXT = {"numEpochs": 500, "batchSize": 32, "numSteps": 35, "maxTokens": 10000}

#: The OpenMP settings, which are the JVM's, chosen once at its start (docs/install.md): the
#: count and whether it is djl_bridge's own.
OPENMP_VARS = ("OMP_", "MKL_", DEFAULT_THREADS_ENV)
#: Put first: the user's state as a notebook holds it before anything of djl_bridge runs.
SNAPSHOT = f"_OPENMP = {OPENMP_VARS!r}\n" + """\
import locale, os, signal, sys
import matplotlib, matplotlib.pyplot as plt
def _user_state():
    return {"backend": matplotlib.get_backend(), "figures": plt.get_fignums(),
            "rcParams": dict(matplotlib.rcParams),
            "signals": [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM,
                                                      signal.SIGHUP, signal.SIGUSR1)],
            "locale": locale.setlocale(locale.LC_ALL), "cwd": os.getcwd(),
            "streams": (sys.stdout, sys.stderr, sys.stdin),
            "environ": {k: v for k, v in os.environ.items() if not k.startswith(_OPENMP)}}
_before = _user_state()"""
#: Put last: what changed, and a plot of the user's own, shown inline as before.
CHECK = """\
_after = _user_state()
print("changed:", sorted(k for k in _before if _before[k] != _after[k]))
plt.plot([1, 2, 3], [3, 1, 2])
plt.show()"""


def _require(module: str) -> Any:
    """The module, or a skip where it is not installed (CI installs it: a failure there)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{module} is not installed: pip install -e '.[test,notebook]' (./go setup "
                    "does)")


@pytest.fixture()
def kernel_env(monkeypatch: pytest.MonkeyPatch, corpus: Path) -> None:
    """The kernel imports this checkout's djl_bridge and reads the test corpus."""
    _require("ipykernel")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("DJL_BRIDGE_DATA", str(corpus))


def _load(path: Path, overrides: dict[str, Any], first: str = "", last: str = "") -> Any:
    nbformat = _require("nbformat")
    nb = nbformat.read(path, as_version=4)
    at = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(at) == 1, f"{path.name}: one cell must be tagged 'parameters'"
    override = "\n".join(f"{name} = {value!r}" for name, value in overrides.items())
    nb.cells.insert(at[0] + 1, nbformat.v4.new_code_cell(override))
    if first:
        nb.cells.insert(0, nbformat.v4.new_code_cell(first))
    if last:
        nb.cells.append(nbformat.v4.new_code_cell(last))
    return nb


def _client(nb: Any, work: Path) -> Any:
    nbclient = _require("nbclient")
    return nbclient.NotebookClient(nb, timeout=900, kernel_name="python3",
                                   resources={"metadata": {"path": str(work)}})


def _texts(cell: Any, kind: str) -> list[str]:
    """The text of each output of ``kind``: "stdout"/"stderr" streams, or a MIME type."""
    out = []
    for o in cell.outputs:
        if o.output_type == "stream" and o.name == kind:
            out.append(o.text)
        elif o.output_type in ("display_data", "execute_result") and kind in o.data:
            out.append(o.data[kind])
    return out


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PERPLEXITY_LINE = re.compile(r"perplexity: \d+\.\d, \d+\.\d tokens/sec on cpu\(\)\n"
                             r"time traveller.*\ntraveller.*\n$")
#: What a cell that trains a bidirectional model shows on stderr (D2L 9.4's lesson): the warning,
#: at the cell's own line.
NOTE_LINE = re.compile(r"(?P<file>.+):\d+: PredictionWarning: " + re.escape(BIDIRECTIONAL_NOTE)
                       + r"\n")
PROGRESS_LINE = re.compile(r"^epoch (\d+)/(\d+)  perplexity \d+\.\d{3}  [\d,]+ tokens/s  "
                           r"\([\d,.]+ s\)$")


@pytest.mark.notebook
@pytest.mark.parametrize("path", LANGUAGE_MODELS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_kernel(path: Path, tmp_path: Path, kernel_env: None) -> None:
    nb = _load(path, TINY, SNAPSHOT, CHECK)
    _client(nb, tmp_path).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    # The progress widgets became their lines: no widget is left to show.
    assert not [o for c in code for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    java_runs = [c for c in code if "TimeMachine.trainCh8(" in c.source]
    api_runs = [c for c in code if re.search(r"djl_bridge\.(train|run|resume)\(", c.source)]
    assert java_runs and api_runs, "each notebook trains like the text and from the Python API"
    # Nothing on stderr but the note of a run of a bidirectional model, once, pointing at the
    # cell: no terminal bar beside the widget, no stray warning.
    stderr = {i: "".join(_texts(c, "stderr")) for i, c in enumerate(code) if _texts(c, "stderr")}
    bidirectional = {i for i, c in enumerate(code) if c in api_runs
                     and "bidirectional" in "".join(_texts(c, "text/html"))}
    assert set(stderr) == bidirectional, stderr
    # The notebook that trains the text's bidirectional layer (9.4) shows the note too.
    assert bool(bidirectional) == any("optBidirectional(True)" in c.source for c in code)
    for i in bidirectional:
        note = NOTE_LINE.match(stderr[i])
        assert note and "djl_bridge" not in note["file"], stderr[i]
        assert stderr[i].count("Warning") == 1, stderr[i]
    for cell in java_runs:
        # The text's three lines, and the live plot: one figure although it was drawn after
        # the first and after the last epoch (redrawn in place, not one image per epoch).
        assert PERPLEXITY_LINE.search("".join(_texts(cell, "stdout"))), cell.outputs
        assert len(_texts(cell, "image/png")) == 1, cell.source
    for cell in api_runs:
        progress = [t for t in _texts(cell, "text/plain") if t.startswith("epoch ")]
        assert len(progress) == 1 and PROGRESS_LINE.match(progress[0]), cell.outputs
        done, total = map(int, PROGRESS_LINE.match(progress[0]).groups())
        assert done == total
        tables = _texts(cell, "text/html")
        assert len(tables) == 1 and tables[0].startswith("<table>") and "TrainingResult" in tables[0]
        if "PerplexityPlot" in cell.source:
            assert len(_texts(cell, "image/png")) == 1
    # The user's state: matplotlib's inline backend, figures, rcParams, signal handlers, locale,
    # working directory, streams and environment are what they were; the user's own plot shows.
    assert _texts(code[-1], "stdout") == ["changed: []\n"], code[-1].outputs
    assert len(_texts(code[-1], "image/png")) == 1


@pytest.mark.notebook
def test_interrupting_a_training_cell(tmp_path: Path, kernel_env: None) -> None:
    # The kernel's interrupt button (SIGINT) in the middle of the checkpointed run of 9.1: the
    # cell ends in one line, the checkpoint is intact, the next cells read it and train again.
    nbclient = _require("nbclient")
    nb = _load(ROOT / "notebooks" / "9.1-gru.ipynb", {**TINY, "numEpochs": 100_000})
    client = _client(nb, tmp_path)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and "TimeMachine.trainCh8(" not in c.source]  # the text's runs: not needed here
    (train_at,) = [k for k, (_, c) in enumerate(code) if "djl_bridge.run(" in c.source]
    latest = tmp_path / "runs" / "gru" / "LATEST"

    with client.setup_kernel():
        for index, cell in code[:train_at]:
            client.execute_cell(cell, index)
        pid = client.km.provisioner.process.pid

        ended = threading.Event()

        def interrupt() -> None:  # once the first checkpoint is written, during later epochs
            while not latest.exists():
                if ended.wait(0.2):
                    return  # the cell ended by itself: the assertions below say how
            os.kill(pid, signal.SIGINT)

        pressed = threading.Thread(target=interrupt, daemon=True)
        pressed.start()
        index, cell = code[train_at]
        try:
            with pytest.raises(nbclient.exceptions.CellExecutionError):
                client.execute_cell(cell, index)
        finally:
            ended.set()
            pressed.join()
        (error,) = [o for o in cell.outputs if o.output_type == "error"]
        assert len(error.traceback) == 1, error.traceback
        line = error.traceback[0]
        match = re.fullmatch(r"Interrupted: interrupted by Ctrl-C during epoch (\d+): the "
                             r"checkpoint of epoch (\d+) is in runs/gru/epoch-0*(\d+); go on with "
                             r"`djl_bridge\.resume\('runs/gru'\)`", line)
        assert match, line
        stopped, saved, named = map(int, match.groups())
        assert stopped == saved + 1 and named == saved >= 10
        assert cell.outputs[-1] is error  # the cell ends with it
        ckpt = read_checkpoint(tmp_path / "runs" / "gru")
        assert ckpt.verified and ckpt.epochs_done == saved and len(ckpt.perplexity) == saved

        rest = code[train_at + 1:]
        for index, cell in rest:
            client.execute_cell(cell, index)
        tables = [t for _, c in rest for t in _texts(c, "text/html")]
        assert f"{saved} of 100000" in tables[0]  # the checkpoint, shown as a table
        assert "TrainingResult" in tables[1]  # resumed: trained again
    assert read_checkpoint(tmp_path / "runs" / "gru").epochs_done == saved + TINY["moreEpochs"]


@pytest.mark.parametrize("path", LANGUAGE_MODELS, ids=lambda p: p.stem)
def test_saved_outputs_come_from_the_text_settings(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    (params,) = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    namespace: dict[str, Any] = {}
    exec("".join(params["source"]), namespace)  # noqa: S102 - the notebook's own assignments
    assert {k: namespace[k] for k in TEXT} == TEXT
    assert all(c["execution_count"] for c in code), "run every cell before saving"
    outputs = "".join(json.dumps(c["outputs"]) for c in code)
    assert '"output_type": "error"' not in outputs
    assert f"epoch {TEXT['numEpochs']}/{TEXT['numEpochs']}" in outputs  # a full run's progress
    assert "perplexity: " in outputs and "image/png" in outputs
    assert WIDGET_VIEW not in outputs  # each progress widget became its line
    assert not nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state")
    # the notebooks ship in the wheel: no path of the machine that ran them (a result's repr
    # once printed its config, the corpus path included)
    assert not re.search(r"/[^\s'\"]*timemachine\.txt", outputs), "a corpus path in the outputs"
    # a result shows as its short text (and HTML), not as every epoch's numbers
    texts = ["".join(o.get("text") or o.get("data", {}).get("text/plain") or "")
             for c in code for o in c["outputs"]]
    assert max(map(len, texts)) < 2_000, "a text output prints more than the run's result"


@pytest.fixture()
def fra_env(monkeypatch: pytest.MonkeyPatch, kernel_env: None, fra: Path) -> None:
    """The kernel also finds the English-French pairs (djl_bridge.nmtdata.locate_fra)."""
    monkeypatch.setenv("DJL_BRIDGE_FRA", str(fra))


TRANSLATIONS = ("go .", "i lost .", "he's calm .", "i'm home .")
LOSS_LINE = re.compile(r"^loss: \d+\.\d{3}, \d+\.\d tokens/sec on cpu\(\)\n$")
TRANSLATION_LINE = re.compile(r"^(?P<eng>.+) => (?P<fra>.*), bleu (?P<bleu>\d\.\d{3})$")


def _check_seq2seq(stem: str, code: list[Any]) -> None:
    """What each seq2seq notebook must show, whatever the settings."""

    def stdout(marker: str) -> str:  # what the one cell whose source holds ``marker`` printed
        (cell,) = [c for c in code if marker in c.source]
        return "".join(_texts(cell, "stdout"))

    if stem == "9.5-machine-translation":
        # the attribution, then the data's first pairs as read and as preprocessed
        read = stdout("readDataNMT(")
        assert "tatoeba" in read.lower() and "CC-BY 2.0 FR" in read, read  # ATTRIBUTION's
        assert "Go.\tVa !\nHi.\tSalut !\n" in read, read
        assert stdout("preprocessNMT(").startswith("go .\tva !\nhi .\tsalut !\nrun !\tcours !\n")
        assert stdout("source.subList(0, 6)").startswith("[go, .]\n[hi, .]\n[run, !]\n")
        assert stdout("srcVocab = Vocab(") == "10012\n"  # the full file's source vocabulary
        assert sum(len(_texts(c, "image/png")) for c in code) == 1  # the histogram
    elif stem == "9.6-encoder-decoder":
        assert "public abstract NDList initState(NDList)" in stdout("declaration(Decoder)")
        assert "protected NDList forwardInternal(ParameterStore,NDList,boolean,PairList<" \
            in stdout("declaration(EncoderDecoder)")
        assert stdout("byHand").splitlines()[-1] == "True True"  # the forward is the three steps
    else:
        assert re.fullmatch(r"dropout applied: (True|False)\n", stdout("whileTraining"))
        (train,) = [c for c in code if "net = EncoderDecoder(" in c.source]
        assert LOSS_LINE.match("".join(_texts(train, "stdout"))), train.outputs
        assert len(_texts(train, "image/png")) == 1  # the live curve, redrawn in place
        lines = stdout("predictSeq2Seq(").splitlines()
        found = [TRANSLATION_LINE.match(line) for line in lines]
        assert all(found) and [m["eng"] for m in found] == list(TRANSLATIONS), lines
        assert all(0 <= float(m["bleu"]) <= 1 for m in found)
        assert stdout('Seq2Seq.bleu("il est riche .", "il est calme .", 2)') == "0.658\n"
        assert "[[ 1,  0,  0],\n [ 4,  5,  0],\n]" in stdout("[[1, 2, 3], [4, 5, 6]]")
        values = [float(v) for v in re.findall(r"\d+\.\d*", stdout("loss.evaluate("))]
        assert len(values) == 3 and abs(values[0] - 2 * values[1]) < 1e-5 and values[2] == 0


@pytest.mark.notebook
@pytest.mark.parametrize("path", SEQ2SEQ, ids=lambda p: p.stem)
def test_seq2seq_notebook_runs_in_a_kernel(path: Path, tmp_path: Path, fra_env: None) -> None:
    nb = _load(path, SEQ2SEQ_TINY[path.stem], SNAPSHOT, CHECK)
    _client(nb, tmp_path).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not {i: _texts(c, "stderr") for i, c in enumerate(code) if _texts(c, "stderr")}
    own = {c.id for c in _require("nbformat").read(path, as_version=4).cells}
    _check_seq2seq(path.stem, [c for c in code if c.id in own])  # not the cells put in
    assert _texts(code[-1], "stdout") == ["changed: []\n"], code[-1].outputs
    assert len(_texts(code[-1], "image/png")) == 1


@pytest.mark.notebook
def test_a_seq2seq_notebook_without_the_data_says_how_to_get_it(tmp_path: Path,
                                                               kernel_env: None,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    nbclient = _require("nbclient")
    monkeypatch.delenv("DJL_BRIDGE_FRA", raising=False)
    nb = _load(ROOT / "notebooks" / "9.5-machine-translation.ipynb", {})
    with pytest.raises(nbclient.exceptions.CellExecutionError):
        _client(nb, tmp_path).execute()
    (error,) = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]
    (line,) = error.traceback  # one line: what is missing, where to get it, how to name it
    assert line.startswith("DataError: no English-French data: "), line
    assert "http://d2l-data.s3-accelerate.amazonaws.com/fra-eng.zip" in line, line
    assert "DJL_BRIDGE_FRA" in line, line


@pytest.mark.parametrize("path", SEQ2SEQ, ids=lambda p: p.stem)
def test_saved_seq2seq_outputs_come_from_the_text_settings(path: Path) -> None:
    nbformat = _require("nbformat")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    (params,) = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    namespace: dict[str, Any] = {}
    exec(params.source, namespace)  # noqa: S102 - the notebook's own assignments
    text = SEQ2SEQ_TEXT[path.stem]
    assert {k: namespace[k] for k in text} == text
    assert all(c.execution_count for c in code), "run every cell before saving"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not [c for c in code if _texts(c, "stderr")]
    _check_seq2seq(path.stem, code)
    if path.stem == "9.7-seq2seq":  # the default RNN kernel, as a user's run: the GruStack's
        # dropout acts while training (docs/seq2seq.md, section 4), on oneDNN's one-layer GRUs
        (probe,) = [c for c in code if "whileTraining" in c.source]
        assert _texts(probe, "stdout") == ["dropout applied: True\n"], probe.outputs
    outputs = "".join(json.dumps(c.outputs) for c in code)
    assert not re.search(r"/[^\s'\"]*fra(\.txt|-eng)", outputs), "a data path in the outputs"
    texts = ["".join(_texts(c, "stdout") + _texts(c, "text/plain")) for c in code]
    assert max(map(len, texts)) < 2_000, "a text output prints more than it should"
