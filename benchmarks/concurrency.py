#!/usr/bin/env python3
"""Runs that share a machine: N trainings started together against the same N one after
another, and one run alone with threads that follow the load against threads pinned at one per
CPU (the default before they adapted).

Every run is ``djl-bridge train --epochs E --json`` (the text's GRU, default settings) in a
process of its own, with the environment of ``djl-bridge bench`` (this checkout's djl_bridge
first on PYTHONPATH). Variants:

* ``default``: the default threads (one per CPU, fewer while other processes keep CPUs busy);
* ``pinned``: ``--threads`` = the CPUs, which never adapts (the default before this change);
* ``threads1``: ``--threads 1``;
* ``torch``: ``benchmarks/torch_ref.py`` (the same GRU in PyTorch, one thread per CPU), when
  ``--torch PYTHON`` or ``$DJL_BRIDGE_TORCH_PYTHON`` names a python with torch.

For each variant and N (``--n 1,2,3``): the wall time of N started together and of N one after
another, their ratio, and tokens/s of each run (median and min-max); ``--rounds R`` repeats every
pair R times, interleaved, and gives the median times and the ratio's median (min-max). Then ``--idle-rounds``
rounds of one run alone, ``default`` and ``pinned`` in alternating order: tokens/s of each and
the per-round ratio. The output is Markdown, ready for docs/bench.md; ``--json`` prints every run
instead. Example (about 10 minutes on 2 CPUs)::

    python benchmarks/concurrency.py --epochs 10 --n 1,2,3 --idle-rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this script sits in is the one measured

from djl_bridge import bench, jvm  # noqa: E402
from djl_bridge.config import TrainConfig  # noqa: E402

VARIANTS = ("default", "pinned", "threads1", "torch")
TORCH_ENV = "DJL_BRIDGE_TORCH_PYTHON"


@dataclass(frozen=True)
class Run:
    """One finished run."""

    variant: str
    n: int
    mode: str  # "together", "sequential" or "idle"
    tokens_per_sec: float
    wall_seconds: float
    epoch_threads: Optional[list[int]]


def _command(variant: str, cfg: TrainConfig, torch: Optional[Path]) -> tuple[list[str], dict[str, str]]:
    if variant == "torch":
        return bench.command("torch", cfg, torch), bench.child_env(None)
    threads = {"default": None, "pinned": jvm.usable_cpus(), "threads1": 1}[variant]
    return bench.command("bridge", cfg), bench.child_env(threads)


def _finish(variant: str, proc: "subprocess.Popen[str]", started: float, n: int,
            mode: str) -> Run:
    try:
        out, err = proc.communicate()
    except BaseException:  # Ctrl-C: no run left behind
        proc.kill()
        proc.wait()
        raise
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"djl-bridge: error: a {variant} run failed (exit {proc.returncode}): "
                         f"{bench.error_line(err)}")
    report = json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])
    return Run(variant, n, mode, float(report["tokens_per_sec"]), wall,
               report.get("epoch_threads"))


def together(variant: str, n: int, cfg: TrainConfig, torch: Optional[Path]) -> tuple[float, list[Run]]:
    """Starts ``n`` runs at once; returns the wall time until the last ends, and the runs."""
    argv, env = _command(variant, cfg, torch)
    start = time.perf_counter()
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env) for _ in range(n)]
    try:
        runs = [_finish(variant, p, start, n, "together") for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return time.perf_counter() - start, runs


def one(variant: str, n: int, mode: str, cfg: TrainConfig, torch: Optional[Path]) -> Run:
    argv, env = _command(variant, cfg, torch)
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    return _finish(variant, proc, start, n, mode)


def _spread(values: Sequence[float], fmt: str = ",.0f") -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:{fmt}}"
    return f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def _threads(runs: Sequence[Run]) -> str:
    counts = sorted({t for r in runs for t in (r.epoch_threads or [])})
    return "-" if not counts else ",".join(str(c) for c in counts)


def _header(args: argparse.Namespace) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        commit = "?"
    return (f"`python benchmarks/concurrency.py {' '.join(sys.argv[1:])}` on {cpu}, "
            f"{jvm.usable_cpus()} CPUs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"commit {commit}; `djl-bridge train --epochs {args.epochs}` (the text's GRU) per run")


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--n", default="1,2,3", help="how many runs share the machine, a comma list")
    p.add_argument("--variants", default="default,pinned,threads1,torch",
                   help=f"a comma list of {','.join(VARIANTS)} (torch only with a torch python)")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat every together/one-after-another pair this many times, "
                        "interleaved (the table gives medians, min-max of the ratio)")
    p.add_argument("--idle-rounds", type=int, default=3,
                   help="rounds of one run alone, default against pinned (0: none)")
    p.add_argument("--torch", type=Path, default=None, metavar="PYTHON",
                   help=f"a python with torch (default ${TORCH_ENV})")
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="every run as JSON instead of the tables")
    args = p.parse_args(argv)
    from djl_bridge.session import prepare

    counts = [int(x) for x in args.n.split(",") if x]
    variants = [v for v in args.variants.split(",") if v]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not counts or min(counts) < 1 or args.rounds < 1:
        p.error(f"--variants takes {','.join(VARIANTS)}, --n whole numbers >= 1, --rounds >= 1")
    torch = args.torch or (Path(os.environ[TORCH_ENV]) if os.environ.get(TORCH_ENV) else None)
    if "torch" in variants:
        if torch is None:
            variants.remove("torch")
        else:
            bench.check_torch(torch)
    cfg = prepare(replace(TrainConfig(epochs=args.epochs), data=args.data))
    runs: list[Run] = []
    # (variant, n) -> per round: (together s, one after another s, their runs)
    measured: dict[tuple[str, int], list[tuple[float, float, list[Run], list[Run]]]] = {}
    for r in range(args.rounds):
        for variant in variants:
            for n in counts:
                wall_t, t_runs = together(variant, n, cfg, torch)
                runs += t_runs
                if n == 1:
                    wall_s, s_runs = wall_t, t_runs
                else:
                    s_runs = [one(variant, n, "sequential", cfg, torch) for _ in range(n)]
                    runs += s_runs
                    wall_s = sum(x.wall_seconds for x in s_runs)
                measured.setdefault((variant, n), []).append((wall_t, wall_s, t_runs, s_runs))
                print(f"round {r + 1}, {variant} x{n}: together {wall_t:.1f} s, one after another "
                      f"{wall_s:.1f} s", file=sys.stderr, flush=True)
    idle = []
    for r in range(args.idle_rounds):
        order = ("default", "pinned") if r % 2 == 0 else ("pinned", "default")
        got = {v: one(v, 1, "idle", cfg, torch) for v in order}
        runs += got.values()
        idle.append(got)
        print(f"idle round {r + 1}: " + ", ".join(f"{v} {got[v].tokens_per_sec:,.0f} tokens/s"
                                                  for v in order), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps([asdict(r) for r in runs]))
        return 0
    print(_header(args))
    print()
    print("| variant | runs | together s | one after another s | together ÷ after | "
          "tokens/s each, together | tokens/s each, alone | threads per epoch, together |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for (variant, n), rounds in measured.items():
        t_runs = [x for m in rounds for x in m[2]]
        s_runs = [x for m in rounds for x in m[3]]
        ratio = _spread([m[0] / m[1] for m in rounds], ".2f")
        print(f"| {variant} | {n} | {statistics.median(m[0] for m in rounds):.1f} | "
              f"{statistics.median(m[1] for m in rounds):.1f} | {ratio} | "
              f"{_spread([x.tokens_per_sec for x in t_runs])} | "
              f"{_spread([x.tokens_per_sec for x in s_runs])} | {_threads(t_runs)} |")
    if idle:
        print()
        print("| round | default tokens/s | pinned tokens/s | default ÷ pinned |")
        print("|---:|---:|---:|---:|")
        ratios = []
        for k, got in enumerate(idle, 1):
            d, f = got["default"].tokens_per_sec, got["pinned"].tokens_per_sec
            ratios.append(d / f)
            print(f"| {k} | {d:,.0f} | {f:,.0f} | {d / f:.2f} |")
        print(f"| median | {statistics.median(g['default'].tokens_per_sec for g in idle):,.0f} | "
              f"{statistics.median(g['pinned'].tokens_per_sec for g in idle):,.0f} | "
              f"{statistics.median(ratios):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
