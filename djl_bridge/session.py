"""Runs the Java ``TrainingSession`` (the one epoch loop) from Python: ``run(config, options)``
trains with checkpoints, resume, Ctrl-C/SIGTERM and a clean report when the loss diverges;
``predict(checkpoint, prefix, n)`` generates text from a checkpoint. One call into Java trains all
epochs; a JPype proxy of ``EpochCallback`` is called once per epoch (progress, checkpoints); the
result (numbers, predictions, memory) is computed in Java and read back as JSON.

Every call into Java goes through :mod:`djl_bridge.facade`, which translates Java exceptions.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import facade, jupyter, jvm, progress
from .checkpoint import Checkpoint, CheckpointWriter, checkpoint_root, read_checkpoint
from .config import API_NAMES, JAVA_INT_MAX, Names, TrainConfig, as_int, as_path, check_path
from .data import count_tokens, locate_corpus
from .errors import (
    CheckpointError,
    ConfigError,
    TrainingDivergedError,
    TrainingInterruptedError,
)
from .interrupt import StopRequest, call_interruptible
from .outputs import check_checkpoint_dir
from .result import EpochCallback, TrainingResult
from .resume import given_by, plan_resume


@dataclass(frozen=True)
class RunOptions:
    """Where and how often to checkpoint, whether to show progress (True: a widget in a
    notebook, a bar on a terminal, plain lines on stderr otherwise; None: only in a notebook),
    whether a second signal may end the process at once (the CLI) or raises KeyboardInterrupt
    (a library, a REPL), and how messages name settings (``TrainConfig.hidden`` for the API,
    ``--hidden`` for the CLI)."""

    checkpoint_dir: Optional[Path] = None
    save_every: int = 10
    overwrite: bool = False
    hard_exit: bool = False
    names: Names = API_NAMES
    progress: Optional[bool] = None

    def __post_init__(self) -> None:  # a str path and numpy integers, as TrainConfig takes them
        object.__setattr__(self, "checkpoint_dir", as_path(self.checkpoint_dir))
        object.__setattr__(self, "save_every", as_int(self.save_every))

    def validate(self) -> "RunOptions":
        """Raises :class:`ConfigError` for a bad value, and proves the checkpoint directory
        writable (creating it), all before any training."""
        flag = self.names("save_every", "RunOptions")
        if isinstance(self.save_every, bool) or not isinstance(self.save_every, int) \
                or self.save_every <= 0:
            raise ConfigError(f"{flag} must be a whole number > 0, got {self.save_every!r}")
        if self.save_every > JAVA_INT_MAX:
            raise ConfigError(
                f"{flag} must be a whole number in 1..{JAVA_INT_MAX}, got {self.save_every!r}")
        for name in ("overwrite", "hard_exit"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{self.names(name, 'RunOptions')} must be True or False, got "
                                  f"{getattr(self, name)!r}")
        if self.progress is not None and not isinstance(self.progress, bool):
            raise ConfigError(f"{self.names('progress', 'RunOptions')} must be True, False or "
                              f"None (only in a notebook), got {self.progress!r}")
        if self.checkpoint_dir is not None:
            check_checkpoint_dir(check_path(self.checkpoint_dir,
                                            self.names("checkpoint_dir", "RunOptions")))
        return self


class Interrupted(TrainingInterruptedError):
    """Ctrl-C or SIGTERM stopped the run; ``checkpoint`` is where its last finished epoch was
    saved (None: nowhere), ``exit_status`` is 130 (Ctrl-C) or 143 (SIGTERM)."""

    def __init__(self, message: str, epochs_done: int, checkpoint: Optional[Path],
                 exit_status: int = 130) -> None:
        super().__init__(message)
        self.epochs_done = epochs_done
        self.checkpoint = checkpoint
        self.exit_status = exit_status


def prepare(config: TrainConfig, names: Names = API_NAMES) -> TrainConfig:
    """Validates the config and resolves the corpus, all before the JVM starts."""
    config.validate(names)
    data = locate_corpus(config.data, verify_sha1=config.verify_data)
    tokens = count_tokens(data, limit=config.max_tokens)
    per_batch = config.batch_size * config.num_steps
    # The sequential partition draws an offset in [0, num_steps) every epoch: one batch must fit
    # at the worst offset.
    if tokens - 1 - (config.num_steps - 1) < per_batch:
        raise ConfigError(
            f"the corpus ({tokens} tokens used) is too small for one batch of "
            f"{config.batch_size} x {config.num_steps} steps: lower {names('batch_size')} or "
            f"{names('num_steps')}, or raise {names('max_tokens')}")
    from .gpu import resolve_device  # refuses an impossible --device gpu in one line

    decision = resolve_device(config.device)
    if decision.note:  # auto passed over a GPU: say why, and keep DJL off it
        print(f"djl-bridge: {decision.note}", file=sys.stderr, flush=True)
    device = "cpu" if decision.note else config.device
    return dataclasses.replace(config, data=data, device=device)


class _Saver:
    """Writes the session's last good parameters as a checkpoint, at most once per epoch."""

    def __init__(self, writer: Optional[CheckpointWriter], config: TrainConfig,
                 session: facade.Session, vocab: list[str], start_epoch: int) -> None:
        self.writer = writer
        self.config = config
        self.session = session
        self.vocab = vocab
        self.epoch = start_epoch
        self.path: Optional[Path] = None

    def save(self) -> Optional[Path]:
        if self.writer is None:
            return None
        epoch = self.session.last_good_epoch()
        if epoch == self.epoch and self.path is not None:
            return self.path
        ppl, speed = self.session.history()
        self.path = self.writer.write(self.config, epoch, ppl[:epoch], speed[:epoch], self.vocab,
                                      self.session.write_last_good)
        self.epoch = epoch
        return self.path


