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

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

#: Each name of the API and the module that defines it. Nothing is imported with the package:
#: a name's module is imported when the name is first used (``djl_bridge.train``, ``from
#: djl_bridge import TrainConfig``), so that ``djl-bridge`` takes its signals before numpy and
#: the rest load (:mod:`djl_bridge.program`) and ``import djl_bridge.errors`` stays cheap.
_EXPORTS: dict[str, str] = {
    **{name: ".callbacks" for name in ("Callback", "EpochRecord", "RunInfo")},
    "Checkpoint": ".checkpoint",
    "read_checkpoint": ".checkpoint",
    "TrainConfig": ".config",
    **{name: ".errors" for name in (
        "BridgeError", "CallbackError", "CheckpointError", "ConfigError", "DataError", "JavaError",
        "JavaNotFoundError", "JvmConflictError", "NativeLibraryError", "NotBuiltError",
        "PredictionWarning", "ResourceError", "TrainingDivergedError",
        "TrainingInterruptedError")},
    "start": ".bridge",
    **{name: ".nmt" for name in ("NMTDataset", "bleu", "nmt_dataset")},
    "PerplexityPlot": ".plot",
    **{name: ".session" for name in ("Interrupted", "RunOptions", "predict", "resume", "run")},
    "TrainingResult": ".result",
    "train": ".train",
    "train_seq2seq": ".seq2seq",
    "Seq2SeqConfig": ".seq2seq_config",
    **{name: ".seq2seq_result" for name in ("Seq2SeqResult", "Translation")},
    **{name: ".translation" for name in ("UnknownWordsWarning", "translate")},
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .bridge import start
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
    from .nmt import NMTDataset, bleu, nmt_dataset
    from .plot import PerplexityPlot
    from .result import TrainingResult
    from .session import Interrupted, RunOptions, predict, resume, run
    from .seq2seq import train_seq2seq
    from .seq2seq_config import Seq2SeqConfig
    from .seq2seq_result import Seq2SeqResult, Translation
    from .train import train
    from .translation import UnknownWordsWarning, translate


class _Package(types.ModuleType):
    """This package: the names of :data:`_EXPORTS` are imported when first used."""

    def __getattr__(self, name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule sets it as an attribute of its package. ``train`` and ``resume``
        # are functions of the API named like submodules (train.py, resume.py): the functions
        # stay, as when the package imported everything at once.
        if not (isinstance(value, types.ModuleType) and name in _EXPORTS):
            super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*self.__dict__, *_EXPORTS})


sys.modules[__name__].__class__ = _Package
