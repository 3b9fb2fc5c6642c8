"""The GPU check: trains the same model a few epochs on the CPU and on the GPU from the same
initial weights and the same batches, compares the perplexities (1e-3 relative by default) and
prints tokens/s for both. Exit status 0 when they agree, 1 when they do not or when the GPU
cannot be used (one line saying why).

One command on a machine with an NVIDIA GPU of compute capability 5.0-8.x, a JDK and the
CUDA 11 wheels (``pip install 'djl-bridge[cuda11]'``, or ``./go gpu-check`` which installs them):

    python3 examples/gpu_check.py --data timemachine.txt

``--against cpu`` runs the same procedure CPU against CPU (the perplexities must then be equal),
which checks the script itself on a machine without a GPU.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import djl_bridge
from djl_bridge import gpu
from djl_bridge.config import CLI_NAMES, IMPLS, MODELS, TrainConfig
from djl_bridge.errors import BridgeError
from djl_bridge import bridge
from djl_bridge.session import prepare


@dataclass
class DeviceRun:
    """The perplexity per epoch and the speed of one device."""

    device: str
    perplexity: list[float]
    tokens_per_sec: float


@dataclass
class Comparison:
    """Two runs of one model from the same start, and how far apart they ended."""

    model: str
    impl: str
    runs: tuple[DeviceRun, DeviceRun]
    max_rel_diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        """Whether every epoch's perplexity agrees within the tolerance."""
        return self.max_rel_diff <= self.tolerance

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return {"model": self.model, "impl": self.impl, "ok": self.ok,
                "max_rel_diff": self.max_rel_diff, "tolerance": self.tolerance,
                "runs": [r.__dict__ for r in self.runs]}


def same_parameters(a: Path, b: Path) -> bool:
    """Whether two parameter files hold the same values: NPZ (scratch) compared array by array
    (a zip's timestamps differ), DJL's block format (concise) byte by byte."""
    if a.suffix != ".npz":
        return a.read_bytes() == b.read_bytes()
    import numpy as np

    with np.load(a, allow_pickle=False) as x, np.load(b, allow_pickle=False) as y:
        return sorted(x.files) == sorted(y.files) and all(
            np.array_equal(x[k], y[k]) for k in x.files)


def run_on(config: TrainConfig, device: str, start: Path, write_start: bool) -> DeviceRun:
    """Trains ``config`` on ``device``; the first run writes its initial parameters to ``start``,
    the second loads them (TrainingSession.resume from epoch 0), so both begin alike."""
    session = bridge.Session.open(replace(config, device=device))
    try:
        if write_start:
            session.write_last_good(start)
        else:
            session.resume(start.read_bytes(), start, 0, [], [])
            again = start.with_name("loaded-" + start.name)
            session.write_last_good(again)
            if not same_parameters(start, again):
                raise BridgeError(f"the {device} session did not start from the parameters "
                                  "of the CPU session: the check is void")
        session.train(config.epochs)
        report = session.report()  # the tokens/s rule of every launcher
        name, perplexity = str(report["device"]), [float(p) for p in report["perplexity"]]
        speed = float(report["tokens_per_sec"])
    finally:
        session.close()
    return DeviceRun(name, perplexity, speed)


def compare(config: TrainConfig, against: str, tolerance: float) -> Comparison:
    """CPU first (it writes the start), then ``against`` from the same parameters."""
    with tempfile.TemporaryDirectory(prefix="djl-bridge-gpu-check-") as tmp:
        start = Path(tmp) / params_file_name(config.impl)
        cpu = run_on(config, "cpu", start, write_start=True)
        other = run_on(config, against, start, write_start=False)
    diffs = [abs(a - b) / abs(a) for a, b in zip(cpu.perplexity, other.perplexity)]
    worst = max(diffs) if diffs else float("inf")
    return Comparison(config.model, config.impl, (cpu, other), worst, tolerance)


def params_file_name(impl: str) -> str:
    """The parameter file name of ``impl``, as the Java side writes it."""
    return bridge.params_file_name(impl)


def main(argv: Optional[list[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None, help="timemachine.txt (default: as djl-bridge)")
    p.add_argument("--models", default="gru", help=f"comma list of {','.join(MODELS)}")
    p.add_argument("--impls", default=",".join(IMPLS), help=f"comma list of {','.join(IMPLS)}")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--num-steps", type=int, default=35)
    p.add_argument("--max-tokens", type=int, default=10000)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--tolerance", type=float, default=1e-3, help="largest relative difference")
    p.add_argument("--against", choices=("gpu", "cpu"), default="gpu",
                   help="the device compared with the CPU (cpu: check the script without a GPU)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = p.parse_args(argv)
    try:
        pairs = [(m, i) for m in args.models.split(",") for i in args.impls.split(",")]
        base = prepare(TrainConfig(
            model=pairs[0][0], impl=pairs[0][1], epochs=args.epochs, lr=args.lr,
            hidden=args.hidden, batch_size=args.batch_size, num_steps=args.num_steps,
            max_tokens=args.max_tokens, data=args.data, seed=args.seed, device=args.against),
            CLI_NAMES)  # a command line: its messages name flags
        if args.against == "gpu":
            print(f"djl-bridge gpu check: {gpu.resolve_device('gpu').gpu.label()}",  # type: ignore[union-attr]
                  file=sys.stderr)
        djl_bridge.start()
        results = []
        for model, impl in pairs:
            config = replace(base, model=model, impl=impl).validate()
            result = compare(config, args.against, args.tolerance)
            results.append(result)
            if not args.json:
                cpu, other = result.runs
                print(f"{model} {impl}: perplexity after {config.epochs} epochs "
                      f"{cpu.device} {cpu.perplexity[-1]:.6f}, {other.device} "
                      f"{other.perplexity[-1]:.6f}; max relative difference over epochs "
                      f"{result.max_rel_diff:.2e} (tolerance {result.tolerance:g}) "
                      f"{'ok' if result.ok else 'FAIL'}")
                print(f"{model} {impl}: tokens/s {cpu.device} {cpu.tokens_per_sec:,.0f}, "
                      f"{other.device} {other.tokens_per_sec:,.0f} "
                      f"({other.tokens_per_sec / cpu.tokens_per_sec:.2f}x)", flush=True)
    except BridgeError as exc:
        print(f"djl-bridge: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": all(r.ok for r in results), "results": [r.to_dict() for r in results]}))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
