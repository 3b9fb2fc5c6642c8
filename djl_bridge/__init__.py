"""djl_bridge: the D2L recurrent-network chapters on DJL + MXNet, driven from Python via JPype.

Quick start::

    import djl_bridge
    result = djl_bridge.train(djl_bridge.TrainConfig(epochs=50))
    print(result.summary())

Or start the JVM and read like the Java text::

    djl_bridge.start()
    from djlbridge import TimeMachine, TimeMachineDataset   # via jpype.imports
"""
from __future__ import annotations

from .config import TrainConfig
from .errors import (
    BridgeError,
    ConfigError,
    DataError,
    JavaError,
    JavaNotFoundError,
    JvmConflictError,
    NativeLibraryError,
    NotBuiltError,
    TrainingDivergedError,
)
from .jvm import start
from .train import TrainingResult, train

__all__ = [
    "BridgeError",
    "ConfigError",
    "DataError",
    "JavaError",
    "JavaNotFoundError",
    "JvmConflictError",
    "NativeLibraryError",
    "NotBuiltError",
    "TrainConfig",
    "TrainingDivergedError",
    "TrainingResult",
    "start",
    "train",
]
__version__ = "0.1.0"
