"""The seq2seq rows of the bench (``djl-bridge bench --section 9.7``, issue 24): D2L 9.7's
encoder-decoder trained through the bridge (``python3 -m djl_bridge.cli train --section 9.7
--json``) and, with ``--torch PYTHON``, by the book's PyTorch ``train_seq2seq``
(``benchmarks/torch_seq2seq.py``), each run a fresh process, at the same settings and the same
thread count, in interleaved rounds of rotating order.

Plain ``java`` (``djlbridge.cli.Main``) trains the language model only, so these rows have no
java launcher; their baseline is ``torch``: the ratio of a bridge row is its tokens/s over
PyTorch's in the same round. Tokens are the target tokens of an epoch (what the book's
``train_seq2seq`` counts), the speed of a run the median over its epochs, the first left out.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Optional

from .. import jvm
from ..config import CLI_NAMES
from ..errors import ConfigError
from ..seq2seq_config import SECTION, Seq2SeqConfig
from .config import BenchConfig, BenchError
from .launch import child_env
from .output import format_table, to_json, write_atomically
from .results import RunResult, read_run_json
from .rounds import run_process, schedule
from .summary import summarize, warmup

#: The book's PyTorch ``train_seq2seq``, run by the ``--torch`` interpreter.
TORCH_SEQ2SEQ_SCRIPT = jvm.PROJECT_ROOT / "benchmarks" / "torch_seq2seq.py"
#: The launchers of the seq2seq rows, and the one every other is divided by.
SEQ2SEQ_LAUNCHERS = ("bridge", "torch")
SEQ2SEQ_BASELINE = "torch"
#: The model and impl columns of the rows: the GRU encoder-decoder on DJL's GRU layers.
MODEL, IMPL = "seq2seq", "gru"
#: Why a seq2seq bench has no java launcher (said in the one line that refuses it).
NO_JAVA = ("plain java (djlbridge.cli.Main) trains the language model only: the seq2seq rows "
           "compare the bridge with PyTorch (--launchers bridge,torch)")


@dataclass(frozen=True)
class Seq2SeqBenchConfig:
    """What a seq2seq bench measures: the launchers (of :data:`SEQ2SEQ_LAUNCHERS`), the rounds,
    and the settings every run shares (the text's, :class:`Seq2SeqConfig`); ``threads`` and
    ``torch_python`` as in :class:`~djl_bridge.bench.BenchConfig`."""

    train: Seq2SeqConfig = field(default_factory=Seq2SeqConfig)
    launchers: tuple[str, ...] = SEQ2SEQ_LAUNCHERS
    rounds: int = 3
    timeout: Optional[float] = None
    torch_python: Optional[Path] = None
    threads: Optional[int] = None

    def validate(self) -> "Seq2SeqBenchConfig":
        """Raises :class:`ConfigError` naming the first bad value by its flag."""
        if "java" in self.launchers:
            raise ConfigError(f"--launchers java with --section {SECTION}: {NO_JAVA}")
        # The rules of the language model's bench for the flags both share.
        BenchConfig(launchers=self.launchers, rounds=self.rounds, timeout=self.timeout,
                    torch_python=self.torch_python, threads=self.threads).validate()
        self.train.validate(CLI_NAMES)
        return self


def seq2seq_args(cfg: Seq2SeqConfig) -> list[str]:
    """The options both launchers share (``train --section 9.7`` and ``torch_seq2seq.py`` spell
    them alike); ``cfg.data`` must be resolved (the PyTorch script has no default)."""
    if cfg.data is None:
        raise ConfigError("the seq2seq bench needs the English-French data: pass --data or set "
                          "$DJL_BRIDGE_FRA")
    return ["--epochs", str(cfg.epochs), "--lr", repr(float(cfg.lr)), "--embed", str(cfg.embed),
            "--hidden", str(cfg.hidden), "--layers", str(cfg.layers),
            "--dropout", repr(float(cfg.dropout)), "--batch-size", str(cfg.batch_size),
            "--num-steps", str(cfg.num_steps), "--num-examples", str(cfg.num_examples),
            "--seed", str(cfg.seed), "--data", str(cfg.data)]


def seq2seq_command(launcher: str, cfg: Seq2SeqConfig, torch_python: Optional[Path] = None,
                    threads: Optional[int] = None) -> list[str]:
    """The command line of one measured seq2seq run. ``threads`` goes to both as ``--threads``
    (the environment carries it too, see :func:`child_env`). PyTorch runs on the CPU unless
    ``cfg.device`` is ``gpu``."""
    pin = ["--threads", str(threads)] if threads is not None else []
    if launcher == "bridge":
        args = [sys.executable, "-m", "djl_bridge.cli", "train", "--section", SECTION,
                *seq2seq_args(cfg), "--device", cfg.device, *pin, "--json"]
        return args + ([] if cfg.verify_data else ["--no-verify-data"])
    if launcher == "torch":
        if torch_python is None:
            raise ConfigError("the torch launcher needs --torch PYTHON")
        return [str(torch_python), str(TORCH_SEQ2SEQ_SCRIPT), *seq2seq_args(cfg),
                "--device", "gpu" if cfg.device == "gpu" else "cpu", *pin, "--json"]
    if launcher == "java":
        raise ConfigError(NO_JAVA)
    raise ConfigError(f"unknown launcher {launcher!r}: use one of {', '.join(SEQ2SEQ_LAUNCHERS)}")


def run_seq2seq_one(launcher: str, cfg: Seq2SeqConfig, timeout: Optional[float] = None,
                    round_no: int = 1, torch_python: Optional[Path] = None,
                    threads: Optional[int] = None) -> RunResult:
    """Runs one seq2seq training in a fresh process and returns its result."""
    out, seconds, cpu = run_process(seq2seq_command(launcher, cfg, torch_python, threads),
                                    child_env(threads), f"the {launcher} run of {MODEL}", timeout)
    return replace(read_run_json(MODEL, IMPL, launcher, out, round_no, seconds), cpu_seconds=cpu)


def run_seq2seq_bench(config: Seq2SeqBenchConfig,
                      progress: Optional[Callable[[str], None]] = None,
                      save: Optional[Path] = None) -> list[RunResult]:
    """Measures every launcher ``config.rounds`` times, the order rotating from round to round
    (:func:`schedule`); with ``save``, the ``--json`` document (baseline torch) is written there
    after every run. Summarize with ``summarize(runs, SEQ2SEQ_BASELINE)``."""
    from ..seq2seq import prepare  # validates, finds and checks the data; no JVM
    from .launch import check_torch

    config.validate()
    if save is not None and not save.parent.is_dir():
        raise ConfigError(f"--save {save}: the directory {save.parent} does not exist")
    cfg = prepare(config.train, CLI_NAMES)
    if "bridge" in config.launchers:
        jvm.find_classpath()  # a missing Java build, said before the first run
    if "torch" in config.launchers:
        if not TORCH_SEQ2SEQ_SCRIPT.is_file():
            raise BenchError(f"the PyTorch reference {TORCH_SEQ2SEQ_SCRIPT} is missing: run the "
                             "bench from a djl_bridge checkout, which has benchmarks/")
        check_torch(config.torch_python)
    plan = schedule([(MODEL, IMPL)], config.launchers, config.rounds)
    runs: list[RunResult] = []
    for k, (round_no, _, _, launcher) in enumerate(plan, 1):
        run = run_seq2seq_one(launcher, cfg, config.timeout, round_no, config.torch_python,
                              config.threads)
        runs.append(run)
        if save is not None:
            write_atomically(save, to_json(runs, SEQ2SEQ_BASELINE))
        if progress is not None:
            progress(f"[{k}/{len(plan)}] round {round_no}/{config.rounds} {MODEL} {launcher}: "
                     f"{run.tokens_per_sec:,.0f} tokens/s, {run.sec_per_epoch:.3f} s/epoch, "
                     f"loss {run.final_loss:.4f}, peak RSS {run.peak_rss_mb:.0f} MB "
                     f"({run.process_seconds:.1f} s, {run.cpu_seconds:.1f} CPU s)")
    return runs


def format_seq2seq(runs: list[RunResult]) -> str:
    """The seq2seq table (ratios to torch), the warm-up table, and the line that says why there
    is no java row."""
    return (format_table(summarize(runs, SEQ2SEQ_BASELINE), warmup(runs, SEQ2SEQ_BASELINE),
                         SEQ2SEQ_BASELINE) + f"\n\nno java row: {NO_JAVA}")
