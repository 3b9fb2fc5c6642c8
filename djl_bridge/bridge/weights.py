"""Moving weights between numpy and a Java ``LanguageModel``, both ways, through the arrays of
``LanguageModel.getParams()`` (in place: the gradients attached to them stay attached), with the
conversions of :mod:`.convert`."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .convert import float_buffer, to_java, to_numpy
from .errors import translated

__all__ = ["float_buffer", "get_gradients", "get_weights", "set_weights", "to_java", "to_numpy"]


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
        dims = tuple(int(d) for d in p.getShape().getShape())
        if tuple(np.shape(w)) != dims:
            raise ValueError(f"parameter {k}: shape {np.shape(w)} given, the model has {dims}")
        p.set(float_buffer(np.asarray(w)))