def _where_saved(done: int, path: Optional[Path], options: RunOptions) -> str:
    """What an interrupted run says about its checkpoint: how to go on, in the caller's words
    (the command for the CLI, the function for the API)."""
    if path is None:
        return (f"nothing was saved (pass {options.names('checkpoint_dir', 'RunOptions')} "
                f"{'DIR ' if options.names.cli else ''}to keep progress)")
    if options.names.cli:
        return (f"the checkpoint of epoch {done} is in {path}; go on with "
                f"`djl-bridge train --resume {options.checkpoint_dir}`")
    return (f"the checkpoint of epoch {done} is in {path}; go on with "
            f"`djl_bridge.resume({str(options.checkpoint_dir)!r})`")


def run(config: TrainConfig, options: RunOptions = RunOptions(),
        on_epoch: Optional[EpochCallback] = None,
        resume_from: "Checkpoint | Path | str | None" = None) -> TrainingResult:
    """Trains ``config`` (continuing ``resume_from`` when given), checkpointing into
    ``options.checkpoint_dir``. Raises :class:`Interrupted` on Ctrl-C/SIGTERM and
    :class:`TrainingDivergedError` on a non-finite loss, both after saving the last good epoch.

    With ``resume_from``, ``config`` obeys the resume rule (:mod:`djl_bridge.resume`): its model
    and data settings must equal the checkpoint's (start from ``resume_from.config`` and
    ``dataclasses.replace`` what may change, or use :func:`resume`), its schedule settings are
    applied, and ``epochs`` is the new total."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"config must be a djl_bridge.TrainConfig, got {config!r}")
    if not isinstance(options, RunOptions):
        raise ConfigError(f"options must be a djl_bridge.RunOptions, got {options!r}")
    if on_epoch is not None and not callable(on_epoch):
        raise ConfigError(f"on_epoch must be a function (epoch, perplexity, tokens_per_sec), "
                          f"got {on_epoch!r}")
    if resume_from is not None:
        if not isinstance(resume_from, Checkpoint):  # a checkpoint directory, as a path
            resume_from = read_checkpoint(check_path(resume_from, options.names("resume", "")))
        config = plan_resume(resume_from, given_by(config), options.names).config
    options.validate()
    config = prepare(config, options.names)
    writer: Optional[CheckpointWriter] = None
    if options.checkpoint_dir is not None:
        # Locked for the whole run; a new run into another run's checkpoints is refused (unless
        # overwrite) before the JVM starts.
        resuming = resume_from is not None and \
            checkpoint_root(resume_from.path).resolve() == options.checkpoint_dir.resolve()
        writer = CheckpointWriter(options.checkpoint_dir, resuming=resuming,
                                  overwrite=options.overwrite).open()
    try:
        return _run(config, options, on_epoch, resume_from, writer)
    finally:
        if writer is not None:
            writer.close()


def resume(checkpoint: "Path | str", options: RunOptions = RunOptions(),
           on_epoch: Optional[EpochCallback] = None, **changes: Any) -> TrainingResult:
    """Continues the run of a checkpoint directory (or one ``epoch-N`` directory of it), as
    ``djl-bridge train --resume DIR``: ``changes`` are the :class:`TrainConfig` fields to give
    (e.g. ``epochs=800, lr=0.1``); the resume rule (:mod:`djl_bridge.resume`) refuses model and
    data settings that contradict the checkpoint. Checkpoints go on into the same directory
    unless ``options.checkpoint_dir`` names another."""
    ckpt = read_checkpoint(check_path(checkpoint, options.names("checkpoint", "")))
    plan = plan_resume(ckpt, changes, options.names)
    if options.checkpoint_dir is None:
        options = dataclasses.replace(options, checkpoint_dir=checkpoint_root(ckpt.path))
    return run(plan.config, options, on_epoch=on_epoch, resume_from=ckpt)


def _run(config: TrainConfig, options: RunOptions, on_epoch: Optional[EpochCallback],
         resume_from: Optional[Checkpoint], writer: Optional[CheckpointWriter]) -> TrainingResult:
    jvm.start()
    session = facade.Session.open(config)
    try:
        vocab = session.vocab()
        start_epoch = 0
        if resume_from is not None:
            if vocab != resume_from.vocab:
                raise CheckpointError(
                    f"the corpus {config.data} gives another vocabulary than the checkpoint "
                    f"{resume_from.path}: pass --data with the text it was trained on")
            session.resume(resume_from.params_file, resume_from.epochs_done,
                           resume_from.perplexity, resume_from.epoch_tokens_per_sec)
            start_epoch = resume_from.epochs_done
        saver = _Saver(writer, config, session, vocab, start_epoch)
        failure: list[BaseException] = []
        shown = progress.for_run(config.epochs, start_epoch, quiet=not (
            options.progress or (options.progress is None and jupyter.in_notebook())))

        def after_epoch(epoch: int, perplexity: float, speed: float) -> bool:
            try:
                if shown is not None:
                    shown.update(epoch, perplexity, speed)
                go_on = on_epoch is None or on_epoch(epoch, perplexity, speed) is not False
                if epoch % options.save_every == 0:
                    saver.save()
                return go_on
            except BaseException as exc:  # noqa: BLE001 - re-raised after the Java call
                failure.append(exc)
                return False

        request = StopRequest()
        try:
            call_interruptible(lambda: session.train(config.epochs, after_epoch),
                               session.request_stop, request, options.hard_exit)
        except TrainingInterruptedError:
            done = session.epochs_done()
            path = saver.save()
            where = _where_saved(done, path, options)
            raise Interrupted(f"{request.what} during epoch {done + 1}: {where}", done, path,
                              request.exit_status) from None
        except TrainingDivergedError as exc:
            path = saver.save()
            if path is not None:
                exc.args = (f"{exc.args[0]}. The last good checkpoint (epoch {saver.epoch}) is "
                            f"in {path}",)
            raise
        finally:
            if shown is not None:
                shown.close()
        if failure:
            raise failure[0]
        saver.save()
        return TrainingResult.from_report(
            session.report(), config, checkpoint=str(saver.path) if saver.path is not None else None)
    finally:
        session.close()


def predict(checkpoint: "Path | str", prefix: str, num_preds: int, device: str = "cpu",
            hard_exit: bool = False, names: Names = API_NAMES) -> str:
    """Generates ``num_preds`` characters after ``prefix`` with the model of a checkpoint;
    Ctrl-C/SIGTERM stop it between two characters (:class:`Interrupted`)."""
    num_preds = as_int(num_preds)
    if not isinstance(prefix, str) or not prefix:
        raise ConfigError(f"{names('prefix', '')} must be a non-empty str, got {prefix!r}")
    most = JAVA_INT_MAX - len(prefix)  # predictCh8 counts characters in a Java int
    if isinstance(num_preds, bool) or not isinstance(num_preds, int) \
            or not 0 <= num_preds <= most:
        raise ConfigError(f"{names('num_preds', '')} must be a whole number in 0..{most}, got "
                          f"{num_preds!r}")
    ckpt = read_checkpoint(check_path(checkpoint, names("checkpoint", "")))
    unknown = sorted({c for c in prefix if c not in ckpt.vocab})
    if unknown:
        raise ConfigError(
            f"{names('prefix', '')} has characters the model never saw ({''.join(unknown)!r}): "
            "use lower-case letters and spaces")
    config = dataclasses.replace(ckpt.config, device=device, data=ckpt.path).validate(names)
    jvm.start()
    session = facade.Session.for_prediction(config, ckpt.vocab, ckpt.params_file)
    request = StopRequest()
    try:
        return call_interruptible(lambda: session.predict(prefix, num_preds), session.request_stop,
                                  request, hard_exit, unit="character")
    except TrainingInterruptedError:
        raise Interrupted(f"predict {request.what}: nothing to save", 0, None,
                          request.exit_status) from None
    finally:
        session.close()
