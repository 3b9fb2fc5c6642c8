"""Cross-language parity: the numpy twin (:mod:`djl_bridge.reference`) against the production Java
classes, through :mod:`djl_bridge.bridge.parity` (no check calls Java itself). Each check returns
a :class:`CheckResult`; ``djl-bridge parity`` prints them as a table and pytest runs each one as a
test.

Error measures (per compared array ``java`` against the twin's ``ref``, then the maximum over all
arrays of the check)::

    max_abs_err = max_i |java_i - ref_i|
    max_rel_err = max_i |java_i - ref_i| / max(max_i |ref_i|, REL_FLOOR)

i.e. the worst element error relative to the array's own scale (a norm-wise measure, robust to
elements that are zero or tiny, such as the gradients of one-hot rows no input touched). Exact
checks (tokens, indices, batches, predicted text, random draws) report the number of mismatching
elements as ``max_abs_err`` and ``max_rel_err``, with tolerance 0.

The Java side computes in float32 and the twin in float64.
"""
from __future__ import annotations

import math
import zlib
from typing import Callable, Optional, Sequence

import numpy as np

from .core import (DEEP_LAYERS, IMPLS, KINDS, REL_FLOOR, TOL_FORWARD, TOL_GRAD, TOL_TRAIN,
                   CheckResult, Context, ParitySetup, compare, format_table, variant)
from .data_checks import (check_batches_random, check_batches_sequential, check_corpus,
                          check_java_random, check_text, check_vocab)
from .model_checks import (_carried_state, _forward, _gradients, _initialization, _prediction,
                           _training,
                           check_carried_state_concise, check_carried_state_hybrid,
                           check_carried_state_scratch,
                           check_clipping_above, check_clipping_below)
from .seq2seq_checks import SEQ2SEQ_CHECKS

__all__ = ["CHECKS", "DEEP_LAYERS", "IMPLS", "KINDS", "REL_FLOOR", "TOL_FORWARD", "TOL_GRAD",
           "TOL_TRAIN", "CheckResult", "Context", "ParitySetup", "check_ids", "compare",
           "format_table", "run_check", "run_checks", "variant"]


def _per_model(fn: Callable[..., CheckResult], impls: Sequence[str] = IMPLS, layers: int = 1,
               bidirectional: bool = False) -> list[tuple[str, Callable[[Context], CheckResult]]]:
    """One row of ``fn`` per impl and kind: "forward scratch gru", "forward concise lstm 2 layers
    bidirectional"."""
    return [(f"{fn.__name__.strip('_')} {impl} {kind}{variant(layers, bidirectional)}",
             (lambda ctx, i=impl, k=kind: fn(ctx, i, k, layers, bidirectional)))
            for impl in impls for kind in KINDS]


def _deep_carried_state(impl: str) -> tuple[str, Callable[[Context], CheckResult]]:
    return (f"carried state {impl}{variant(DEEP_LAYERS)}",
            lambda ctx: _carried_state(ctx, impl, DEEP_LAYERS))


#: Every check, by a stable id (pytest parametrizes over these).
CHECKS: list[tuple[str, Callable[[Context], CheckResult]]] = [
    ("java random", check_java_random),
    ("vocab", check_vocab),
    ("text", check_text),
    ("corpus", check_corpus),
    ("batches sequential", check_batches_sequential),
    ("batches random", check_batches_random),
    *_per_model(_forward),
    *_per_model(_gradients),
    ("clipping above", check_clipping_above),
    ("clipping below", check_clipping_below),
    *_per_model(_training),
    ("carried state scratch", check_carried_state_scratch),
    ("carried state hybrid", check_carried_state_hybrid),
    ("carried state concise", check_carried_state_concise),
    *_per_model(_prediction),
    # D2L 9.3: two stacked layers, scratch (op by op and hybridized) and concise
    *_per_model(_forward, layers=DEEP_LAYERS),
    *_per_model(_gradients, layers=DEEP_LAYERS),
    *_per_model(_training, layers=DEEP_LAYERS),
    *[_deep_carried_state(impl) for impl in IMPLS],
    *_per_model(_prediction, layers=DEEP_LAYERS),
    # D2L 9.4: two bidirectional layers (DJL's concise layer only)
    *_per_model(_forward, ("concise",), DEEP_LAYERS, True),
    *_per_model(_gradients, ("concise",), DEEP_LAYERS, True),
    *_per_model(_prediction, ("concise",), DEEP_LAYERS, True),
    # D2L 9.5-9.7: machine translation, the GRU encoder-decoder
    *SEQ2SEQ_CHECKS,
    # the text's initialization by the role MXNet gives each value (one layer, a stack, both ways)
    *_per_model(_initialization, ("concise",)),
    *_per_model(_initialization, ("concise",), DEEP_LAYERS),
    *_per_model(_initialization, ("concise",), DEEP_LAYERS, True),
]


def check_ids() -> list[str]:
    """The ids of every check, in table order."""
    return [name for name, _ in CHECKS]


def run_check(ctx: Context, check_id: str) -> CheckResult:
    """Runs one check by id; a Java exception becomes a failed row carrying its message."""
    fn = dict(CHECKS)[check_id]
    # Each check draws from its own generator, so a row does not depend on which ran before it.
    ctx.rng = np.random.default_rng([ctx.setup.seed & 0xFFFFFFFFFFFFFFFF,
                                    zlib.crc32(check_id.encode())])
    try:
        with ctx.java.check():
            return fn(ctx)
    except Exception as exc:  # noqa: BLE001 - a broken check is a failed row, not a crash
        return CheckResult(check_id, math.inf, math.inf, 0.0, False, f"error: {exc}")


def run_checks(setup: ParitySetup, ids: Optional[Sequence[str]] = None) -> list[CheckResult]:
    """Runs the checks (all by default) on one shared context."""
    ctx = Context(setup)
    try:
        return [run_check(ctx, i) for i in (ids if ids is not None else check_ids())]
    finally:
        ctx.close()
