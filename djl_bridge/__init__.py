"""djl_bridge: the D2L recurrent-network chapters on DJL + MXNet, driven from Python via JPype.

Quick start::

    import djl_bridge
    result = djl_bridge.train(djl_bridge.TrainConfig(epochs=50))
    print(result.summary())

Checkpoints, resume and Ctrl-C (see docs/training.md)::

    opts = djl_bridge.RunOptions(checkpoint_dir=Path("runs/gru"), save_every=10)
    result = djl_bridge.run(djl_bridge.TrainConfig(epochs=50), opts)
    print(djl_bridge.predict(Path("runs/gru"), "time traveller", 50))
    djl_bridge.resume(Path("runs/gru"), epochs=100, lr=0.5)   # the resume rule of --resume

In a notebook, a live perplexity curve (a PNG file elsewhere) and a progress widget::

    result = djl_bridge.train(config, callbacks=[djl_bridge.PerplexityPlot()])
    result          # a small HTML table

Your own per-epoch code is a :class:`Callback` (``on_run_start``, ``on_epoch_end``,
``on_run_end``), or the shortcut ``on_epoch=lambda epoch, ppl, speed: ...``.

Sequence to sequence (D2L 9.7), the text's settings by default (fra.txt: ``data=`` or
``$DJL_BRIDGE_FRA``)::

    result = djl_bridge.train_seq2seq(djl_bridge.Seq2SeqConfig(epochs=30))
    print(result.summary())      # the loss line, then "go . => va !, bleu 1.000" ...

Or start the JVM and read like the Java text::

    djl_bridge.start()
    from djlbridge import TimeMachine, TimeMachineDataset   # via jpype.imports
"""
from __future__ import annotations

from .callbacks import Callback, EpochRecord, RunInfo
from .checkpoint import Checkpoint, read_checkpoint
from .config import TrainConfig
from .errors import (
    BridgeError,
    CallbackError,
    CheckpointError,
    ConfigError,
    DataError,
    JavaError,
    JavaNotFoundError,
    JvmConflictError,
    NativeLibraryError,
    NotBuiltError,
    PredictionWarning,
    ResourceError,
    TrainingDivergedError,
    TrainingInterruptedError,
)
from .bridge import start
from .nmt import NMTDataset, bleu, nmt_dataset
from .plot import PerplexityPlot
from .session import Interrupted, RunOptions, predict, resume, run
from .result import TrainingResult
from .seq2seq import train_seq2seq
from .seq2seq_config import Seq2SeqConfig
from .seq2seq_result import Seq2SeqResult, Translation
from .translation import UnknownWordsWarning, translate
from .train import train

__all__ = [
    "BridgeError",
    "Callback",
    "CallbackError",
    "Checkpoint",
    "CheckpointError",
    "Interrupted",
    "NMTDataset",
    "bleu",
    "nmt_dataset",
    "RunOptions",
    "predict",
    "read_checkpoint",
    "resume",
    "run",
    "ConfigError",
    "DataError",
    "EpochRecord",
    "JavaError",
    "JavaNotFoundError",
    "JvmConflictError",
    "NativeLibraryError",
    "NotBuiltError",
    "PerplexityPlot",
    "PredictionWarning",
    "ResourceError",
    "RunInfo",
    "Seq2SeqConfig",
    "Seq2SeqResult",
    "TrainConfig",
    "TrainingDivergedError",
    "TrainingInterruptedError",
    "TrainingResult",
    "Translation",
    "start",
    "train",
    "train_seq2seq",
    "translate",
    "UnknownWordsWarning",
]
__version__ = "0.1.0"
