"""Sequence to sequence (D2L 9.7) from Python: :func:`train_seq2seq` trains the Java
``Seq2SeqTask`` in the same ``TrainingSession`` as the language model, through the same run
machinery (:func:`djl_bridge.session.drive`: progress, the run's callbacks, Ctrl-C/SIGTERM/SIGHUP
stopping between two batches, divergence, threads), and hands back a
:class:`~djl_bridge.seq2seq_result.Seq2SeqResult`: the loss per epoch, tokens/s, the text's four
translations with their BLEU.

Checkpoints and resuming are not there yet for this task: ``RunOptions.checkpoint_dir`` is
refused in one line (the seam: ``drive``'s ``save`` and ``after``, as the language model's run
passes them)."""
from __future__ import annotations

import dataclasses
import sys
from typing import Optional, Sequence

from . import bridge
from .bridge.seq2seq import open_seq2seq, translations
from .callbacks import LOSS, Callback, CallbackList, RunInfo, check_callbacks
from .config import API_NAMES, Names
from .errors import ConfigError
from .interrupt import StopGuard
from .nmtdata import read_fra
from .result import EpochCallback
from .seq2seq_config import OWNER, Seq2SeqConfig
from .seq2seq_result import Seq2SeqResult, Translation
from .session import RunOptions, _print_threads_note, drive


def prepare(config: Seq2SeqConfig, names: Names = API_NAMES) -> Seq2SeqConfig:
    """Validates the config, finds and checks the data (:func:`djl_bridge.nmtdata.read_fra`:
    the book's fra.txt unless ``verify_data`` is False) and picks the device, all before the
    JVM starts."""
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
    return dataclasses.replace(config, data=fra.path, device=device)


def check_options(options: RunOptions) -> RunOptions:
    """The run options this task takes, validated: no checkpoint directory yet."""
    if not isinstance(options, RunOptions):
        raise ConfigError(f"options must be a djl_bridge.RunOptions, got {options!r}")
    if options.checkpoint_dir is not None:
        raise ConfigError(
            f"{options.names('checkpoint_dir', 'RunOptions')}: sequence to sequence (D2L 9.7) "
            "does not write checkpoints yet; leave it out")
    return options.validate()


def train_seq2seq(config: Seq2SeqConfig = Seq2SeqConfig(), options: Optional[RunOptions] = None,
                  callbacks: Sequence[Callback] = (),
                  on_epoch: Optional[EpochCallback] = None) -> Seq2SeqResult:
    """Trains the encoder-decoder of D2L 9.7 with ``config`` (the text's settings by default)
    and translates the text's four sentences. ``callbacks`` are told of the run's start, each
    epoch (an :class:`~djl_bridge.EpochRecord` whose measure is "loss") and its end;
    ``on_epoch(epoch, loss, tokens_per_sec)`` is the shortcut for one function. Raises
    :class:`~djl_bridge.session.Interrupted` on Ctrl-C/SIGTERM/SIGHUP (between two batches),
    :class:`~djl_bridge.TrainingDivergedError` on a non-finite loss, one
    :class:`~djl_bridge.CallbackError` when a callback raises."""
    if not isinstance(config, Seq2SeqConfig):
        raise ConfigError(f"config must be a djl_bridge.Seq2SeqConfig, got {config!r}")
    options = check_options(RunOptions() if options is None else options)
    hooks = CallbackList(check_callbacks(callbacks, on_epoch))
    config = prepare(config, options.names)
    with StopGuard(options.hard_exit, can_save=False) as guard:
        bridge.start()
        session = open_seq2seq(config, options.names)
        _print_threads_note(session)
        try:
            info = RunInfo(config, config.epochs, 0, LOSS, None, ())
            drive(session, info, options, hooks, guard, lambda: None, lambda: 0)
            result = Seq2SeqResult.from_report(
                session.report(), [Translation(*t) for t in translations(session)], config)
        finally:
            session.close()
    hooks.end(result)
    return result
