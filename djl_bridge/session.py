"""Runs the Java ``TrainingSession`` (the one epoch loop) from Python: ``run(config, options)``
trains with checkpoints, resume, Ctrl-C/SIGTERM and a clean report when the loss diverges;
``predict(checkpoint, prefix, n)`` generates text from a checkpoint. One call into Java trains all
epochs; after each, Java calls the run's callbacks (:mod:`djl_bridge.callbacks`: the progress
display, the user's, the checkpoints); the result (numbers, predictions, memory) is computed in
Java and read back as JSON.

Every call into Java goes through :mod:`djl_bridge.bridge`, which translates Java exceptions.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Optional, Sequence

from . import bridge, engine_env
from .callbacks import (
    PERPLEXITY,
    Callback,
    CallbackList,
    PeriodicCheckpoint,
    RunInfo,
    SaveOnSignal,
    check_callbacks,
    records,
)
from .checkpoint import Checkpoint, CheckpointWriter, checkpoint_root, read_checkpoint
from .config import API_NAMES, JAVA_INT_MAX, Names, TrainConfig, as_int, check_path
from .data import count_tokens, locate_corpus, snapshot
# RunOptions and Interrupted are importable from here as before.
from .drive import Interrupted, RunOptions, drive, print_threads_note, where_kept
from .errors import (
    CheckpointError,
    ConfigError,
    DataError,
    PredictionWarning,
    TrainingInterruptedError,
)
from .interrupt import StopGuard, call_interruptible, tell
from .result import EpochCallback, TrainingResult
from .resume import given_by, plan_resume
from .sizing import check_trainable, estimate


#: This package's folder, as a frame's file name may spell it (imported through a link or not).
_PACKAGE_DIRS = tuple({os.path.dirname(os.path.abspath(__file__)) + os.sep,
                       os.path.dirname(os.path.realpath(__file__)) + os.sep})


def _warn_at_caller(message: str, category: type[Warning]) -> None:
    """Issues a warning at the caller's line, the first frame outside djl_bridge, however many
    of its functions the call went through (``train`` -> ``run``, ``resume`` -> ``run``): the
    notebook cell or script that trained, not a line of this package."""
    frame, level = sys._getframe(1), 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def prepare(config: TrainConfig, names: Names = API_NAMES) -> TrainConfig:
    """Validates the config and resolves the corpus, all before the JVM starts."""
    config.validate(names)
    check_trainable(config, names)  # the memory training takes at least, against the machine's
    engine_env.enforce(config.impl, names)  # MXNet's variables that change the kernels
    data = locate_corpus(config.data, verify_sha1=config.verify_data, names=names)
    tokens = count_tokens(data, limit=config.max_tokens)
    per_batch = config.batch_size * config.num_steps
    # The sequential partition draws an offset in [0, num_steps) every epoch: one batch must fit
    # at the worst offset.
    if tokens - 1 - (config.num_steps - 1) < per_batch:
        # raising max_tokens helps only when it, not the text, ended the count
        used, more = (("used", f"raise {names('max_tokens')}") if tokens >= config.max_tokens
                      else ("in all", "use a longer text"))
        raise ConfigError(
            f"the corpus ({tokens} tokens {used}) is too small for one batch of "
            f"{config.batch_size} x {config.num_steps} steps: lower {names('batch_size')} or "
            f"{names('num_steps')}, or {more}")
    from .gpu import resolve_device  # refuses an impossible --device gpu in one line

    try:
        decision = resolve_device(config.device)
    except ConfigError as exc:  # worded in flags, as doctor shows it too
        raise ConfigError(names.respell(str(exc))) from None
    if decision.note:  # auto passed over a GPU: say why, and keep DJL off it
        print(f"djl-bridge: {decision.note}", file=sys.stderr, flush=True)
    device = "cpu" if decision.note else config.device
    return dataclasses.replace(config, data=data, device=device)


class _Saver:
    """Writes the session's last good parameters as a checkpoint, at most once per epoch, and
    never before an epoch has finished (there are no parameters to save then)."""

    def __init__(self, writer: Optional[CheckpointWriter], config: TrainConfig,
                 session: bridge.Session, vocab: list[str], start_epoch: int,
                 data_sha1: Optional[str] = None) -> None:
        self.writer = writer
        #: The SHA-1 of the corpus bytes trained on, recorded in each checkpoint.
        self.data_sha1 = data_sha1
        self.config = config
        self.session = session
        self.vocab = vocab
        self.epoch = start_epoch
        self.path: Optional[Path] = None

    def save(self) -> Optional[Path]:
        """The checkpoint of the last good epoch (written now unless it was already); None
        without a checkpoint directory, or before any epoch finished."""
        if self.writer is None:
            return None
        epoch = self.session.last_good_epoch()
        if epoch <= 0:
            return None
        if epoch == self.epoch and self.path is not None:
            return self.path
        ppl, speed = self.session.history()
        self.path = self.writer.write(self.config, epoch, ppl[:epoch], speed[:epoch], self.vocab,
                                      self.session.write_last_good, data_sha1=self.data_sha1)
        self.epoch = epoch
        return self.path


def run(config: TrainConfig, options: RunOptions = RunOptions(),
        on_epoch: Optional[EpochCallback] = None,
        resume_from: "Checkpoint | Path | str | None" = None,
        callbacks: Optional[Sequence[Callback]] = None) -> TrainingResult:
    """Trains ``config`` (continuing ``resume_from`` when given), checkpointing into
    ``options.checkpoint_dir``; ``callbacks`` (:class:`djl_bridge.Callback`) are told of the
    run's start, each epoch and its end, ``on_epoch`` is the shortcut for one function. Raises
    :class:`Interrupted` on Ctrl-C/SIGTERM/SIGHUP and :class:`TrainingDivergedError` on a
    non-finite loss, both after saving the last good epoch; a callback that raises stops the
    run, the epochs that finished are saved, then one :class:`CallbackError` names it. SIGUSR1
    writes a checkpoint when the current epoch ends. The signal handlers are the run's from the
    JVM's start to the save after a stop; the ones found are given back.

    With ``resume_from``, ``config`` obeys the resume rule (:mod:`djl_bridge.resume`): its model
    and data settings must equal the checkpoint's (start from ``resume_from.config`` and
    ``dataclasses.replace`` what may change, or use :func:`resume`), its schedule settings are
    applied, and ``epochs`` is the new total."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"config must be a djl_bridge.TrainConfig, got {config!r}")
    if not isinstance(options, RunOptions):
        raise ConfigError(f"options must be a djl_bridge.RunOptions, got {options!r}")
    hooks = CallbackList(check_callbacks(callbacks, on_epoch))
    if resume_from is not None:
        if not isinstance(resume_from, Checkpoint):  # a checkpoint directory, as a path
            resume_from = read_checkpoint(check_path(resume_from, options.names("resume_from", "")),
                                          options.names)
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
                                  overwrite=options.overwrite, names=options.names,
                                  resumed_epoch=resume_from.epochs_done if resuming and
                                  resume_from is not None else None).open()
    try:
        result = _run(config, options, hooks, resume_from, writer)
    finally:
        if writer is not None:
            writer.close()
    if config.prediction_note:  # the text's lesson of D2L 9.4, wherever such a model predicts
        _warn_at_caller(config.prediction_note, PredictionWarning)
        result.extras["prediction_note"] = config.prediction_note
    saved = result.extras.get("checkpoint")
    hooks.end(result, "the run had finished" + (f" (its checkpoint is in {saved})" if saved else ""))
    return result


