"""Moving weights between numpy and a Java ``LanguageModel``, both ways, through the arrays of
``LanguageModel.getParams()`` (in place: the gradients attached to them stay attached)."""
from __future__ import annotations

from typing import Any, Sequence

import jpype
import numpy as np

from .javaerrors import translated


def to_numpy(ndarray: Any) -> np.ndarray:
    """A Java float32 ``NDArray`` as a float64 numpy array of the same shape."""
    shape = tuple(int(d) for d in ndarray.getShape().getShape())
    return np.array(ndarray.toFloatArray(), dtype=np.float64).reshape(shape)


def float_buffer(values: np.ndarray) -> Any:
    """A ``java.nio.FloatBuffer`` holding ``values`` as float32, row-major."""
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    return jpype.JClass("java.nio.FloatBuffer").wrap(jpype.JArray(jpype.JFloat)(flat))


@translated
def to_java(values: np.ndarray, manager: Any) -> Any:
    """A new float32 ``NDArray`` on ``manager`` holding ``values``."""
    shape = jpype.JClass("ai.djl.ndarray.types.Shape")(*[int(d) for d in np.shape(values)])
    flat = np.ascontiguousarray(values, dtype=np.float32).ravel()
    return manager.create(jpype.JArray(jpype.JFloat)(flat), shape)


@translated
def get_weights(model: Any) -> list[np.ndarray]:
    """The parameters of a Java ``LanguageModel``, in ``getParams()`` order."""
    return [to_numpy(p) for p in model.getParams()]


@translated
def get_gradients(model: Any) -> list[np.ndarray]:
    """The gradients attached to the parameters, in ``getParams()`` order."""
    return [to_numpy(p.getGradient()) for p in model.getParams()]


@translated
def set_weights(model: Any, weights: Sequence[np.ndarray]) -> None:
    """Writes numpy arrays into the parameters of a Java ``LanguageModel``, in place; the shapes
    must match ``getParams()`` exactly."""
    params = list(model.getParams())
    if len(params) != len(weights):
        raise ValueError(f"the model has {len(params)} parameters, got {len(weights)} arrays")
    for k, (p, w) in enumerate(zip(params, weights)):
        shape = tuple(int(d) for d in p.getShape().getShape())
        if tuple(np.shape(w)) != shape:
            raise ValueError(f"parameter {k}: shape {np.shape(w)} given, the model has {shape}")
        p.set(float_buffer(np.asarray(w)))
