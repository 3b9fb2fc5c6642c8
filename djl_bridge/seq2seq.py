"""Sequence to sequence (D2L 9.7) from Python: :func:`train_seq2seq` trains the Java
``Seq2SeqTask`` in the same ``TrainingSession`` as the language model, through the same run
machinery (:func:`djl_bridge.drive.drive`: progress, the run's callbacks, Ctrl-C/SIGTERM/SIGHUP
stopping between two batches, divergence, threads), and hands back a
:class:`~djl_bridge.seq2seq_result.Seq2SeqResult`: the loss per epoch, tokens/s, the text's four
translations with their BLEU.

Checkpoints (``RunOptions.checkpoint_dir``, ``save_every``, ``overwrite``) and resuming
(``resume_from``) are the language model's machinery with the checkpoints of
:mod:`djl_bridge.checkpoint.seq2seq`."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Optional, Sequence

from . import bridge
from .bridge.seq2seq import open_seq2seq, translations, vocabularies
from .callbacks import (LOSS, Callback, CallbackList, PeriodicCheckpoint, RunInfo, SaveOnSignal,
                        check_callbacks, records)
from .checkpoint import (CheckpointWriter, Seq2SeqCheckpoint, checkpoint_root,
                         read_seq2seq_checkpoint)
from .config import API_NAMES, Names, check_path
from .errors import CheckpointError, ConfigError
from .interrupt import StopGuard
from .nmtdata import FraText, read_fra
from .result import EpochCallback
from .seq2seq_config import OWNER, Seq2SeqConfig
from .seq2seq_result import Seq2SeqResult, Translation
from .drive import RunOptions, drive, print_threads_note


def prepare(config: Seq2SeqConfig, names: Names = API_NAMES) -> Seq2SeqConfig:
    """Validates the config, finds and checks the data (:func:`djl_bridge.nmtdata.read_fra`:
    the book's fra.txt unless ``verify_data`` is False) and picks the device, all before the
    JVM starts."""
    return prepare_with_data(config, names)[0]


def prepare_with_data(config: Seq2SeqConfig, names: Names = API_NAMES
                      ) -> tuple[Seq2SeqConfig, FraText]:
    """:func:`prepare`, and the data as read once and checked: its bytes are what Java reads."""
    config.validate(names)
    fra = read_fra(config.data, verify=config.verify_data, names=names, owner=OWNER)
    from .gpu import resolve_device  # refuses an impossible --device gpu in one line

    try:
        decision = resolve_device(config.device)
    except ConfigError as exc:
        raise ConfigError(names.respell(str(exc))) from None
    if decision.note:
        print(f"djl-bridge: {decision.note}", file=sys.stderr, flush=True)
    device = "cpu" if decision.note else config.device
    return dataclasses.replace(config, data=fra.path, device=device), fra


def check_options(options: RunOptions) -> RunOptions:
    """The run options, validated (the checkpoint directory proved writable)."""
    if not isinstance(options, RunOptions):
        raise ConfigError(f"options must be a djl_bridge.RunOptions, got {options!r}")
    return options.validate()


#: The settings a resumed run may change; every other must equal the checkpoint's.
RESUMABLE = ("epochs", "lr", "device", "data", "verify_data")


def check_resume(config: Seq2SeqConfig, ckpt: Seq2SeqCheckpoint,
                 names: Names = API_NAMES) -> None:
    """Refuses, in one line, a setting that contradicts the checkpoint (a model or data setting
    other than :data:`RESUMABLE`), or fewer epochs than it has done."""
    for f in dataclasses.fields(Seq2SeqConfig):
        if f.name not in RESUMABLE and getattr(config, f.name) != getattr(ckpt.config, f.name):
            raise ConfigError(
                f"{names(f.name, OWNER)} is {getattr(config, f.name)!r}, but the checkpoint "
                f"{ckpt.path} was trained with {getattr(ckpt.config, f.name)!r}: leave it out "
                "to resume (only epochs, lr and device may change)")
    if config.epochs <= ckpt.epochs_done:
        raise ConfigError(f"{names('epochs', OWNER)} is {config.epochs}, but the checkpoint "
                          f"{ckpt.path} has done {ckpt.epochs_done} epochs: give a larger total")


class _Saver:
    """Writes the session's last good parameters as a sequence-to-sequence checkpoint, at most
    once per epoch, never before an epoch has finished."""

    def __init__(self, writer: Optional[CheckpointWriter], config: Seq2SeqConfig,
                 session: bridge.Session, vocabs: tuple[list[str], list[str]],
                 start_epoch: int) -> None:
        self.writer, self.config, self.session, self.vocabs = writer, config, session, vocabs
        self.epoch = start_epoch
        self.path: Optional[Path] = None

    def save(self) -> Optional[Path]:
        if self.writer is None:
            return None
        epoch = self.session.last_good_epoch()
        if epoch <= 0 or (epoch == self.epoch and self.path is not None):
            return self.path if epoch > 0 else None
        loss, speed = self.session.history()
        self.path = self.writer.write_seq2seq(self.config, epoch, loss[:epoch], speed[:epoch],
                                              *self.vocabs, self.session.write_last_good)
        self.epoch = epoch
        return self.path


def train_seq2seq(config: Seq2SeqConfig = Seq2SeqConfig(), options: Optional[RunOptions] = None,
                  callbacks: Sequence[Callback] = (),
                  on_epoch: Optional[EpochCallback] = None,
                  resume_from: "Seq2SeqCheckpoint | Path | str | None" = None) -> Seq2SeqResult:
    """Trains the encoder-decoder of D2L 9.7 with ``config`` (the text's settings by default)
    and translates the text's four sentences. ``callbacks`` are told of the run's start, each
    epoch (an :class:`~djl_bridge.EpochRecord` whose measure is "loss") and its end;
    ``on_epoch(epoch, loss, tokens_per_sec)`` is the shortcut for one function. Raises
    :class:`~djl_bridge.drive.Interrupted` on Ctrl-C/SIGTERM/SIGHUP (between two batches),
    :class:`~djl_bridge.TrainingDivergedError` on a non-finite loss, one
    :class:`~djl_bridge.CallbackError` when a callback raises.

    ``options.checkpoint_dir``: checkpoints every ``options.save_every`` epochs, at the end, on
    a stop and on divergence (the language model's trust: atomic, locked, SHA-256 manifest,
    ``"kind": "seq2seq"``); translate with :func:`djl_bridge.translate`. ``resume_from`` (a
    checkpoint or its directory) goes on from its epoch: ``config`` must have its model and
    data settings (only epochs, lr and device may change; ``epochs`` is the new total)."""
    if not isinstance(config, Seq2SeqConfig):
        raise ConfigError(f"config must be a djl_bridge.Seq2SeqConfig, got {config!r}")
    options = check_options(RunOptions() if options is None else options)
    names = options.names
    if resume_from is not None and not isinstance(resume_from, Seq2SeqCheckpoint):
        resume_from = read_seq2seq_checkpoint(
            check_path(resume_from, names("resume_from", "")), names)
    if resume_from is not None:
        check_resume(config, resume_from, names)
    hooks = CallbackList(check_callbacks(callbacks, on_epoch))
    config, fra = prepare_with_data(config, names)
    writer: Optional[CheckpointWriter] = None
    if options.checkpoint_dir is not None:
        resuming = resume_from is not None and \
            checkpoint_root(resume_from.path).resolve() == options.checkpoint_dir.resolve()
        writer = CheckpointWriter(options.checkpoint_dir, resuming=resuming,
                                  overwrite=options.overwrite, names=names).open()
    try:
        result = _run(config, fra.text, options, hooks, resume_from, writer)
    finally:
        if writer is not None:
            writer.close()
    hooks.end(result)
    return result


def _run(config: Seq2SeqConfig, data: bytes, options: RunOptions, hooks: CallbackList,
         resume_from: Optional[Seq2SeqCheckpoint],
         writer: Optional[CheckpointWriter]) -> Seq2SeqResult:
    with StopGuard(options.hard_exit, can_save=writer is not None) as guard:
        bridge.start()
        session = open_seq2seq(config, options.names, data)
        print_threads_note(session)
        try:
            vocabs = vocabularies(session)
            start = 0
            if resume_from is not None:
                if vocabs != (resume_from.source_vocab, resume_from.target_vocab):
                    raise CheckpointError(
                        f"the data {config.data} gives other vocabularies than the checkpoint "
                        f"{resume_from.path}: pass {options.names('data', OWNER)} with the "
                        "file it was trained on")
                session.resume(resume_from.params, resume_from.params_file,
                               resume_from.epochs_done, resume_from.loss,
                               resume_from.epoch_tokens_per_sec)
                start = resume_from.epochs_done
            saver = _Saver(writer, config, session, vocabs, start)
            history = records(resume_from.loss, resume_from.epoch_tokens_per_sec) \
                if resume_from is not None else ()
            info = RunInfo(config, config.epochs, start, LOSS, options.checkpoint_dir, history)
            drive(session, info, options, hooks, guard, saver.save, lambda: saver.epoch,
                  after=[PeriodicCheckpoint(options.save_every, saver.save),
                         SaveOnSignal(guard.take_save_request, saver.save)])
            result = Seq2SeqResult.from_report(
                session.report(), [Translation(*t) for t in translations(session)], config)
        finally:
            session.close()
    if saver.path is not None:
        result.extras["checkpoint"] = str(saver.path)
    return result