def resume(checkpoint: "Path | str", options: RunOptions = RunOptions(),
           on_epoch: Optional[EpochCallback] = None,
           callbacks: Optional[Sequence[Callback]] = None, **changes: Any) -> TrainingResult:
    """Continues the run of a checkpoint directory (or one ``epoch-N`` directory of it), as
    ``djl-bridge train --resume DIR``: ``changes`` are the :class:`TrainConfig` fields to give
    (e.g. ``epochs=800, lr=0.1``); the resume rule (:mod:`djl_bridge.resume`) refuses model and
    data settings that contradict the checkpoint. Checkpoints go on into the same directory
    unless ``options.checkpoint_dir`` names another."""
    ckpt = read_checkpoint(check_path(checkpoint, options.names("checkpoint", "")), options.names)
    plan = plan_resume(ckpt, changes, options.names)
    if options.checkpoint_dir is None:
        options = dataclasses.replace(options, checkpoint_dir=checkpoint_root(ckpt.path))
    return run(plan.config, options, on_epoch=on_epoch, resume_from=ckpt, callbacks=callbacks)


def _run(config: TrainConfig, options: RunOptions, hooks: CallbackList,
         resume_from: Optional[Checkpoint], writer: Optional[CheckpointWriter]) -> TrainingResult:
    # The run's signal handlers from here to the save after a stop: a signal during the JVM's
    # start or the corpus's reading stops the run before its first batch.
    with StopGuard(options.hard_exit, can_save=writer is not None) as guard:
        bridge.start()
        session, data_sha1 = _open(config, options, resume_from, guard)
        print_threads_note(session)
        try:
            return _train(session, config, options, hooks, resume_from, writer, guard,
                          data_sha1)
        finally:
            session.close()


