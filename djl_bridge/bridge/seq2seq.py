"""Sequence to sequence (D2L 9.7) on the Java side: the ``Seq2SeqSettings`` of a
:class:`~djl_bridge.seq2seq_config.Seq2SeqConfig`, a :class:`~.session.Session` of the Java
``Seq2SeqTask`` (the same ``TrainingSession`` as the language model's), and the text's four
translations with their BLEU as Python values."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from . import names as N
from .classes import jclass
from .convert import java_bytes, jfloat, string_list
from .errors import java_errors
from .files import readable_by_java
from .session import Session, _in_callers_names, _on_java_thread
from ..config import API_NAMES, Names


def seq2seq_settings(config: Any, data: Optional[str] = None) -> Any:
    """The Java ``Seq2SeqSettings`` of a validated config; ``data`` is the name the JVM reads
    fra.txt by (:func:`readable_by_java`)."""
    with java_errors():
        builder = (
            jclass(N.SEQ2SEQ_SETTINGS).builder()
            .setEmbedSize(config.embed)
            .setNumHiddens(config.hidden)
            .setNumLayers(config.layers)
            .setDropout(jfloat(config.dropout))
            .setBatchSize(config.batch_size)
            .setNumSteps(config.num_steps)
            .setNumExamples(config.num_examples)
            .setLr(jfloat(config.lr))
            .setNumEpochs(config.epochs)
            .setSeed(config.seed)
            .setDevice(config.device)
        )
        if data is not None:
            builder.setDataPath(data)
        return builder.build()


@_on_java_thread
def open_seq2seq(config: Any, names: Names = API_NAMES, data_bytes: Optional[bytes] = None
                 ) -> Session:
    """A session that trains ``config``: reads the data (``data_bytes``, the file as Python
    read and verified it: nothing is read again; else opened here and read by the JVM through
    :func:`readable_by_java`), builds and initializes the encoder-decoder."""
    if data_bytes is not None:
        with java_errors(names):
            control = jclass(N.TRAINING_CONTROL)()
            return Session(jclass(N.SEQ2SEQ_TASK).open(seq2seq_settings(config),
                                                       java_bytes(data_bytes), str(config.data),
                                                       control), control, names)
    with readable_by_java(config.data) as data, java_errors(names):
        control = jclass(N.TRAINING_CONTROL)()
        return Session(jclass(N.SEQ2SEQ_TASK).open(seq2seq_settings(config, data), control),
                       control, names)


@_on_java_thread
@_in_callers_names
def translations(session: Session) -> list[tuple[str, str, str, float]]:
    """The text's sentences translated by the session's model (greedy), each as (source,
    reference, translation, BLEU with k 2), in the text's order."""
    task = jclass(N.SEQ2SEQ_TASK)
    bleu = jclass(N.SEQ2SEQ).bleu
    out = []
    for source, reference in zip(task.SOURCES, task.REFERENCES):
        translation = str(session._session.predict(source, int(session._session.getTask()
                                                                .getNumSteps())))
        out.append((str(source), str(reference), translation,
                    float(bleu(translation, reference, int(task.BLEU_K)))))
    return out


@_on_java_thread
def open_seq2seq_for_prediction(config: Any, source_vocab: Sequence[str],
                                target_vocab: Sequence[str], params: bytes, source: Path,
                                names: Names = API_NAMES) -> Session:
    """A session that only translates, with the model of ``config``, the vocabularies and the
    bytes of the parameter file of a checkpoint (read and checked by the caller; ``source``
    names them in messages). No data is read."""
    with java_errors(names):
        control = jclass(N.TRAINING_CONTROL)()
        return Session(jclass(N.SEQ2SEQ_TASK).forPrediction(
            seq2seq_settings(config), string_list(source_vocab), string_list(target_vocab),
            java_bytes(params), str(source), control), control, names)


@_on_java_thread
@_in_callers_names
def vocabularies(session: Session) -> tuple[list[str], list[str]]:
    """The session's source and target vocabularies, index to token."""
    task = session._session.getTask()
    return ([str(t) for t in task.getSrcIdxToToken()],
            [str(t) for t in task.getTgtIdxToToken()])


@_on_java_thread
@_in_callers_names
def num_steps(session: Session) -> int:
    """The time steps the session translates with (at most that many output tokens)."""
    return int(session._session.getTask().getNumSteps())
