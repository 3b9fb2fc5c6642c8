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

    result = djl_bridge.train(config, on_epoch=djl_bridge.PerplexityPlot(config.epochs))
    result          # a small HTML table

Or start the JVM and read like the Java text::

    djl_bridge.start()
    from djlbridge import TimeMachine, TimeMachineDataset   # via jpype.imports
"""
from __future__ import annotations

from .checkpoint import Checkpoint, read_checkpoint
from .config import TrainConfig
from .errors import (
    BridgeError,
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
from .plot import PerplexityPlot
from .session import Interrupted, RunOptions, predict, resume, run
from .result import TrainingResult
from .train import train

__all__ = [
    "BridgeError",
    "Checkpoint",
    "CheckpointError",
    "Interrupted",
    "RunOptions",
    "predict",
    "read_checkpoint",
    "resume",
    "run",
    "ConfigError",
    "DataError",
    "JavaError",
    "JavaNotFoundError",
    "JvmConflictError",
    "NativeLibraryError",
    "NotBuiltError",
    "PerplexityPlot",
    "PredictionWarning",
    "ResourceError",
    "TrainConfig",
    "TrainingDivergedError",
    "TrainingInterruptedError",
    "TrainingResult",
    "start",
    "train",
]
__version__ = "0.1.0"
