"""The parity checks' shared parts: tolerances, the result row and its error measure, the setup,
the context of JVM objects and twin data, and the table."""
from __future__ import annotations

import contextlib
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .. import bridge
from ..bridge import weights as W
from ..bridge.parity import JavaComponents
from ..reference import kinds, load_corpus

#: The floor of the denominator of the relative error (so an all-zero reference does not divide
#: by zero).
REL_FLOOR = 1e-6

TOL_FORWARD = 1e-5
TOL_GRAD = 1e-4
TOL_TRAIN = 1e-4
KINDS = kinds.NAMES  # every model kind (reference/kinds.py)
#: "hybrid" is the scratch model run as one cached MXNet graph (RNNModelScratch.of(..., true)):
#: the same twin as "scratch".
IMPLS = ("scratch", "hybrid", "concise")
#: The layers of the stacked rows (D2L 9.3's deep models) and of the bidirectional ones (9.4's).
DEEP_LAYERS = 2


def variant(layers: int = 1, bidirectional: bool = False) -> str:
    """How a row's name says its model is stacked or bidirectional: "", " 2 layers",
    " 2 layers bidirectional"."""
    return (f" {layers} layers" if layers > 1 else "") + (" bidirectional" if bidirectional else "")


def twin_impl(impl: str) -> str:
    """The twin of a Java implementation: the hybrid scratch model computes the scratch one."""
    return "concise" if impl == "concise" else "scratch"


@dataclass(frozen=True)
class CheckResult:
    """One row of the parity table."""

    name: str
    max_abs_err: float
    max_rel_err: float
    tol: float
    ok: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: name, max_abs_err, max_rel_err, tol, ok (and detail); an error that is
        not finite (a check that crashed or produced NaN) becomes null, which strict JSON allows."""
        d = asdict(self)
        for key in ("max_abs_err", "max_rel_err"):
            if not math.isfinite(d[key]):
                d[key] = None
        return d


@dataclass(frozen=True)
class ParitySetup:
    """The small random setup every check runs on."""

    data: Path
    seed: int = 9  # draws non-zero offsets for 8, 10 and 35 steps (seed 0 draws 0 for 10)
    hidden: int = 16
    batch_size: int = 3
    num_steps: int = 35
    weight_scale: float = 0.3
    train_steps: int = 20
    train_batch_size: int = 2
    train_num_steps: int = 8
    lr: float = 1.0
    clip: float = 0.25  # below the gradient norm of the first steps, above it later


def compare(java: Sequence[np.ndarray], ref: Sequence[np.ndarray]) -> tuple[float, float]:
    """(max abs error, max relative error) over pairs of arrays, as the module docstring says."""
    if len(java) != len(ref):
        raise ValueError(f"{len(java)} Java arrays against {len(ref)} reference arrays")
    worst_abs, worst_rel = 0.0, 0.0
    for a, b in zip(java, ref):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"shape mismatch: Java {a.shape}, reference {b.shape}")
        if a.size == 0:
            continue
        err = float(np.max(np.abs(a - b)))
        if not math.isfinite(err):
            return math.inf, math.inf
        worst_abs = max(worst_abs, err)
        worst_rel = max(worst_rel, err / max(float(np.max(np.abs(b))), REL_FLOOR))
    return worst_abs, worst_rel


def _numeric(name: str, java: Sequence[np.ndarray], ref: Sequence[np.ndarray], tol: float,
             detail: str = "") -> CheckResult:
    abs_err, rel_err = compare(java, ref)
    return CheckResult(name, abs_err, rel_err, tol, rel_err <= tol, detail)


def _exact(name: str, mismatches: int, detail: str = "") -> CheckResult:
    return CheckResult(name, float(mismatches), float(mismatches), 0.0, mismatches == 0, detail)


def _count_mismatches(a: Sequence[Any], b: Sequence[Any]) -> int:
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


#: The OpenMP threads the parity checks run on when nobody pinned a count.
PARITY_THREADS = 1


class Context:
    """The Java side (:class:`~djl_bridge.bridge.parity.JavaComponents`, ``java``: every Java
    call of a check goes through it) and the twin data the checks share: the full corpus and
    vocabulary on both sides; during each check (:func:`run_check`) its arrays live on a
    sub-manager freed after it."""

    def __init__(self, setup: ParitySetup) -> None:
        # One OpenMP thread unless the user pinned a count (or the JVM already runs): the checks
        # compare numbers, and the default count follows the machine's load, at which MKL and
        # oneDNN sum in another order (a loaded CI run once missed forward concise gru's 1e-5).
        pinned = bridge.is_started() or os.environ.get("OMP_NUM_THREADS", "").strip() != ""
        bridge.start(threads=None if pinned else PARITY_THREADS)
        self.setup = setup
        # The JVM reads the corpus through a descriptor Python holds open until close(): it
        # names no path (a non-ASCII one fails under LC_ALL=C).
        self._corpus = contextlib.ExitStack()
        java_data = self._corpus.enter_context(bridge.readable_by_java(setup.data))
        try:
            self.java = JavaComponents(java_data, setup.seed)
            self.corpus, self.vocab = load_corpus(setup.data, max_tokens=0)
            self.rng = np.random.default_rng(setup.seed & 0xFFFFFFFFFFFFFFFF)
        except BaseException:
            self._corpus.close()
            raise

    def dataset(self, batch_size: int, num_steps: int, random: bool, max_tokens: int,
                seed: Optional[int] = None) -> Any:
        """A prepared Java ``TimeMachineDataset`` (a handle for ``java``'s methods)."""
        return self.java.dataset(batch_size, num_steps, random, max_tokens, seed)

    def new_model(self, impl: str, kind: str, layers: int = 1, bidirectional: bool = False) -> Any:
        """A fresh Java model with the vocabulary of the corpus (a handle for ``java``'s
        methods; close it with ``java.close_model``)."""
        return self.java.new_model(impl, kind, len(self.vocab), self.setup.hidden, layers,
                                   bidirectional)

    def random_weights(self, net: Any, scale: Optional[float] = None) -> list[np.ndarray]:
        """Random weights (N(0, scale)) and biases (N(0, scale / 3)) shaped as the model's
        parameters; the biases are not zero so that the bias layout matters."""
        s = self.setup.weight_scale if scale is None else scale
        out = []
        for p in W.get_weights(net):
            out.append(self.rng.normal(0.0, s if p.ndim > 1 else s / 3, p.shape))
        return out

    def close(self) -> None:
        """Frees every array of the checks, and lets the corpus go."""
        try:
            self.java.close()
        finally:
            self._corpus.close()


def format_table(results: Sequence[CheckResult]) -> str:
    """The results as a text table: component, max abs error, max rel error, tolerance, result."""
    rows = [("component", "max abs err", "max rel err", "tol", "result", "")]
    for r in results:
        rows.append((r.name, f"{r.max_abs_err:.3g}", f"{r.max_rel_err:.3g}", f"{r.tol:g}",
                     "pass" if r.ok else "FAIL", r.detail))
    widths = [max(len(row[c]) for row in rows) for c in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5]
             for row in rows]
    return "\n".join(line.rstrip() for line in lines)
