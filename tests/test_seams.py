"""Issue #8's hostile cases at the seams, through the real CLI (fresh processes, real JVMs):
resume flags, SIGTERM, two writers, outputs checked before training, a damaged checkpoint,
predict interrupted, MXNet out of memory, a second Ctrl-C in library use, and the structure
(one epoch loop, no import cycles, one set of defaults)."""
from __future__ import annotations

import ast
import json
import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

from djl_bridge import checkpoint
from djl_bridge.config import TrainConfig

from .conftest import ROOT, run_cli

TINY = ["--hidden", "16", "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800"]


def _json(proc: subprocess.CompletedProcess[str]) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _one_error(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("djl-bridge: error: "), proc.stderr
    return lines[0]


class Child:
    """``djl-bridge ARGS`` in a fresh process whose stderr is read line by line. ``hook``: Python
    run in that process before the command (e.g. to send a signal at a given moment)."""

    started: list["Child"] = []

    def __init__(self, args: list[str], cwd: Path = ROOT, hook: str = "",
                 env: Optional[dict[str, str]] = None) -> None:
        command = ["-m", "djl_bridge.cli"] if not hook else \
            ["-c", f"{hook}\nfrom djl_bridge.cli import main\nmain()\n"]
        self.proc = subprocess.Popen(
            [sys.executable, *command, *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        Child.started.append(self)

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for(self, predicate, timeout: float = 180) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError("never happened; stderr:\n" + "".join(self.lines))

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        try:
            # Not communicate(): it would read stderr too, racing the reader thread for lines.
            self.proc.wait(timeout=timeout)
            assert self.proc.stdout is not None
            out = self.proc.stdout.read()
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        self._reader.join(10)
        return self.proc.returncode, out, "".join(self.lines)


@pytest.fixture(autouse=True)
def _no_child_outlives_its_test() -> Iterator[None]:
    """A failed assertion must not leave a 100000-epoch child training in the background."""
    yield
    for child in Child.started:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait(30)
    Child.started.clear()


# ---------------------------------------------------------------- 1. resume never ignores a flag

def test_resume_refuses_model_flags_that_equal_their_defaults(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", "--model", "lstm", "--lr", "0.5", *TINY, "--epochs", "2",
                   "--data", str(corpus), "--checkpoint-dir", str(ck), "--json"]))
    # --model gru and --hidden 256 are the defaults: the old CLI took them as "not given" and
    # trained the lstm at lr 0.5 with exit 0.
    line = _one_error(run_cli(["train", "--resume", str(ck), "--epochs", "6", "--model", "gru",
                               "--lr", "1", "--hidden", "256", "--json"]))
    assert "--model gru contradicts the checkpoint (--model lstm)" in line


def test_resume_applies_schedule_flags_even_when_equal_to_defaults(corpus: Path,
                                                                   tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", "--model", "rnn", "--lr", "0.5", "--clip", "0.5", *TINY,
                   "--epochs", "2", "--data", str(corpus), "--checkpoint-dir", str(ck),
                   "--json"]))
    proc = run_cli(["train", "--resume", str(ck), "--epochs", "3", "--lr", "1", "--clip", "1",
                    "--json"])
    out = _json(proc)
    assert out["config"]["lr"] == 1.0 and out["config"]["clip"] == 1.0
    assert out["epochs_done"] == 3 and out["resumed_from_epoch"] == 2
    assert "--lr 0.5 -> 1.0" in proc.stderr and "--clip 0.5 -> 1.0" in proc.stderr
    # The checkpoint now records the new schedule.
    assert checkpoint.read_checkpoint(ck).config.lr == 1.0


