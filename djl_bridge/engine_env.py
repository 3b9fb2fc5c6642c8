"""MXNet's environment variables that change which kernels run, checked when a run or a
prediction starts (before the JVM): one known to compute a model wrongly is refused in one line,
one that only changes the numbers' last digits is reported in one line.

Measured with MXNet 1.9.1 (tiny runs, every model, against the same runs without the variable):
``MXNET_MKLDNN_ENABLED=0`` (or ``false``) turns oneDNN off, and MXNet's reference RNN kernels
then compute DJL's concise layers wrongly (perplexity 0.000 or 1.000, then ``Check failed:
in_data.size() == num_inputs``); the scratch models train, their perplexities different in the
sixth digit. ``MXNET_ENGINE_TYPE=NaiveEngine``, ``MXNET_SUBGRAPH_BACKEND``,
``MXNET_SAFE_ACCUMULATION``, ``MXNET_EXEC_ENABLE_INPLACE``, ``MXNET_USE_OPERATOR_TUNING``,
``MXNET_MKLDNN_CACHE_NUM``, ``MXNET_OPTIMIZER_AGGREGATION_SIZE``, ``MXNET_ONEDNN_ENABLED`` (not
read by 1.9.1) and ``OMP_DYNAMIC`` gave identical numbers; the OpenMP thread count is
:mod:`djl_bridge.jvm.threads`'s. A perplexity that is impossible anyway (below 1) stops the run
in Java (``DivergenceCheck``)."""
from __future__ import annotations

import os
import re
import sys
from typing import Mapping, Optional

from .config import API_NAMES, Names
from .errors import ConfigError

#: oneDNN on (unset, empty, 1, true) or off (0, false); MXNet aborts the process on any other
#: value ("terminate called after throwing an instance of 'dmlc::ParamError'": yes, off, 2).
ONEDNN_SWITCH = "MXNET_MKLDNN_ENABLED"
#: MXNet's whole-number variables and their smallest sensible value: ``abc`` aborted the process
#: (MXNET_CPU_WORKER_NTHREADS) or printed a perplexity of 1.000 before an engine error
#: (MXNET_MKLDNN_CACHE_NUM); ``-3`` worker threads read as "could not allocate memory".
WHOLE_NUMBERS = {"MXNET_CPU_WORKER_NTHREADS": 1, "MXNET_CPU_PRIORITY_NTHREADS": 1,
                 "MXNET_CPU_NNPACK_NTHREADS": 1, "MXNET_GPU_WORKER_NTHREADS": 1,
                 "MXNET_EXEC_NUM_TEMP": 1, "MXNET_MKLDNN_CACHE_NUM": -1}


def check(impl: str, names: Names = API_NAMES,
          env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """Raises :class:`ConfigError` for an environment known to compute a model of ``impl``
    wrongly or to end the process; returns a one-line note for one that changes its numbers,
    else None."""
    env = os.environ if env is None else env
    for name, least in WHOLE_NUMBERS.items():
        text = env.get(name, "").strip()
        if text and not (re.fullmatch(r"[+-]?\d+", text) and int(text) >= least):
            raise ConfigError(
                f"{name}={env[name]!r} is not a whole number >= {least}, which MXNet needs (it "
                f"ends the process or computes wrongly): fix it or unset {name}")
    value = env.get(ONEDNN_SWITCH)
    if value is None or value.strip().lower() in ("", "1", "true"):
        return None
    if value.strip().lower() not in ("0", "false"):
        raise ConfigError(
            f"{ONEDNN_SWITCH}={value!r} is not a value MXNet reads (it ends the process): set "
            f"it to 1, or unset it")
    if impl == "concise":
        raise ConfigError(
            f"{ONEDNN_SWITCH}={value} turns MXNet's oneDNN kernels off, and its reference RNN "
            f"kernels compute the concise models wrongly (a perplexity of 0.000, then an engine "
            f"error): unset {ONEDNN_SWITCH} (or set it to 1), or use {names('impl')} scratch")
    return (f"{ONEDNN_SWITCH}={value}: MXNet runs its reference kernels instead of oneDNN's: "
            "slower, and the numbers differ from the usual ones in their last digits")


def enforce(impl: str, names: Names = API_NAMES) -> None:
    """:func:`check` for this process's environment; a note goes to stderr as one line."""
    note = check(impl, names)
    if note:
        print(f"djl-bridge: note: {note}", file=sys.stderr, flush=True)
