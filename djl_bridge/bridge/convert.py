"""Python values as Java ones and back: paths, bytes, arrays of numbers and strings, boxed
numbers for an overload, DJL shapes and ``NDArray``s (float32 on the Java side, numpy here)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import jpype
import numpy as np

from . import names as N
from .classes import jclass
from .errors import java_errors, translated


def java_path(path: Path) -> Any:
    """A ``java.nio.file.Path``."""
    with java_errors():
        return jclass(N.JAVA_PATHS).get(str(path))


def java_bytes(data: bytes) -> Any:
    """A Java ``byte[]`` holding ``data``."""
    return jpype.JArray(jpype.JByte)(data)


def doubles(values: Sequence[float]) -> Any:
    """A Java ``double[]``."""
    return jpype.JArray(jpype.JDouble)([float(v) for v in values])


def jfloat(value: float) -> Any:
    """A Java ``float`` (for an overload that takes one)."""
    return jpype.JFloat(float(value))


def jint(value: int) -> Any:
    """A Java ``int``, boxed where a collection needs an object."""
    return jpype.JInt(int(value))


def strings(values: Sequence[str]) -> Any:
    """A Java ``String[]``."""
    return jpype.JArray(jpype.JString)([str(v) for v in values])


def string_list(values: Sequence[str]) -> Any:
    """A ``java.util.ArrayList<String>``."""
    with java_errors():
        out = jclass(N.JAVA_ARRAY_LIST)()
        for v in values:
            out.add(str(v))
        return out


def to_numpy(ndarray: Any) -> np.ndarray:
    """A Java float32 ``NDArray`` as a float64 numpy array of the same shape."""
    with java_errors():
        shape = tuple(int(d) for d in ndarray.getShape().getShape())
        return np.array(ndarray.toFloatArray(), dtype=np.float64).reshape(shape)


def float_buffer(values: np.ndarray) -> Any:
    """A ``java.nio.FloatBuffer`` holding ``values`` as float32, row-major."""
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    with java_errors():
        return jclass(N.FLOAT_BUFFER).wrap(jpype.JArray(jpype.JFloat)(flat))


def shape(dims: Sequence[int]) -> Any:
    """A DJL ``Shape``."""
    with java_errors():
        return jclass(N.SHAPE)(*[int(d) for d in dims])


@translated
def to_java(values: np.ndarray, manager: Any) -> Any:
    """A new float32 ``NDArray`` on ``manager`` holding ``values``."""
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    return manager.create(jpype.JArray(jpype.JFloat)(flat), shape(np.shape(values)))


@translated
def to_java_ints(values: np.ndarray, manager: Any) -> Any:
    """A new int32 ``NDArray`` on ``manager`` holding ``values``."""
    flat = np.ascontiguousarray(values, dtype=np.int32).ravel()
    return manager.create(jpype.JArray(jpype.JInt)(flat), shape(np.shape(values)))
