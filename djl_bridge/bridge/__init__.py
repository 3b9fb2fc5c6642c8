"""The bridge to the Java side: the only package of djl_bridge that imports JPype
(Pyserini's ``pyclass.py`` idea, one module per job). The rest of djl_bridge goes through it:
``session`` trains through :class:`Session`, ``parity`` asks :class:`~.parity.JavaComponents`
for each component's numbers, ``doctor`` asks :func:`engine_facts`, ``bench`` starts :data:`MAIN`
in a plain ``java``.

* :mod:`.names` -- every Java class name, written once.
* :mod:`.classes` -- classes looked up by those names (:func:`jclass`), the parity checks' set.
* :mod:`.convert` -- Python values as Java ones and back (paths, arrays, ``NDArray``).
* :mod:`.files` -- Java opens no user path by name (the corpus as ``/proc/self/fd/N``).
* :mod:`.errors` -- how a Java exception becomes one Python error (rules by class and cause).
* :mod:`.thread` -- the one long-lived thread every Java call of a run is made on.
* :mod:`.startup` -- ``start()``: JPype's ``startJVM`` and DJL's engine, once per process
  (finding Java, the jars, the options and the threads is :mod:`djl_bridge.jvm`'s).
* :mod:`.session` -- :class:`Session`, the Java ``TrainingSession`` as a Python object.
* :mod:`.facts` -- what the Java side says about itself (engine, model kinds, file names).
* :mod:`.weights` -- a Java model's parameters and gradients as numpy arrays, and back.
* :mod:`.parity` -- what the parity checks ask of the Java side, as Python values.
"""
from __future__ import annotations

from .classes import Classes, classes, is_java_exception, jclass
from .convert import (
    doubles,
    float_buffer,
    java_bytes,
    java_path,
    jfloat,
    jint,
    shape,
    string_list,
    strings,
    to_java,
    to_java_ints,
    to_numpy,
)
from .errors import java_errors, translate, translated
from .facts import EngineFacts, default_threads_env, engine_facts, model_kinds, params_file_name
from .files import readable_by_java
from .names import MAIN
from .session import Session, epoch_callback, request_stop, train_settings, training_control
from .startup import check_engine, is_started, set_threads, start

__all__ = [
    "Classes", "EngineFacts", "MAIN", "Session", "check_engine", "classes", "default_threads_env",
    "doubles", "engine_facts", "epoch_callback", "float_buffer", "is_java_exception", "is_started",
    "java_bytes", "java_errors", "java_path", "jclass", "jfloat", "jint", "model_kinds",
    "params_file_name", "readable_by_java", "set_threads", "shape", "start", "string_list",
    "strings", "to_java", "to_java_ints", "to_numpy", "train_settings", "training_control",
    "translate", "translated", "request_stop",
]
