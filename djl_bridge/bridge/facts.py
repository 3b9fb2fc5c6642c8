"""What the Java side says about itself: the engine and JVM (``djl-bridge doctor``), the model
kinds (held equal to :mod:`djl_bridge.reference.kinds` by the tests), the parameter file's name,
the variable that marks ``OMP_NUM_THREADS`` as ours."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from . import names as N
from .classes import jclass
from .errors import translated


@translated
def default_threads_env() -> str:
    """The variable that marks ``OMP_NUM_THREADS`` as djl_bridge's own, as Java reads it."""
    return str(jclass(N.THREAD_POLICY).DEFAULT_THREADS_ENV)


@translated
def params_file_name(impl: str) -> str:
    """The name of the parameter file the Java side writes for ``impl`` ("scratch", "concise")."""
    return str(jclass(N.PARAMETER_FILES).fileName(impl))


@dataclass(frozen=True)
class EngineFacts:
    """What the running JVM and DJL say about themselves."""

    java_version: str
    java_home: str
    djl_version: str
    engine: str
    engine_version: str
    gpu_count: int
    cuda: Optional[str]


@translated
def engine_facts() -> EngineFacts:
    """The Java version and home, DJL's version, the engine, the GPUs DJL sees, CUDA."""
    system, eng, cuda = jclass(N.JAVA_SYSTEM), jclass(N.ENGINE), jclass(N.CUDA_UTILS)
    inst = eng.getInstance()
    return EngineFacts(str(system.getProperty("java.version")), str(system.getProperty("java.home")),
                       str(eng.getDjlVersion()), str(inst.getEngineName()), str(inst.getVersion()),
                       int(inst.getGpuCount()),
                       str(cuda.getCudaVersionString()) if cuda.hasCuda() else None)


@translated
def model_kinds() -> list[dict[str, Any]]:
    """``djlbridge.ModelKind`` as data: name, gates, states, scratch parameter names (of one
    layer and of a stack of two)."""
    return [{"name": str(k.getName()), "gates": int(k.getGates()), "states": int(k.getStates()),
             "params": [str(p) for p in k.getParamNames()],
             "params_2_layers": [str(p) for p in k.getParamNames(2)]}
            for k in jclass(N.MODEL_KIND).values()]
