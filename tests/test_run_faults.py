"""A run's faults end in one line, through the real CLI in fresh processes and through the Python
API: signals at any moment (SIGINT, SIGTERM, SIGHUP, SIGUSR1, a second Ctrl-C), a run stopped
before its first epoch, a closed or full stdout, a raising callback, the API's names for fields,
predict interrupted. Where a signal must come at one exact moment, a ``hook`` sends it from
inside the process (real JVM, real DJL). (The machine's and the set-up's faults:
test_environment.)"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from djl_bridge import checkpoint
from djl_bridge.errors import BridgeError, CheckpointError

from .conftest import ROOT, T1, TINY, Child, cli_json, one_error, run_cli

#: What a crashed or confused process leaves on stderr.
BROKEN = ("Traceback", "Exception ignored", "Fatal error", "hs_err", "internal error",
          "terminate called", "SIGSEGV")
#: A command-line flag in a message.
FLAG = re.compile(r"(?<![\w-])--[a-z]")


def _clean(err: str) -> None:
    assert not [b for b in BROKEN if b in err], err


def _training(ck: Path, *extra: str, hook: str = "", save_every: str = "1") -> Child:
    """A run that would train for hours, checkpointing into ``ck``."""
    return Child(["train", *T1, "--epochs", "100000", "--save-every", save_every,
                  "--checkpoint-dir", str(ck), *extra], hook=hook)


def _has_checkpoint(ck: Path) -> Callable[[], bool]:
    return lambda: (ck / checkpoint.LATEST).is_file()


# ------------------------------------------------------------ any number of signals, any moment

@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("signals, gap", [
    # A second Ctrl-C from at once to after the exit (main: a traceback in an atexit callback,
    # death by SIGINT (-2) or a JVM abort (-6) once it lands in the JVM's shutdown, 0.1-0.3 s).
    *[((signal.SIGINT, signal.SIGINT), gap) for gap in (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)],
    ((signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGINT, signal.SIGTERM), 0.005),
])
def test_signal_storms_end_in_one_line(tmp_path: Path, signals: tuple[int, ...],
                                       gap: float) -> None:
    ck = tmp_path / "ck"
    child = _training(ck)
    child.wait_for(_has_checkpoint(ck))
    for i, sig in enumerate(signals):
        time.sleep(gap if i else 0)
        try:
            child.proc.send_signal(sig)
        except ProcessLookupError:
            break
    code, out, err = child.finish()
    assert code in {128 + s for s in signals}, err
    assert out == ""
    _clean(err)
    checkpoint.read_checkpoint(ck)  # whatever the moment, a complete checkpoint is there


@pytest.mark.subprocess
@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_signals_as_the_last_line_is_printed_keep_its_status(tmp_path: Path,
                                                             attempt: int) -> None:
    """Signals sent as the run prints its last line land in the exit (main: rc -2, -6, or an
    atexit traceback, 3 runs in 4)."""
    ck = tmp_path / "ck"
    child = _training(ck)
    child.wait_for(_has_checkpoint(ck))
    child.proc.send_signal(signal.SIGINT)
    child.wait_for(lambda: any("during epoch" in ln for ln in child.lines))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        try:
            child.proc.send_signal(sig)
        except ProcessLookupError:
            break
    code, out, err = child.finish()
    assert code == 130, err
    assert err.strip().splitlines()[-1].startswith("djl-bridge: interrupted by Ctrl-C during "
                                                   "epoch ")
    _clean(err)


@pytest.mark.subprocess
def test_a_second_signal_during_the_save_exits_at_once_and_leaves_no_damage(
        tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    hook = """
