"""Java classes by name (:mod:`.names`), looked up once each, and the set of classes the parity
checks drive directly (:class:`Classes`)."""
from __future__ import annotations

import functools
from typing import Any

import jpype

from . import names as N
from ..errors import NotBuiltError
from .errors import java_errors


@functools.lru_cache(maxsize=None)
def jclass(name: str) -> Any:
    """The Java class ``name`` (the JVM must run: :func:`djl_bridge.start`). A class of
    djl_bridge's own that the jars lack is :class:`NotBuiltError` (a checkout whose build
    predates its Python code): one line saying how to rebuild, not JPype's TypeError."""
    try:
        with java_errors():
            return jpype.JClass(name)
    except TypeError as exc:
        if name.startswith(N.OWN_PACKAGE) and "not found" in str(exc):
            raise NotBuiltError(
                f"the Java build has no class {name}: it is older than this djl_bridge; rebuild "
                "it (`gradle assemble` in the checkout, or ./go setup), or reinstall the wheel"
            ) from None
        raise


def is_java_exception(exc: BaseException) -> bool:
    """Whether ``exc`` is a Java exception that escaped a call made outside the bridge."""
    return isinstance(exc, jpype.JException)


class Classes:
    """The Java classes the parity checks drive directly, by their simple names."""

    def __init__(self) -> None:
        self.Device = jclass(N.DEVICE)
        self.Engine = jclass(N.ENGINE)
        self.NDList = jclass(N.NDLIST)
        self.NDManager = jclass(N.NDMANAGER)
        self.Shape = jclass(N.SHAPE)
        self.SoftmaxCrossEntropyLoss = jclass(N.SOFTMAX_CE_LOSS)
        self.ParameterStore = jclass(N.PARAMETER_STORE)
        self.TimeMachine = jclass(N.TIME_MACHINE)
        self.TimeMachineDataset = jclass(N.TIME_MACHINE_DATASET)
        self.RNNModel = jclass(N.RNN_MODEL)
        self.RNNModelScratch = jclass(N.RNN_MODEL_SCRATCH)
        self.ModelKind = jclass(N.MODEL_KIND)
        self.Vocab = jclass(N.VOCAB)
        self.Random = jclass(N.JAVA_RANDOM)
        self.ArrayList = jclass(N.JAVA_ARRAY_LIST)
        self.Collections = jclass(N.JAVA_COLLECTIONS)


def classes() -> Classes:
    """The Java classes of the parity checks (the JVM must run)."""
    return Classes()
