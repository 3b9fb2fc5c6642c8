"""The checkpoints of one training run: :class:`CheckpointWriter` holds the directory's lock from
the run's start to its end, and :func:`check_new_run` keeps a new run from writing over another
run's checkpoints unless told to replace them (and then only once its own first one is written).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from ..config import API_NAMES, Names, TrainConfig
from ..errors import CheckpointError
from .layout import checkpoint_entries, complete_dirs, epoch_dir_name, epoch_of
from .lock import CheckpointLock
from .read import read_checkpoint
from .write import write_checkpoint


def describe(root: Path) -> str:
    """A few words on the checkpoints of ``root`` for messages: "epoch 12, scratch gru, 256
    hidden" (its newest checkpoint, :meth:`TrainConfig.describe`), or what is there when that
    cannot be read."""
    try:
        ckpt = read_checkpoint(root)
    except CheckpointError:
        from .seq2seq import read_seq2seq_checkpoint

        try:
            other = read_seq2seq_checkpoint(root)
            return f"epoch {other.epochs_done}, seq2seq {other.config.describe()}"
        except CheckpointError:
            pass
        names = [p.name for p in checkpoint_entries(root)]
        return f"{', '.join(names[:3])}{', ...' if len(names) > 3 else ''}; unreadable"
    return f"epoch {ckpt.epochs_done}, {ckpt.config.describe()}"


def check_new_run(root: Path, overwrite: bool = False, names: Names = API_NAMES) -> bool:
    """May a new run (not ``--resume`` of this very directory) write its checkpoints into
    ``root``? A missing or empty directory, or one without ``LATEST`` and ``epoch-*`` entries, may
    be used: returns False. One that holds another run's checkpoints raises
    :class:`CheckpointError` unless ``overwrite``; then it returns True and nothing is removed yet:
    pass ``replace_existing=True`` to the run's first :func:`write_checkpoint` (as
    :class:`CheckpointWriter` does), which removes them once the new checkpoint is complete. Call
    it with the lock held, so no other run changes ``root`` meanwhile."""
    if not checkpoint_entries(root):
        return False
    if overwrite:
        return True
    raise CheckpointError(
        f"{root} already holds the checkpoints of another run ({describe(root)}): continue it "
        f"with {names.resume_command(root)}, replace it with "
        f"{names.setting('overwrite', True, 'RunOptions')}, or pick another "
        f"{names('checkpoint_dir', 'RunOptions')}")


def check_resume(root: Path, epochs_done: int, names: Names = API_NAMES) -> None:
    """May a run resumed from the checkpoint of epoch ``epochs_done`` of ``root`` write its
    checkpoints into ``root``? Only when no complete checkpoint of ``root`` is later: the resumed
    run's epochs would otherwise replace or sit beside the other branch's (its ``epoch-N`` of the
    same number replaced, the newer ones kept, pruned in among the new ones, and picked by a later
    resume without ``LATEST``). Raises :class:`CheckpointError` with the two ways on: resume the
    newest, or write this branch elsewhere. Call it with the lock held."""
    later = [p.name for p in complete_dirs(root) if (epoch_of(p.name) or 0) > epochs_done]
    if not later:
        return
    shown = ", ".join(later[:3]) + (", ..." if len(later) > 3 else "")
    raise CheckpointError(
        f"{root} holds checkpoints after {epoch_dir_name(epochs_done)} ({shown}): a run resumed "
        f"from it would mix its epochs with them. Go on from the newest with "
        f"{names.resume_command(root / later[-1])}, or keep both by writing this run's "
        f"checkpoints into "
        f"another {names('checkpoint_dir', 'RunOptions')}")


class CheckpointWriter:
    """The checkpoints of one training run in one directory: holds :class:`CheckpointLock` from
    :meth:`open` to :meth:`close` and writes through :func:`write_checkpoint`.

    ``resuming``: ``root`` holds this run's own earlier checkpoints (``--resume DIR`` into the same
    DIR; ``resumed_epoch``: of the one it goes on from, which must be the newest there,
    :func:`check_resume`); otherwise :func:`check_new_run` decides, and with ``overwrite`` the other run's
    checkpoints are replaced at this run's first checkpoint, not before: a run that fails or is
    stopped before it has anything to save leaves them as they were.
    """

    def __init__(self, root: Path, *, resuming: bool = False, overwrite: bool = False,
                 command: Optional[str] = None, names: Names = API_NAMES,
                 resumed_epoch: Optional[int] = None) -> None:
        self.root = root
        self.resuming = resuming
        #: The epochs of the checkpoint a resumed run goes on from (:func:`check_resume`).
        self.resumed_epoch = resumed_epoch
        self.overwrite = overwrite
        #: How messages name settings (``--checkpoint-dir`` or ``RunOptions.checkpoint_dir``).
        self.names = names
        self._lock = CheckpointLock(root, command, names)
        self._replace = False

    def open(self) -> "CheckpointWriter":
        """Takes the lock and checks the directory; raises :class:`CheckpointError`."""
        self._lock.acquire()
        try:
            if self.resuming and self.resumed_epoch is not None:
                check_resume(self.root, self.resumed_epoch, self.names)
            self._replace = False if self.resuming else \
                check_new_run(self.root, self.overwrite, self.names)
        except BaseException:
            self._lock.release()
            raise
        return self

    def write(self, config: TrainConfig, epochs_done: int, perplexity: list[float],
              epoch_tokens_per_sec: list[float], vocab: list[str],
              write_params: Callable[[Path], None], data_sha1: Optional[str] = None) -> Path:
        """Writes one checkpoint (see :func:`write_checkpoint`) and returns its directory."""
        if not self._lock.held:
            raise RuntimeError("CheckpointWriter.write outside open()/close()")
        path = write_checkpoint(self.root, config, epochs_done, perplexity, epoch_tokens_per_sec,
                                vocab, write_params, replace_existing=self._replace,
                                names=self.names, data_sha1=data_sha1)
        self._replace = False
        return path

    def write_seq2seq(self, config: Any, epochs_done: int, loss: list[float],
                      epoch_tokens_per_sec: list[float], source_vocab: list[str],
                      target_vocab: list[str], write_params: Callable[[Path], None]) -> Path:
        """Writes one sequence-to-sequence checkpoint (see
        :func:`.seq2seq.write_seq2seq_checkpoint`) and returns its directory."""
        from .seq2seq import write_seq2seq_checkpoint

        if not self._lock.held:
            raise RuntimeError("CheckpointWriter.write_seq2seq outside open()/close()")
        path = write_seq2seq_checkpoint(self.root, config, epochs_done, loss,
                                        epoch_tokens_per_sec, source_vocab, target_vocab,
                                        write_params, replace_existing=self._replace,
                                        names=self.names)
        self._replace = False
        return path

    def close(self) -> None:
        """Releases the lock."""
        self._lock.release()

    def __enter__(self) -> "CheckpointWriter":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
