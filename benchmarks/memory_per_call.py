#!/usr/bin/env python3
"""Memory per call: what a notebook or a sweep pays for each ``djl_bridge.train()`` or
``djl_bridge.predict()`` in one long-lived process.

Runs CALLS calls of one kind in this process (tiny config, so each call takes well under a
second), reads the resident set (``VmRSS`` of ``/proc/self/status``) after each, and prints a
table: the resident set after call 1, after the first ``--warmup`` calls and after the last,
and the slope (MB per call, least squares) over the calls after the warm-up. With
``--threads-per-call`` each call is made from a new Python thread, as a thread pool or a web
server would; without it, from this thread::

    python benchmarks/memory_per_call.py --what train --calls 100
    python benchmarks/memory_per_call.py --what predict --calls 100 --threads-per-call
    python benchmarks/memory_per_call.py --what train --calls 25 --json    # one JSON object

The corpus is ``--data``, else ``$DJL_BRIDGE_DATA``, else found as ``djl-bridge train`` finds
it. Needs Linux (``/proc``).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

#: The checkout this script sits in: its djl_bridge is the one measured.
ROOT = Path(__file__).resolve().parent.parent
#: The tiny run every call makes (the tests' size: a call takes a fraction of a second).
TINY = dict(hidden=16, batch_size=4, num_steps=5, max_tokens=2000, epochs=3)
STATUS = Path("/proc/self/status")


def rss_mb() -> float:
    """The resident set of this process now, MiB."""
    for line in STATUS.read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS line in /proc/self/status")


def slope(values: Sequence[float]) -> float:
    """The least-squares slope of ``values`` against their index (per step); 0 for < 2 values."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    num = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    den = sum((i - mean_x) ** 2 for i in range(n))
    return num / den


def in_new_thread(fn: Callable[[], Any]) -> Any:
    """Runs ``fn`` in a new, short-lived thread and hands back its result or exception."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc
    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def measure(what: str, calls: int, data: Optional[Path], threads_per_call: bool) -> list[float]:
    """The resident set (MiB) after each of ``calls`` calls of ``what`` ("train", "predict")."""
    sys.path.insert(0, str(ROOT))
    import djl_bridge
    from djl_bridge import RunOptions, TrainConfig

    config = TrainConfig(**TINY, data=data)
    djl_bridge.start()
    with tempfile.TemporaryDirectory(prefix="djl-bridge-mem-") as tmp:
        if what == "predict":  # one checkpoint to predict from, made before counting
            djl_bridge.run(config, RunOptions(checkpoint_dir=Path(tmp) / "ck"))

            def call() -> Any:
                return djl_bridge.predict(Path(tmp) / "ck", "time traveller", 50)
        else:
            def call() -> Any:
                return djl_bridge.train(config)
        after = []
        for _ in range(calls):
            in_new_thread(call) if threads_per_call else call()
            after.append(rss_mb())
    return after


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--what", choices=("train", "predict"), default="train")
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10,
                   help="calls left out of the slope (first-use costs: JIT, caches, pools)")
    p.add_argument("--threads-per-call", action="store_true",
                   help="make each call from a new Python thread")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = p.parse_args(argv)
    if args.calls <= args.warmup + 1:
        p.error(f"--calls must exceed --warmup + 1 ({args.warmup + 1}), got {args.calls}")
    start = time.monotonic()
    after = measure(args.what, args.calls, args.data, args.threads_per_call)
    tail = after[args.warmup:]
    out = {
        "what": args.what, "calls": args.calls, "warmup": args.warmup,
        "threads_per_call": args.threads_per_call,
        "rss_mb_after_first": round(after[0], 1),
        "rss_mb_after_warmup": round(after[args.warmup - 1], 1),
        "rss_mb_after_last": round(after[-1], 1),
        "mb_per_call": round(slope(tail), 3),
        "seconds": round(time.monotonic() - start, 1),
        "rss_mb": [round(v, 1) for v in after],
    }
    if args.json:
        print(json.dumps(out))
        return 0
    caller = "a new thread per call" if args.threads_per_call else "one thread"
    print(f"{args.calls} x djl_bridge.{args.what}() ({caller}), tiny config "
          f"({', '.join(f'{k}={v}' for k, v in TINY.items())}), {out['seconds']} s")
    print("| calls | RSS after call 1 | after call "
          f"{args.warmup} | after call {args.calls} | MB per call, calls {args.warmup + 1}-"
          f"{args.calls} |")
    print("|---|---:|---:|---:|---:|")
    print(f"| {args.what} x {args.calls} | {out['rss_mb_after_first']} | "
          f"{out['rss_mb_after_warmup']} | {out['rss_mb_after_last']} | {out['mb_per_call']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
