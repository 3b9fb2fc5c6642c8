"""Checkpoints: what a run needs to go on later or to generate text, written so that a crash at any
moment leaves either the old checkpoint or the new one, never half of one, and read back only
when every file still has the bytes that were written.

Layout of a checkpoint directory ``DIR``::

    DIR/.lock                  flock(2)-ed by the run writing into DIR (pid, start, command);
                               removed when that run ends
    DIR/LATEST                 name of the newest complete checkpoint ("epoch-000012")
    DIR/epoch-000012/
        checkpoint.json        format, version, config, epochs done, perplexity and speed per
                               epoch, the size and SHA-256 of every other file below, and the
                               SHA-256 of all of that (its manifest)
        vocab.json             the vocabulary, index to token ("<unk>" first)
        model.params           concise model: DJL's Block.saveParameters format
        params.npz             scratch model: DJL's NPZ encoding of the cell's parameter list, in
                               the cell's order (numpy.load(..., allow_pickle=False) reads it)

Each ``epoch-N`` directory is written under a temporary name (``.epoch-N.*.tmp``) and renamed into
place when complete; ``LATEST`` is replaced by write-then-rename. The two newest checkpoints are
kept. One run at a time writes into a directory (:class:`CheckpointLock`); a new run does not
write into a directory that holds another run's checkpoints unless told to replace them
(:func:`check_new_run`, :class:`CheckpointWriter`).

One topic a module; this package re-exports what the rest of djl_bridge calls:

* :mod:`.files` -- write-sync-rename, synced writes, hashing, removal that never raises; reading
  a regular file of an open directory, never through a link, its size bounded first.
* :mod:`.layout` -- the names and format above, ``LATEST`` followed and checked, pruning, the
  size limits and the manifest digest.
* :mod:`.lock` -- :class:`CheckpointLock`, one writer per directory.
* :mod:`.write` -- :func:`write_checkpoint`, one checkpoint, atomically.
* :mod:`.read` -- :class:`Checkpoint` and :func:`read_checkpoint`: read once, as what it
  claims (every file verified; the checked bytes are the ones Java loads).
* :mod:`.run` -- :class:`CheckpointWriter` and :func:`check_new_run`: one run's checkpoints.
* :mod:`.seq2seq` -- the checkpoints of sequence to sequence (``"kind": "seq2seq"``, version 4:
  two vocabularies, DJL's block format of the encoder-decoder), written and read with the same
  trust; each task's reader refuses the other's checkpoints in one line.
"""
from __future__ import annotations

from .files import atomic_write_text
from .layout import (
    FORMAT,
    KEEP,
    LATEST,
    LOCK,
    META,
    PARAMS,
    VERSION,
    VOCAB,
    checkpoint_root,
    epoch_dir_name,
    find_latest,
)
from .lock import CheckpointLock, holds_lock
from .read import Checkpoint, read_checkpoint
from .run import CheckpointWriter, check_new_run, describe
from .seq2seq import Seq2SeqCheckpoint, read_seq2seq_checkpoint, write_seq2seq_checkpoint
from .write import CheckpointWriteError, write_checkpoint
