"""Training that can be stopped, saved and resumed: ``run(config, ...)`` drives the Java
``TrainingSession`` (one call for all epochs, one callback per epoch) and adds checkpoints,
resume, Ctrl-C handling and a clean report when the loss diverges.

Ctrl-C: a Python signal handler cannot run while the main thread is inside a long Java call, so
the Java call runs in a worker thread and the main thread waits on it in short joins. On Ctrl-C the
main thread sets the Java ``TrainingControl`` flag; the dataset checks it before every batch, the
epoch in progress is dropped, and the parameters of the last finished epoch are saved.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import jpype
import numpy as np

from . import jvm
from .checkpoint import Checkpoint, read_checkpoint, write_checkpoint
from .config import TrainConfig
from .errors import (
    CheckpointError,
    ConfigError,
    TrainingDivergedError,
    TrainingInterruptedError,
)
from .train import EpochCallback, EpochRecorder, TrainingResult, prepare, settings

T = TypeVar("T")


@dataclass(frozen=True)
class RunOptions:
    """Where and how often to checkpoint, and what to resume from."""

    checkpoint_dir: Optional[Path] = None
    save_every: int = 10
    resume: Optional[Path] = None

    def validate(self) -> "RunOptions":
        """Raises :class:`ConfigError` for a bad value."""
        if isinstance(self.save_every, bool) or not isinstance(self.save_every, int) \
                or self.save_every <= 0:
            raise ConfigError(f"--save-every must be a whole number > 0, got {self.save_every!r}")
        if self.checkpoint_dir is not None and self.checkpoint_dir.exists() \
                and not self.checkpoint_dir.is_dir():
            raise ConfigError(
                f"--checkpoint-dir {self.checkpoint_dir} is a file: pass a directory")
        return self


class Interrupted(TrainingInterruptedError):
    """Ctrl-C stopped the run; ``checkpoint`` is where its last finished epoch was saved."""

    def __init__(self, message: str, epochs_done: int, checkpoint: Optional[Path]) -> None:
        super().__init__(message)
        self.epochs_done = epochs_done
        self.checkpoint = checkpoint


def resume_config(ckpt: Checkpoint, epochs: Optional[int], data: Optional[Path],
                  verify_data: Optional[bool]) -> TrainConfig:
    """The config to go on with: the checkpoint's, with a new epoch total and corpus if given."""
    changes: dict[str, Any] = {}
    if epochs is not None:
        changes["epochs"] = epochs
    if data is not None:
        changes["data"] = data
    if verify_data is not None:
        changes["verify_data"] = verify_data
    config = dataclasses.replace(ckpt.config, **changes).validate()
    if config.epochs <= ckpt.epochs_done:
        raise ConfigError(
            f"the checkpoint {ckpt.path} already has {ckpt.epochs_done} epochs: pass --epochs N "
            f"with N > {ckpt.epochs_done} to train further")
    return config


