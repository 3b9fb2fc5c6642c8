"""Translating with a sequence-to-sequence checkpoint (D2L 9.7): :func:`translate`, the book's
greedy ``predict_seq2seq`` on the model a ``train --section 9.7 --checkpoint-dir DIR`` saved.

The checkpoint is read once and checked (:func:`~djl_bridge.checkpoint.read_seq2seq_checkpoint`:
a language model's checkpoint is refused in one line); the checked parameter bytes and the two
vocabularies are what the Java ``Seq2SeqTask`` loads; no data is read.

Each sentence is prepared as the book's data (``preprocess_nmt``: lower case, a space before
``, . ! ?``, no-break spaces as spaces), its words separated by single spaces. Then:

* an empty sentence, or one of punctuation only, is refused (there is nothing to translate);
* a sentence of more words than the model reads (``num_steps - 1`` words and ``<eos>``) is
  refused: the book would cut it silently and translate the first words only
  (docs/troubleshooting.md);
* a word the source vocabulary does not hold becomes ``<unk>``, as in the book, and a
  :class:`UnknownWordsWarning` names those words (the CLI prints it as a note).
"""
from __future__ import annotations

import dataclasses
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union, overload

from . import bridge
from .checkpoint import Seq2SeqCheckpoint, read_seq2seq_checkpoint
from .config import API_NAMES, Names, check_path
from .errors import ConfigError, PredictionWarning, TrainingInterruptedError
from .interrupt import StopGuard, call_interruptible
from .reference.nmt import preprocess_nmt

#: Tokens that are punctuation only.
PUNCTUATION = frozenset(",.!?")


class UnknownWordsWarning(PredictionWarning):
    """Words of a sentence that the model's source vocabulary does not hold: they were
    translated as ``<unk>`` (as the book does)."""


@dataclass(frozen=True)
class TranslatedSentence:
    """One sentence translated: ``source`` as the model read it (tokens joined by spaces),
    ``translation``, and the words read as ``<unk>``."""

    sentence: str
    source: str
    translation: str
    unknown: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {"sentence": self.sentence, "source": self.source,
                "translation": self.translation, "unknown": list(self.unknown)}


def prepare_sentence(sentence: object, num_steps: int, vocab: frozenset[str],
                     names: Names = API_NAMES) -> tuple[str, tuple[str, ...]]:
    """The sentence as the model reads it (tokens joined by single spaces) and its unknown
    words; raises :class:`ConfigError` (one line) for an empty sentence, punctuation only, or
    more words than the model reads."""
    field = "sentence"  # the API's parameter, the CLI's SENTENCE
    if not isinstance(sentence, str):
        raise ConfigError(f"{field} must be a str, got {type(sentence).__name__}")
    tokens = preprocess_nmt(sentence).split()
    if not tokens:
        raise ConfigError(f"{field} is empty: give a sentence such as \"go .\"")
    if all(t in PUNCTUATION for t in tokens):
        raise ConfigError(f"{field} {sentence!r} holds only punctuation: give words to translate")
    most = num_steps - 1  # and <eos>
    if len(tokens) > most:
        raise ConfigError(
            f"{field} {sentence!r} has {len(tokens)} tokens (punctuation counts), more than the "
            f"{most} this model reads ({num_steps} steps with <eos>; the book would cut it "
            "silently): split it, or train with a larger "
            f"{names('num_steps', 'Seq2SeqConfig')}")
    unknown = tuple(dict.fromkeys(t for t in tokens if t not in vocab))
    return " ".join(tokens), unknown


@overload
def translate(checkpoint: "Path | str", sentence: str, device: str = ...,
              hard_exit: bool = ..., names: Names = ...) -> str: ...
@overload  # noqa: E302
def translate(checkpoint: "Path | str", sentence: Sequence[str], device: str = ...,
              hard_exit: bool = ..., names: Names = ...) -> list[str]: ...


def translate(checkpoint: "Path | str", sentence: Union[str, Sequence[str]],
              device: str = "cpu", hard_exit: bool = False,
              names: Names = API_NAMES) -> Union[str, list[str]]:
    """The translation of ``sentence`` (a str: one str back; a list: a list back) by the model
    of a sequence-to-sequence checkpoint (a ``checkpoint_dir`` of ``train_seq2seq``, its
    latest checkpoint, or one ``epoch-N`` directory). Every sentence is checked before the JVM
    starts. Unknown words become ``<unk>`` with an :class:`UnknownWordsWarning`."""
    one = isinstance(sentence, str)
    done = translations(checkpoint, [sentence] if one else sentence, device, hard_exit, names)
    for t in done:
        if t.unknown:
            warnings.warn(f"{', '.join(repr(w) for w in t.unknown)} of {t.sentence!r} "
                          "not in the model's vocabulary: translated as <unk>",
                          UnknownWordsWarning, stacklevel=2)
    return done[0].translation if one else [t.translation for t in done]


def translations(checkpoint: "Path | str", sentences: Sequence[str], device: str = "cpu",
                 hard_exit: bool = False, names: Names = API_NAMES) -> list[TranslatedSentence]:
    """:func:`translate` with what each sentence became: :class:`TranslatedSentence` objects, no
    warnings (the CLI's ``--json``)."""
    if isinstance(sentences, (str, bytes)) or not isinstance(sentences, Sequence):
        raise ConfigError("sentence must be a str or a list of str")
    if not sentences:
        raise ConfigError("sentence: no sentence given")
    ckpt = read_seq2seq_checkpoint(check_path(checkpoint, names("checkpoint", "")), names)
    vocab = frozenset(ckpt.source_vocab)
    prepared = [prepare_sentence(s, ckpt.config.num_steps, vocab, names) for s in sentences]
    config = dataclasses.replace(ckpt.config, device=device, data=None).validate(names)
    return [TranslatedSentence(s, src, out, unknown) for s, (src, unknown), out in
            zip(sentences, prepared, _run(ckpt, config, [p[0] for p in prepared], hard_exit,
                                          names))]


def _run(ckpt: Seq2SeqCheckpoint, config: object, sources: list[str], hard_exit: bool,
         names: Names) -> list[str]:
    from .bridge.seq2seq import open_seq2seq_for_prediction
    from .drive import Interrupted

    with StopGuard(hard_exit, unit="sentence", can_save=False) as guard:
        bridge.start()
        session = open_seq2seq_for_prediction(config, ckpt.source_vocab, ckpt.target_vocab,
                                              ckpt.params, ckpt.params_file, names)
        note = session.threads_note()
        if note:
            print(f"djl-bridge: note: {note}", file=sys.stderr, flush=True)
        try:
            return [call_interruptible(lambda s=s: session.predict(s, config.num_steps),
                                       session.request_stop, guard=guard) for s in sources]
        except TrainingInterruptedError:
            raise Interrupted(f"translate {guard.request.what}: nothing to save", 0, None,
                              guard.request.exit_status) from None
        finally:
            session.close()