import os, signal
from djl_bridge.checkpoint import CheckpointWriter
write = CheckpointWriter.write
def writing(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C again, in the save after the stop
    return write(self, *args, **kwargs)
CheckpointWriter.write = writing
"""
    child = _training(ck, hook=hook, save_every="100000")  # no save but the one after the stop
    child.wait_for(lambda: any(ln.startswith("epoch 1/") for ln in child.lines))
    child.proc.send_signal(signal.SIGINT)
    code, out, err = child.finish()
    assert code == 130 and out == "", err
    assert err.strip().splitlines()[-1] == ("djl-bridge: Ctrl-C again: exiting at once without "
                                            "saving")
    _clean(err)
    with pytest.raises(CheckpointError, match="no checkpoint in"):  # nothing half-written
        checkpoint.read_checkpoint(ck)


@pytest.mark.subprocess
def test_signals_once_the_exit_status_is_known_end_with_it() -> None:
    hook = """
import os, signal
from djl_bridge import console
flush = console.Console._flush
sent = []
def flushing(self, status):
    if not sent:
        sent.append(status)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            os.kill(os.getpid(), sig)
    return flush(self, status)
console.Console._flush = flushing
"""
    child = Child(["train", *T1, "--epochs", "2", "--json"], hook=hook)
    code, out, err = child.finish(timeout=300)
    assert code == 0, err
    assert json.loads(out)["epochs_done"] == 2
    _clean(err)


# ---------------------------------------------------------- stopped before the first epoch ends

@pytest.mark.subprocess
def test_divergence_in_epoch_1_saves_nothing_in_one_line(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    line = one_error(run_cli(["train", *T1, "--data", str(corpus), "--epochs", "3", "--lr",
                              "1e30", "--checkpoint-dir", str(ck)]))
    assert "training diverged at epoch 1" in line and "lower the learning rate (--lr" in line
    assert line.endswith("Nothing was saved (no epoch finished)")
    assert not checkpoint.find_latest(ck)


@pytest.mark.subprocess
def test_sigterm_in_epoch_1_saves_nothing_and_exits_143(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    hook = """
import os, signal
from djl_bridge import bridge
train = bridge.Session.train
def training(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)   # as the first epoch starts
    return train(self, *args, **kwargs)
bridge.Session.train = training
"""
    child = Child(["train", "--hidden", "64", "--batch-size", "8", "--num-steps", "10",
                   "--max-tokens", "20000", "--epochs", "3", "--checkpoint-dir", str(ck)],
                  hook=hook)
    code, out, err = child.finish(timeout=300)
    assert code == 143, err
    assert err.strip().splitlines()[-1] == ("djl-bridge: stopped by SIGTERM during epoch 1: "
                                            "nothing was saved (no epoch finished)")
    _clean(err)
    assert out == "" and not checkpoint.find_latest(ck)


# ---------------------------------------------------------------------- a closed or full stdout

@pytest.mark.subprocess
def test_a_closed_stdout_is_refused_before_anything_runs(corpus: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "djl_bridge.cli", "train", *T1, "--data",
                           str(corpus), "--epochs", "1"], stdout=None, stderr=subprocess.PIPE,
                          text=True, cwd=ROOT, timeout=120, preexec_fn=lambda: os.close(1),
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == (
        "djl-bridge: error: stdout is closed, so the result cannot be printed: give djl-bridge "
        "an open stdout (>/dev/null to discard the result, >FILE to keep it)")


@pytest.mark.subprocess
@pytest.mark.slow
def test_a_full_stdout_is_one_line_and_the_checkpoint_is_kept(corpus: Path,
                                                             tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "djl_bridge.cli", "train", *T1, "--data",
                               str(corpus), "--epochs", "2", "--json", "--checkpoint-dir",
                               str(ck)], stdout=full, stderr=subprocess.PIPE, text=True,
                              cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = one_error(proc)
    assert line == ("djl-bridge: error: could not write the result to stdout (No space left "
                    "on device): free space there, or redirect stdout to a file system with "
                    f"room; the run's last checkpoint is in {ck / 'epoch-000002'}")
    assert checkpoint.read_checkpoint(ck).epochs_done == 2


# ---------------------------------------------------------- SIGHUP, SIGUSR1, a raising callback

@pytest.mark.subprocess
@pytest.mark.slow
def test_sighup_saves_and_exits_129(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    child = _training(ck, save_every="100000")
    child.wait_for(lambda: any(ln.startswith("epoch 1/") for ln in child.lines))
    child.proc.send_signal(signal.SIGHUP)
    code, out, err = child.finish()
    assert code == 129, err  # main: killed by SIGHUP, nothing saved
    assert "djl-bridge: stopped by SIGHUP during epoch " in err and out == ""
    _clean(err)
    assert checkpoint.read_checkpoint(ck).epochs_done >= 1


@pytest.mark.subprocess
@pytest.mark.slow
def test_sigusr1_writes_a_checkpoint_and_the_run_goes_on(tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    child = _training(ck, save_every="100000")
    child.wait_for(lambda: any(ln.startswith("epoch 1/") for ln in child.lines))
    child.proc.send_signal(signal.SIGUSR1)
    child.wait_for(_has_checkpoint(ck))
    saved = checkpoint.read_checkpoint(ck).epochs_done
    assert child.proc.poll() is None  # still training
    child.proc.send_signal(signal.SIGTERM)
    code, _, err = child.finish()
    assert code == 143, err
    assert "SIGUSR1: a checkpoint will be written when the current epoch ends" in err
    _clean(err)
    assert checkpoint.read_checkpoint(ck).epochs_done >= saved >= 1


class _Raised(Exception):
    pass


def test_a_raising_callback_saves_the_finished_epochs_first(jvm: None, corpus: Path,
                                                            tmp_path: Path) -> None:
    import djl_bridge

    def on_epoch(epoch: int, perplexity: float, speed: float) -> None:
        if epoch == 3:
            raise _Raised("the caller's own error")

    config = djl_bridge.TrainConfig(hidden=16, batch_size=4, num_steps=5, max_tokens=800,
                                    epochs=10, data=corpus)
    options = djl_bridge.RunOptions(checkpoint_dir=tmp_path / "ck", save_every=100)
    with pytest.raises(djl_bridge.CallbackError, match=r"^callback on_epoch \(.*on_epoch\) "
                       r"raised _Raised: the caller's own error in on_epoch_end after epoch 3; "
                       r"the run stopped there: the checkpoint of epoch 3 is in ") as info:
        djl_bridge.run(config, options, on_epoch=on_epoch)
    assert isinstance(info.value.__cause__, _Raised)  # the caller's own error, kept
    assert djl_bridge.read_checkpoint(tmp_path / "ck").epochs_done == 3


def test_a_run_gives_back_every_signal_handler(jvm: None, corpus: Path) -> None:
    import djl_bridge

    def mine(signum: int, frame: object) -> None:
        pass

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1)
    before = {s: signal.signal(s, mine) for s in signals}
    try:
        config = djl_bridge.TrainConfig(hidden=16, batch_size=4, num_steps=5, max_tokens=800,
                                        epochs=1, data=corpus)
        djl_bridge.train(config)
        assert all(signal.getsignal(s) is mine for s in signals)
        with pytest.raises(djl_bridge.CallbackError) as info:
            djl_bridge.train(config, on_epoch=lambda *a: (_ for _ in ()).throw(_Raised()))
        assert isinstance(info.value.__cause__, _Raised)
        assert all(signal.getsignal(s) is mine for s in signals)
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)


# ---------------------------------------------------------- the API names fields, the CLI flags

def _api_error(call: Callable[[], object]) -> str:
    with pytest.raises(BridgeError) as info:
        call()
    return str(info.value)


@pytest.mark.subprocess
def test_the_same_faults_in_the_api_and_the_cli(jvm: None, corpus: Path, tmp_path: Path) -> None:
    import djl_bridge
    from djl_bridge import RunOptions, TrainConfig

    tiny = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=800, epochs=2)
    other = tmp_path / "other.txt"
    other.write_text("another text entirely\n" * 50)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    faults = [  # (API call, CLI args, what the API says, what the CLI says)
        (lambda: djl_bridge.train(TrainConfig(**tiny, data=tmp_path / "missing.txt")),
         ["--data", str(tmp_path / "missing.txt")],
         "Pass TrainConfig.data with the path", "Pass --data with the path"),
        (lambda: djl_bridge.train(TrainConfig(**tiny, data=other)), ["--data", str(other)],
         "pass TrainConfig.verify_data=False to train on another text",
         "pass --no-verify-data to train on another text"),
        (lambda: djl_bridge.run(TrainConfig(**tiny, data=corpus),
                                RunOptions(checkpoint_dir=a_file / "ck")),
         ["--data", str(corpus), "--checkpoint-dir", str(a_file / "ck")],
         "pick another RunOptions.checkpoint_dir", "pick another --checkpoint-dir"),
        (lambda: djl_bridge.train(TrainConfig(**{**tiny, "lr": 1e30}, data=corpus)),
         ["--data", str(corpus), "--lr", "1e30"],
         "lower the learning rate (TrainConfig.lr 1.0E30 is too large)",
         "lower the learning rate (--lr 1.0E30 is too large)"),
    ]
    for api_call, cli_args, api_words, cli_words in faults:
        message = _api_error(api_call)
        assert api_words in message and not FLAG.search(message), message
        line = one_error(run_cli(["train", *T1, "--epochs", "2", *cli_args]))
        assert cli_words in line, line


@pytest.mark.subprocess
@pytest.mark.slow
def test_java_errors_in_the_api_name_fields(tmp_path: Path, corpus: Path) -> None:
    """MXNet out of memory under a 6 GiB limit (a fresh process), through the API. (40000 hidden
    units are refused by their size before any JVM now: tests/test_model_size.py.)"""
    script = f"""
import resource, djl_bridge
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
try:
    djl_bridge.train(djl_bridge.TrainConfig(hidden=13000, batch_size=4, num_steps=5,
                     max_tokens=800, epochs=1, data={str(corpus)!r}))
except djl_bridge.BridgeError as exc:
    print(exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    message = proc.stdout.strip()
    assert message.startswith("MXNet could not allocate memory for the model"), proc.stderr
    assert message.endswith("lower TrainConfig.hidden or TrainConfig.batch_size")
    assert not FLAG.search(message)


@pytest.mark.subprocess
@pytest.mark.slow
def test_a_stopped_api_run_says_how_to_go_on_in_python(tmp_path: Path, corpus: Path) -> None:
    script = f"""
import os, signal, djl_bridge
from djl_bridge import bridge
train = bridge.Session.train
def training(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return train(self, *args, **kwargs)
bridge.Session.train = training
config = djl_bridge.TrainConfig(hidden=64, batch_size=8, num_steps=10, max_tokens=20000,
                                epochs=3, data={str(corpus)!r})
for options in (djl_bridge.RunOptions(), djl_bridge.RunOptions(checkpoint_dir={str(tmp_path)!r})):
    try:
        djl_bridge.run(config, options)
    except djl_bridge.Interrupted as exc:
        print(exc.exit_status, exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.splitlines() == [
        "143 stopped by SIGTERM during epoch 1: nothing was saved (pass "
        "RunOptions.checkpoint_dir=DIR to keep progress)",
        "143 stopped by SIGTERM during epoch 1: nothing was saved (no epoch finished)",
    ], proc.stderr


# ------------------------------------------------------------ SIGTERM is Ctrl-C: save, exit 143

@pytest.mark.subprocess
@pytest.mark.slow
def test_sigterm_saves_exits_143_and_keeps_stdout_clean(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    work = tmp_path / "cwd"
    work.mkdir()
    common = ["--model", "gru", *TINY, "--data", str(corpus), "--seed", "3"]
    cli_json(run_cli(["train", *common, "--epochs", "1", "--checkpoint-dir", str(ck), "--json"]))
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


# ------------------------------------------------------------------- predict can be interrupted

@pytest.mark.subprocess
def test_predict_stops_on_ctrl_c(corpus: Path, tmp_path: Path) -> None:
    ck = tmp_path / "ck"
    cli_json(run_cli(["train", *TINY, "--data", str(corpus), "--epochs", "1", "--checkpoint-dir",
                      str(ck), "--json"]))
    child = Child(["predict", "--checkpoint", str(ck), "--num-preds", "1000000000"])
    time.sleep(6)  # JVM up and generating
    child.proc.send_signal(signal.SIGINT)
    code, out, err = child.finish(timeout=60)
    assert code == 130, err
    assert "djl-bridge: predict interrupted by Ctrl-C: nothing to save" in err
    assert out == "" and "Traceback" not in err


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