def test_a_diverged_run_goes_on_with_a_lower_lr(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    proc = run_cli(["train", "--impl", "scratch", "--model", "rnn", "--hidden", "16",
                    "--batch-size", "4", "--num-steps", "5", "--max-tokens", "500", "--lr", "400",
                    "--epochs", "8", "--data", str(corpus), "--checkpoint-dir", str(ck)])
    assert proc.returncode == 1 and "training diverged at epoch 2" in proc.stderr
    out = _json(run_cli(["train", "--resume", str(ck), "--lr", "1", "--epochs", "3", "--json"]))
    assert out["resumed_from_epoch"] == 1 and len(out["perplexity"]) == 3
    assert all(math.isfinite(p) for p in out["perplexity"])  # the old CLI refused any --lr


def test_resume_epochs_not_above_done_is_one_line(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", *TINY, "--epochs", "2", "--data", str(corpus), "--checkpoint-dir",
                   str(ck), "--json"]))
    line = _one_error(run_cli(["train", "--resume", str(ck), "--epochs", "2"]))
    assert "already has 2 epochs, so --epochs 2 trains nothing: pass --epochs N with N > 2" in line
    line = _one_error(run_cli(["train", "--resume", str(ck)]))  # its own --epochs 2
    assert "pass --epochs N with N > 2" in line


# -------------------------------------------------------- 2. SIGTERM is Ctrl-C: save, exit 143

def test_sigterm_saves_exits_143_and_keeps_stdout_clean(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    work = tmp_path / "cwd"
    work.mkdir()
    common = ["--model", "gru", *TINY, "--data", str(corpus), "--seed", "3"]
    _json(run_cli(["train", *common, "--epochs", "1", "--checkpoint-dir", str(ck), "--json"]))
    # --epochs 500 is the default value: given with --resume it must be the new total.
    child = Child(["train", "--resume", str(ck), "--epochs", "500", "--save-every", "1",
                   "--json"], cwd=work)
    child.wait_for(lambda: checkpoint.find_latest(ck) is not None
                   and checkpoint.find_latest(ck).name >= "epoch-000003")
    child.proc.send_signal(signal.SIGTERM)
    code, out, err = child.finish()
    assert code == 143, err
    assert out == ""  # nothing on stdout: no JVM banner, no half JSON
    assert "--epochs 1 -> 500" in err
    assert "djl-bridge: stopped by SIGTERM during epoch " in err
    assert "Traceback" not in err and "\tat " not in err and "SIGSEGV" not in err
    assert list(work.iterdir()) == []  # no hs_err_pid*.log in the working directory
    done = checkpoint.read_checkpoint(ck).epochs_done
    assert done >= 3
    assert f"the checkpoint of epoch {done} is in" in err
    assert checkpoint.read_checkpoint(ck).config.epochs == 500


# ------------------------------------------------------------ 3. one writer per checkpoint dir

def test_a_second_writer_is_refused_and_the_first_is_unharmed(corpus: Path,
                                                              tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    first = Child(["train", *TINY, "--data", str(corpus), "--epochs", "100000", "--save-every",
                   "1", "--checkpoint-dir", str(ck)])
    first.wait_for(lambda: checkpoint.find_latest(ck) is not None)
    line = _one_error(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "2",
                               "--checkpoint-dir", str(ck), "--overwrite"]))
    assert f"{ck} is in use by another djl-bridge run (pid {first.proc.pid}" in line
    assert first.proc.poll() is None  # still training
    first.proc.send_signal(signal.SIGINT)
    code, _, err = first.finish()
    assert code == 130 and "Traceback" not in err, err
    assert checkpoint.read_checkpoint(ck).epochs_done >= 1


def test_a_new_run_into_another_runs_directory_is_refused(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "2", "--checkpoint-dir",
                   str(ck), "--json"]))
    line = _one_error(run_cli(["train", *TINY, "--model", "rnn", "--data", str(corpus),
                               "--epochs", "1", "--checkpoint-dir", str(ck)]))
    assert f"{ck} already holds the checkpoints of another run" in line
    assert "--resume" in line and "--overwrite" in line
    out = _json(run_cli(["train", *TINY, "--model", "rnn", "--data", str(corpus), "--epochs",
                         "1", "--checkpoint-dir", str(ck), "--overwrite", "--json"]))
    assert out["epochs_done"] == 1
    assert sorted(p.name for p in ck.iterdir() if not p.name.startswith(".")) == \
        ["LATEST", "epoch-000001"]
    assert checkpoint.read_checkpoint(ck).config.model == "rnn"


# ------------------------------------------------------ 4. outputs checked before any training

@pytest.mark.parametrize("flag", ["--checkpoint-dir", "--plot"])
def test_unwritable_outputs_fail_before_training(corpus: Path, tmp_path: Path, flag: str) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    target = a_file / ("ck" if flag == "--checkpoint-dir" else "p.png")
    proc = run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "3", flag, str(target)])
    line = _one_error(proc)
    assert str(a_file) in line
    assert "epoch 1/" not in proc.stderr  # nothing was trained