def _open(config: TrainConfig, options: RunOptions, resume_from: Optional[Checkpoint],
          guard: StopGuard) -> tuple[bridge.Session, str]:
    """Opens the run's Java session (and gives the SHA-1 of the corpus bytes it read): the corpus read once into a copy the JVM reads (the bytes
    verified are the bytes trained on), the model built. A stop signal meanwhile (or during the
    JVM's start) is honoured between the phases of the opening, as :class:`Interrupted`."""
    parameters = estimate(config).parameters
    if parameters >= LARGE_MODEL:  # the one phase before the first batch that takes long
        tell(f"building the model ({parameters:,} parameters); Ctrl-C stops it")
    control = bridge.training_control()
    session: Optional[bridge.Session] = None
    try:
        with snapshot(config.data, config.verify_data, options.names) as corpus:
            session = call_interruptible(
                lambda: bridge.Session.open(config, options.names, corpus.fd, control),
                lambda: bridge.request_stop(control), guard=guard)
    except DataError:  # changed while Java read it: the session holds another text
        if session is not None:
            session.close()
        raise
    except TrainingInterruptedError:
        if resume_from is None:
            where, done, kept = where_kept(None, 0, options), 0, None
        else:
            where, done, kept = (f"nothing was trained; {resume_from.path} is as it was",
                                 resume_from.epochs_done, resume_from.path)
        raise Interrupted(f"{guard.request.what} before the first batch: {where}", done, kept,
                          guard.request.exit_status) from None
    return session, corpus.sha1


#: Models of this many parameters and more take seconds to build: the run says so first.
LARGE_MODEL = 50_000_000


def _train(session: bridge.Session, config: TrainConfig, options: RunOptions,
           hooks: CallbackList, resume_from: Optional[Checkpoint],
           writer: Optional[CheckpointWriter], guard: StopGuard,
           data_sha1: Optional[str] = None) -> TrainingResult:
    names = options.names
    vocab = session.vocab()
    start_epoch = 0
    if resume_from is not None:
        if vocab != resume_from.vocab:
            raise CheckpointError(
                f"the corpus {config.data} gives another vocabulary than the checkpoint "
                f"{resume_from.path}: pass {names('data')} with the text it was trained on")
        session.resume(resume_from.params, resume_from.params_file, resume_from.epochs_done,
                       resume_from.perplexity, resume_from.epoch_tokens_per_sec)
        start_epoch = resume_from.epochs_done
    saver = _Saver(writer, config, session, vocab, start_epoch, data_sha1)
    history = records(resume_from.perplexity, resume_from.epoch_tokens_per_sec) \
        if resume_from is not None else ()
    info = RunInfo(config, config.epochs, start_epoch, PERPLEXITY, options.checkpoint_dir,
                   history[:start_epoch])
    # The checkpoints (every save_every epochs, and the one SIGUSR1 asked for) after the user's.
    drive(session, info, options, hooks, guard, saver.save, lambda: saver.epoch,
          after=[PeriodicCheckpoint(options.save_every, saver.save),
                 SaveOnSignal(guard.take_save_request, saver.save)])
    return TrainingResult.from_report(
        session.report(), config, checkpoint=str(saver.path) if saver.path is not None else None)


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
    ckpt = read_checkpoint(check_path(checkpoint, names("checkpoint", "")), names)
    unknown = sorted({c for c in prefix if c not in ckpt.vocab})
    if unknown:
        raise ConfigError(
            f"{names('prefix', '')} has characters the model never saw ({''.join(unknown)!r}): "
            "use lower-case letters and spaces")
    config = dataclasses.replace(ckpt.config, device=device, data=ckpt.path).validate(names)
    engine_env.enforce(config.impl, names)  # MXNet's variables that change the kernels
    if config.prediction_note:
        _warn_at_caller(config.prediction_note, PredictionWarning)
    with StopGuard(hard_exit, unit="character", can_save=False) as guard:
        bridge.start()
        # The bytes read and checked by read_checkpoint are the bytes loaded: nothing is read again.
        session = bridge.Session.for_prediction(config, ckpt.vocab, ckpt.params, ckpt.params_file,
                                                 names)
        print_threads_note(session)
        try:
            return call_interruptible(lambda: session.predict(prefix, num_preds),
                                      session.request_stop, guard=guard)
        except TrainingInterruptedError:
            raise Interrupted(f"predict {guard.request.what}: nothing to save", 0, None,
                              guard.request.exit_status) from None
        finally:
            session.close()
