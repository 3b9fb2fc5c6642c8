"""The exceptions djl_bridge raises: one class per kind of fault, each with a message that says
what is wrong and how to fix it."""
from __future__ import annotations


class BridgeError(Exception):
    """Base class of every djl_bridge error. ``java_trace`` holds the Java stack trace when the
    error was translated from a Java exception (``--debug`` prints it)."""

    java_trace: str = ""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show for it: one line, as the CLI does, since the message
        already says what is wrong and how to fix it (``%debug`` still reaches the stack)."""
        return [f"{type(self).__name__}: {self}"]


class ConfigError(BridgeError, ValueError):
    """A hyper-parameter or option is out of range."""


class DataError(BridgeError):
    """The corpus is missing, corrupt, or could not be downloaded."""


class JavaNotFoundError(BridgeError):
    """No Java runtime could be found."""


class NotBuiltError(BridgeError):
    """The Java side (jar and dependencies) has not been built."""


class JvmConflictError(BridgeError):
    """The JVM was already started in this process with another classpath."""


class NativeLibraryError(BridgeError):
    """DJL could not load the MXNet native library."""


class JavaError(BridgeError):
    """A Java exception, carried into Python with its message; ``java_trace`` keeps the stack."""

    def __init__(self, message: str, java_class: str = "", java_trace: str = "") -> None:
        super().__init__(message)
        self.java_class = java_class
        self.java_trace = java_trace


class TrainingDivergedError(JavaError):
    """The loss stopped being finite (the learning rate is too large)."""

    def __init__(self, message: str, epoch: int, java_trace: str = "",
                 java_class: str = "") -> None:
        super().__init__(message, java_class, java_trace)
        self.epoch = epoch


class TrainingInterruptedError(JavaError):
    """The training was stopped on request (Ctrl-C) between two batches."""

    def __init__(self, message: str, java_trace: str = "", java_class: str = "") -> None:
        super().__init__(message, java_class, java_trace)


class ResourceError(BridgeError):
    """Memory ran out: the JVM heap or MXNet's native allocator."""


class CheckpointError(BridgeError):
    """A checkpoint directory is missing, incomplete or does not fit the run."""


class CallbackError(BridgeError):
    """A callback of the run raised: the run stopped after the last finished epoch, which was
    saved (where there is a checkpoint directory). ``callback`` names it (its class, or
    ``on_epoch (fn)``), ``hook`` is the hook that raised, ``epoch`` the epoch it was told of
    (None for the start and the end); the callback's exception is ``__cause__``."""

    def __init__(self, message: str, callback: str = "", hook: str = "",
                 epoch: "int | None" = None) -> None:
        super().__init__(message)
        self.callback = callback
        self.hook = hook
        self.epoch = epoch


class MissingExtraError(BridgeError):
    """An optional feature needs a package that is not installed."""


class PredictionWarning(UserWarning):
    """The model's predictions mean nothing (a bidirectional model generating text: D2L 9.4).
    Issued by :func:`djl_bridge.predict` and by a run's result; the CLI prints it as a note."""