def test_plot_pointing_at_a_directory_fails_before_training(corpus: Path, tmp_path: Path) -> None:
    target = tmp_path / "dir.png"
    target.mkdir()
    line = _one_error(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "3",
                               "--plot", str(target)]))
    assert str(target) in line


# ----------------------------------------------------------------- 5. a damaged checkpoint

def test_resume_from_a_damaged_concise_checkpoint_names_the_file(corpus: Path,
                                                                  tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", "--impl", "concise", *TINY, "--data", str(corpus), "--epochs", "2",
                   "--checkpoint-dir", str(ck), "--json"]))
    params = checkpoint.read_checkpoint(ck).params_file
    data = bytearray(params.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of a weight
    params.write_bytes(bytes(data))
    for args in (["train", "--resume", str(ck), "--epochs", "3"], ["predict", "--checkpoint",
                                                                   str(ck)]):
        line = _one_error(run_cli(args))
        assert f"{params} is damaged (SHA-256 mismatch" in line


# ------------------------------------------------------------- 7. predict can be interrupted

def test_predict_stops_on_ctrl_c(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    _json(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "1", "--checkpoint-dir",
                   str(ck), "--json"]))
    child = Child(["predict", "--checkpoint", str(ck), "--num-preds", "1000000000"])
    time.sleep(6)  # JVM up and generating
    child.proc.send_signal(signal.SIGINT)
    code, out, err = child.finish(timeout=60)
    assert code == 130, err
    assert "djl-bridge: predict interrupted by Ctrl-C: nothing to save" in err
    assert out == "" and "Traceback" not in err


# --------------------------------------------------------- 8. one line, never a Java trace

def _limit_address_space() -> None:
    # 6 GiB of address space: enough for the JVM and MXNet, not for a 40000 x 40000 matrix, so
    # the allocation fails at once instead of pushing the machine into the OOM killer.
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))