def call_interruptible(fn: Callable[[], T], on_interrupt: Callable[[], None],
                       poll_seconds: float = 0.1) -> T:
    """Runs ``fn`` in a worker thread while the main thread waits in short joins, so that Ctrl-C
    reaches Python; the first Ctrl-C calls ``on_interrupt`` and waits for ``fn`` to end, a second
    one exits at once with status 130."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            box["error"] = exc
        finally:
            finished.set()

    # An Event, not Thread.join: a KeyboardInterrupt inside join() can leave the thread marked
    # as stopped while it still runs (CPython gh-90882), and the process would exit under it.
    finished = threading.Event()
    worker = threading.Thread(target=target, name="djl-bridge-train", daemon=True)
    worker.start()
    interrupted = False
    while not finished.is_set():
        try:
            finished.wait(poll_seconds)
        except KeyboardInterrupt:
            if interrupted:
                print("djl-bridge: interrupted twice: exiting without saving", file=sys.stderr,
                      flush=True)
                os._exit(130)
            interrupted = True
            print("\ndjl-bridge: Ctrl-C: stopping after the current batch (press again to quit "
                  "at once)", file=sys.stderr, flush=True)
            on_interrupt()
    if "error" in box:
        raise box["error"]
    return box["value"]


def run(config: TrainConfig, options: RunOptions = RunOptions(),
        on_epoch: Optional[EpochCallback] = None,
        resume_from: Optional[Checkpoint] = None) -> TrainingResult:
    """Trains ``config`` (continuing ``resume_from`` when given), checkpointing into
    ``options.checkpoint_dir``. Raises :class:`Interrupted` on Ctrl-C and
    :class:`TrainingDivergedError` on a non-finite loss, both after saving the last good epoch."""
    options.validate()
    config = prepare(config)
    jvm.start()
    root = options.checkpoint_dir
    session_cls = jpype.JClass("djlbridge.TrainingSession")
    control = jpype.JClass("djlbridge.TrainingControl")()
    with jvm.java_errors():
        session = session_cls.open(settings(config), control)
    try:
        vocab = [str(t) for t in session.getIdxToToken()]
        if resume_from is not None:
            if vocab != resume_from.vocab:
                raise CheckpointError(
                    f"the corpus {config.data} gives another vocabulary than the checkpoint "
                    f"{resume_from.path}: pass --data with the text it was trained on")
            with jvm.java_errors():
                session.resume(jpype.JClass("java.nio.file.Paths").get(str(resume_from.params_file)),
                               resume_from.epochs_done,
                               jpype.JArray(jpype.JDouble)(resume_from.perplexity),
                               jpype.JArray(jpype.JDouble)(resume_from.epoch_tokens_per_sec))
        saved = {"epoch": resume_from.epochs_done if resume_from else -1, "path": None}

        def save() -> Optional[Path]:
            if root is None:
                return None
            epoch = int(session.getLastGoodEpoch())
            if epoch == saved["epoch"] and saved["path"] is not None:
                return saved["path"]
            ppl = list(session.getPerplexity())[:epoch]
            speed = list(session.getEpochTokensPerSec())[:epoch]
            path = write_checkpoint(
                root, config, epoch, ppl, speed, vocab,
                lambda f: session.writeLastGood(jpype.JClass("java.nio.file.Paths").get(str(f))))
            saved.update(epoch=epoch, path=path)
            return path

        failure: list[BaseException] = []
        recorder = EpochRecorder(on_epoch)

        @jpype.JImplements("djlbridge.EpochListener")
        class _Listener:
            @jpype.JOverride
            def onEpoch(self, epoch: int, perplexity: float, speed: float) -> bool:  # noqa: N802
                try:
                    go_on = recorder(int(epoch), float(perplexity), float(speed)) is not False
                    if root is not None and int(epoch) % options.save_every == 0:
                        save()
                    return go_on
                except BaseException as exc:  # noqa: BLE001 - re-raised after the Java call
                    failure.append(exc)
                    return False

        listener = _Listener()
        start = time.perf_counter()

        def train_all() -> int:
            with jvm.java_errors():
                return int(session.train(config.epochs, listener))

        try:
            call_interruptible(train_all, control.requestStop)
        except TrainingInterruptedError:
            done = int(session.getEpochsDone())
            path = save()
            where = (f"the checkpoint of epoch {done} is in {path}; go on with "
                     f"`djl-bridge train --resume {root}`" if path is not None else
                     "nothing was saved (pass --checkpoint-dir DIR to keep progress)")
            raise Interrupted(f"interrupted by Ctrl-C during epoch {done + 1}: {where}",
                              done, path) from None
        except TrainingDivergedError as exc:
            path = save()
            if path is not None:
                exc.args = (f"{exc.args[0]}. The last good checkpoint (epoch "
                            f"{session.getLastGoodEpoch()}) is in {path}",)
            raise
        if failure:
            raise failure[0]
        if root is not None:
            save()
        with jvm.java_errors():
            predictions = {str(p): str(session.predict(p, 50))
                           for p in jpype.JClass("djlbridge.TimeMachine").PREFIXES}
        perplexity = np.array(list(session.getPerplexity()), dtype=np.float64)
        speeds = np.array(list(session.getEpochTokensPerSec()), dtype=np.float64)
        new = speeds[resume_from.epochs_done:] if resume_from else speeds
        steady = new[1:] if new.size > 1 else new
        return TrainingResult(
            perplexity=perplexity,
            epoch_tokens_per_sec=speeds,
            tokens_per_sec=float(np.median(steady)) if steady.size else float("nan"),
            device=str(session.getDeviceName()),
            wall_seconds=time.perf_counter() - start,
            predictions=predictions,
            config=config,
            extras={
                "epochs_done": int(session.getEpochsDone()),
                "resumed_from_epoch": resume_from.epochs_done if resume_from else 0,
                "checkpoint": str(saved["path"]) if saved["path"] is not None else None,
                **recorder.extras(),
            },
        )
    finally:
        session.close()


def predict(checkpoint: Path, prefix: str, num_preds: int, device: str = "cpu") -> str:
    """Generates ``num_preds`` characters after ``prefix`` with the model of a checkpoint."""
    if not prefix:
        raise ConfigError("--prefix must not be empty")
    if isinstance(num_preds, bool) or not isinstance(num_preds, int) or num_preds < 0:
        raise ConfigError(f"--num-preds must be a whole number >= 0, got {num_preds!r}")
    ckpt = read_checkpoint(checkpoint)
    unknown = sorted({c for c in prefix if c not in ckpt.vocab})
    if unknown:
        raise ConfigError(
            f"--prefix has characters the model never saw ({''.join(unknown)!r}): use lower-case "
            "letters and spaces")
    config = dataclasses.replace(ckpt.config, device=device).validate()
    jvm.start()
    cls = jpype.JClass("djlbridge.TrainingSession")
    tokens = jpype.JClass("java.util.ArrayList")()
    for t in ckpt.vocab:
        tokens.add(t)
    with jvm.java_errors():
        ts = settings(dataclasses.replace(config, data=ckpt.path))
        session = cls.forPrediction(ts, tokens,
                                    jpype.JClass("java.nio.file.Paths").get(str(ckpt.params_file)))
        try:
            return str(session.predict(prefix, num_preds))
        finally:
            session.close()
