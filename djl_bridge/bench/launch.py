"""How each launcher runs one training in a process of its own: the bridge (``python3 -m
djl_bridge.cli train --json``), plain ``java`` (the Java side's main class, same JVM options and
classpath as the bridge, no Python) and the PyTorch reference (``benchmarks/torch_ref.py`` run by
another interpreter); the environment they share, and the one line of a failed run's stderr.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

from .. import bridge, gpu, jvm
from ..config import TrainConfig
from ..errors import ConfigError
from .config import LAUNCHERS, BenchError

#: The PyTorch reference script, run by the ``--torch`` interpreter.
TORCH_SCRIPT = jvm.PROJECT_ROOT / "benchmarks" / "torch_ref.py"


def java_executable() -> Path:
    """The ``java`` of the JDK that JPype would load (``JAVA_HOME`` first, then the PATH), so both
    launchers run the same JVM."""
    runtime = jvm.find_java()
    exe = runtime.java_executable()
    if exe is not None:
        return exe
    libjvm = runtime.libjvm
    for home in libjvm.parents:
        candidate = home / "bin" / "java"
        if candidate.is_file():
            return candidate
    found = shutil.which("java")
    if found is None:
        raise BenchError(f"no `java` executable next to {libjvm} or on the PATH")
    return Path(found)


def train_args(cfg: TrainConfig) -> list[str]:
    """The options every launcher shares (``djl-bridge train``, the Java side's
    :data:`djl_bridge.bridge.MAIN` and ``torch_ref.py`` spell them alike)."""
    return [
        "--model", cfg.model, "--impl", cfg.impl, "--epochs", str(cfg.epochs),
        "--lr", repr(float(cfg.lr)), "--clip", repr(float(cfg.clip)), "--hidden", str(cfg.hidden),
        "--layers", str(cfg.layers), *(["--bidirectional"] if cfg.bidirectional else []),
        "--batch-size", str(cfg.batch_size), "--num-steps", str(cfg.num_steps),
        "--max-tokens", str(cfg.max_tokens), "--data", str(cfg.data), "--seed", str(cfg.seed),
        "--device", cfg.device,
    ]


def command(launcher: str, cfg: TrainConfig, torch_python: Optional[Path] = None) -> list[str]:
    """The command line of one measured run; ``cfg`` must be prepared (its corpus resolved)."""
    if launcher == "bridge":
        args = [sys.executable, "-m", "djl_bridge.cli", "train", *train_args(cfg), "--json"]
        if not cfg.verify_data:
            args.append("--no-verify-data")
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    if launcher == "java":
        classpath = os.pathsep.join(str(p) for p in jvm.find_classpath())
        # The options a bridge run's JVM gets (DJL_BRIDGE_JVM_OPTIONS, Java 22+), and the CUDA
        # natives of the cuda11 extra when they apply.
        args = [str(java_executable()), *jvm.effective_jvm_options(), *gpu.java_child_options(),
                "-cp", classpath, bridge.MAIN, *train_args(cfg), "--json"]
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    if launcher == "torch":
        if torch_python is None:
            raise ConfigError("the torch launcher needs --torch PYTHON")
        args = [str(torch_python), str(TORCH_SCRIPT), *train_args(cfg), "--json"]
        if cfg.random_iter:
            args.append("--random-iter")
        return args
    raise ConfigError(f"unknown launcher {launcher!r}: use one of {', '.join(LAUNCHERS)}")


def child_env(threads: Optional[int] = None) -> dict[str, str]:
    """The environment of a run: this package first on PYTHONPATH, so a bridge run imports the
    same djl_bridge as the bench; for every launcher the OpenMP variables a bridge run would
    have (``jvm.openmp_env``: ``threads``, else ``$OMP_NUM_THREADS``, else one per CPU), so that
    plain java (which cannot set them for itself) and PyTorch run with the same threads; with
    ``threads``, also ``MKL_NUM_THREADS``."""
    root = str(Path(__file__).resolve().parent.parent.parent)
    old = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": root + (os.pathsep + old if old else "")}
    env.update(jvm.openmp_env(threads))
    if threads is not None:
        env.update(MKL_NUM_THREADS=str(threads))
    return env


def check_torch(python: Optional[Path]) -> None:
    """Raises :class:`BenchError` unless ``python`` imports torch and the reference script is
    there; costs one short process."""
    if python is None:
        raise ConfigError("the torch launcher needs --torch PYTHON")
    if not TORCH_SCRIPT.is_file():
        raise BenchError(f"the PyTorch reference {TORCH_SCRIPT} is missing: run the bench from a "
                         "djl_bridge checkout, which has benchmarks/")
    try:
        proc = subprocess.run([str(python), "-c", "import torch, numpy"], capture_output=True,
                              text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"--torch {python} could not be run ({exc}): give the python of a venv "
                         "with PyTorch") from None
    if proc.returncode != 0:
        raise BenchError(f"--torch {python} cannot import torch and numpy ({error_line(proc.stderr)}): "
                         f"install them with `{Path(python).parent / 'pip'} install torch numpy`")


def error_line(stderr: str) -> str:
    """The one line of a failed run's stderr that says what went wrong."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    prefix = "djl-bridge: error:"
    hits = [ln for ln in lines if ln.startswith(prefix)]
    if hits:
        return hits[-1][len(prefix):].strip()
    for marker in ("Caused by:", "Exception in thread", "ModuleNotFoundError", "ImportError"):
        hits = [ln for ln in lines if ln.startswith(marker)]
        if hits:
            return hits[-1]
    return lines[-1] if lines else "(no output on stderr)"