@pytest.mark.parametrize("impl, expected", [
    # --hidden 40000 (an array over MXNet 1.9.1's 2^31 elements for concise) is refused by its
    # size before any JVM now (tests/test_model_size.py); 13000 fits a checkpoint, not 6 GiB
    ("scratch", "MXNet could not allocate memory for the model"),
    ("concise", "MXNet could not allocate memory for the model"),
])
def test_mxnet_out_of_memory_is_one_line(corpus: Path, impl: str, expected: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "djl_bridge.cli", "train", "--impl", impl, "--hidden", "13000",
         "--batch-size", "4", "--num-steps", "5", "--max-tokens", "800", "--epochs", "1",
         "--data", str(corpus)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, preexec_fn=_limit_address_space,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    building, *rest = proc.stderr.splitlines()
    assert building.startswith("djl-bridge: building the model (")  # 508 M parameters
    proc.stderr = "\n".join(rest)
    line = _one_error(proc)
    assert expected in line and "lower --hidden" in line
    if impl == "concise":  # --debug adds the Java stack trace of the same error
        debug = subprocess.run(proc.args + ["--debug"], capture_output=True, text=True, cwd=ROOT,
                               timeout=300, preexec_fn=_limit_address_space,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert debug.returncode == 1 and "ai.djl.engine.EngineException" in debug.stderr
        assert debug.stderr.strip().splitlines()[-1] == line


def test_a_java_error_escaping_a_call_is_still_one_line(jvm: None) -> None:
    import jpype

    from djl_bridge.javaerrors import java_errors
    from djl_bridge.errors import ConfigError, JavaError

    with pytest.raises(ConfigError, match=r"^TrainConfig\.model must be gru, lstm or rnn, got .x.$"):
        with java_errors():  # IllegalArgumentException -> ConfigError, subclass-aware
            jpype.JClass("djlbridge.training.TrainSettings").builder().setModel("x").setDataPath("d").build()
    with pytest.raises(JavaError) as info:
        with java_errors():
            jpype.JClass("java.util.ArrayList")().get(3)
    assert info.value.java_class == "java.lang.IndexOutOfBoundsException"
    assert "\n" not in str(info.value) and "java.util.ArrayList.get" in info.value.java_trace


def test_a_second_ctrl_c_raises_keyboard_interrupt_in_library_use() -> None:
    from djl_bridge.interrupt import StopRequest, call_interruptible

    stopped = threading.Event()
    request = StopRequest()

    def ctrl_c_twice() -> None:
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c_twice, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):  # the old code called os._exit(130) here
        call_interruptible(lambda: time.sleep(5), stopped.set, request)
    assert stopped.is_set() and request.signal_name == "Ctrl-C"


# ------------------------------------------------------------------------------ structure

def _imports(module: Path, depth: int) -> set[str]:
    """The top-level djl_bridge modules ``module`` imports, anywhere in it (a lazy import inside a
    function closes a cycle as well); ``depth`` is 1 for ``djl_bridge/x.py``, 2 inside a
    sub-package (whose own siblings are left out)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == depth:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_the_package_has_no_import_cycles() -> None:
    package = ROOT / "djl_bridge"
    graph: dict[str, set[str]] = {p.stem: _imports(p, 1) for p in package.glob("*.py")}
    for sub in (p for p in package.iterdir() if (p / "__init__.py").is_file()):
        graph[sub.name] = set().union(*(_imports(p, 2) for p in sub.glob("*.py")))

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> Optional[tuple[str, ...]]:
        for nxt in graph.get(node, ()):
            if nxt == start:
                return seen + (nxt,)
            if nxt not in seen:
                found = cycle_from(start, nxt, seen + (nxt,))
                if found:
                    return found
        return None

    for name in graph:
        assert cycle_from(name, name, (name,)) is None, cycle_from(name, name, (name,))


def test_python_and_java_defaults_are_the_same(jvm: None) -> None:
    import jpype

    settings = jpype.JClass("djlbridge.training.TrainSettings").builder().setDataPath("x").build()
    java = json.loads(str(settings.toJsonObject().toString()))
    python = TrainConfig().to_dict()
    for name, value in java.items():
        if name != "data":
            assert python[name] == value, name
    # The parameter file names a checkpoint holds, and the text's prediction length.
    files = jpype.JClass("djlbridge.training.ParameterFiles")
    assert checkpoint.PARAMS == {impl: str(files.fileName(impl)) for impl in ("scratch", "concise")}
    from djl_bridge.cli import build_parser

    predict_args = build_parser().parse_args(["predict", "--checkpoint", "x"])
    assert predict_args.num_preds == int(jpype.JClass("djlbridge.TimeMachine").PREDICT_LENGTH)


def test_only_the_training_session_loops_over_epochs() -> None:
    java = ROOT / "java" / "src" / "main" / "java" / "djlbridge"
    loops = [str(p.relative_to(java)) for p in java.rglob("*.java")
             if "trainEpochCh8(" in p.read_text() and p.name != "TimeMachine.java"]
    assert loops == ["training/TrainingSession.java"]
    text = (java / "TimeMachine.java").read_text()
    body = text[text.index("public static RunReport trainCh8("):]
    body = body[body.index("public static RunReport trainCh8(", 10):]
    body = body[:body.index("public static Pair<Double, Double> trainEpochCh8(")]
    assert "TrainingSession.wrap(" in body and "for (int epoch" not in body


def test_data_that_is_not_a_file_is_one_line(tmp_path: Path) -> None:
    line = _one_error(run_cli(["train", *TINY, "--epochs", "1", "--data", str(tmp_path)]))
    assert f"the corpus {tmp_path} (from --data) is a directory" in line
    line = _one_error(run_cli(["train", *TINY, "--epochs", "1", "--data", "/dev/zero"]))
    assert "is not a regular file" in line  # not a SHA-1 over an endless device



class _BrokenModel:
    """Not a model: its getParams() fails on the Java side (an IndexOutOfBoundsException)."""

    def getParams(self) -> object:  # noqa: N802 - the Java name
        import jpype

        return jpype.JClass("java.util.ArrayList")().get(0)


def test_weights_helpers_raise_python_errors(jvm: None) -> None:
    from djl_bridge import weights
    from djl_bridge.errors import JavaError

    with pytest.raises(JavaError, match="Index 0 out of bounds for length 0"):
        weights.get_weights(_BrokenModel())
