#!/usr/bin/env python3
"""Does the resident set of a long run level off? One ``djl-bridge train --epochs E --json`` per
impl (the text's GRU, default settings), each in a process of its own; every run's report has
``rss_mb``, the resident set after each epoch. Prints, per impl, the resident set at a few
epochs, the growth from epoch 10, and the slope over each quarter of the run (MB per 100
epochs): a plateau is a last-quarter slope near 0 while the first quarters climb. ``--save FILE``
keeps the raw reports (every epoch's ``rss_mb``)::

    python benchmarks/long_run_rss.py --epochs 2000 --impls scratch,concise --save rss.json

About 10 minutes (scratch) and 4 (concise) per 2,000 epochs on an idle 2-CPU machine.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this script sits in is the one measured

from djl_bridge import bench  # noqa: E402
from djl_bridge.config import TrainConfig  # noqa: E402

#: Growth is measured from this epoch (the first ones fill the engine's pools).
FROM_EPOCH = 10


def slope_per_100(values: Sequence[float]) -> float:
    """Least-squares slope of ``values`` against their index, per 100 steps."""
    n = len(values)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, sum(values) / n
    num = sum((i - mx) * (v - my) for i, v in enumerate(values))
    return 100 * num / sum((i - mx) ** 2 for i in range(n))


def checkpoints(epochs: int) -> list[int]:
    """The epochs the table shows."""
    marks = [FROM_EPOCH, 50, 100, 200, 500, 1000, 1500, 2000, 5000, 10000]
    return sorted({e for e in marks if e <= epochs} | {epochs})


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--impls", default="scratch,concise")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--save", type=Path, default=None, metavar="FILE.json")
    args = p.parse_args(argv)
    if args.epochs < 4 * FROM_EPOCH:
        p.error(f"--epochs must be at least {4 * FROM_EPOCH}")
    from djl_bridge.session import prepare

    reports = {}
    for impl in [i for i in args.impls.split(",") if i]:
        cfg = prepare(replace(TrainConfig(epochs=args.epochs, impl=impl), data=args.data))
        start = time.perf_counter()
        proc = subprocess.run(bench.command("bridge", cfg), capture_output=True, text=True,
                              env=bench.child_env(None))
        if proc.returncode != 0:
            raise SystemExit(f"djl-bridge: error: the {impl} run failed: "
                             f"{bench.error_line(proc.stderr)}")
        reports[impl] = json.loads([ln for ln in proc.stdout.splitlines()
                                    if ln.startswith("{")][-1])
        print(f"{impl}: {args.epochs} epochs in {time.perf_counter() - start:.0f} s",
              file=sys.stderr, flush=True)
        if args.save is not None:
            args.save.write_text(json.dumps(reports))
    marks = checkpoints(args.epochs)
    print(f"`python benchmarks/long_run_rss.py {' '.join(sys.argv[1:])}`: the text's GRU, "
          f"{args.epochs} epochs, resident set (MB) after the epoch; slopes in MB per 100 epochs "
          "over each quarter of the run")
    print()
    print("| impl | " + " | ".join(f"ep {e}" for e in marks) + f" | growth from ep {FROM_EPOCH} "
          "| slope Q1 | Q2 | Q3 | Q4 | tokens/s |")
    print("|---|" + "---:|" * (len(marks) + 6))
    for impl, r in reports.items():
        rss = r["rss_mb"]
        at = [rss[e - 1] for e in marks]
        growth = 100 * (rss[-1] / rss[FROM_EPOCH - 1] - 1)
        q = len(rss) // 4
        slopes = [slope_per_100(rss[k * q:(k + 1) * q]) for k in range(4)]
        print(f"| {impl} | " + " | ".join(f"{v:.0f}" for v in at) + f" | {growth:+.1f}% | "
              + " | ".join(f"{s:+.1f}" for s in slopes) + f" | {r['tokens_per_sec']:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
