"""``djl-bridge bench``: the same training measured from several launchers, each run its own
process, repeated in interleaved rounds.

For every model x impl the trainer runs through the bridge (``python3 -m djl_bridge.cli train
--json``: Python hosts the JVM through JPype), from plain ``java`` (the Java side's main class with
``--json``, same JVM options, same classpath, no Python) and, when asked, as the PyTorch reference
(``benchmarks/torch_ref.py`` run by another interpreter that has ``torch``). One round runs every
model x impl once per launcher, the launchers of one model and impl back to back; the order of
the launchers rotates from one pair and one round to the next, so that none always goes first.

Each process reports, from inside itself, its per-epoch speed, wall seconds and resident set size
and its peak resident set size (:func:`read_run_json` is the one place that reads that JSON).
Per model x impl x launcher the table gives the median over rounds and its min-max spread, and,
for every launcher but java, the per-round ratio to java's run of the same round: its median and
min-max. The warm-up section compares the per-epoch speeds of the first
:data:`WARMUP_EPOCHS` epochs, window by window.

One topic a module; this package re-exports what the CLI and the tests call:

* :mod:`.config` -- :class:`BenchConfig`, the launchers, the defaults, :class:`BenchError`.
* :mod:`.launch` -- the command line and environment of each launcher (the Java side's main
  class is :data:`djl_bridge.bridge.MAIN`; :data:`TORCH_SCRIPT`).
* :mod:`.stats` -- medians, spreads, ratios, RSS growth, on plain numbers.
* :mod:`.results` -- :class:`RunResult` and :func:`read_run_json`.
* :mod:`.summary` -- :class:`BenchRow`, :class:`WarmupRow`, :func:`summarize`, :func:`warmup`.
* :mod:`.output` -- the text table, the ``--json`` document, ``--save``.
* :mod:`.rounds` -- the schedule, one run, the whole bench.
* :mod:`.seq2seq` -- the seq2seq rows (``--section 9.7``): the bridge against the book's PyTorch
  ``train_seq2seq`` (``benchmarks/torch_seq2seq.py``), baseline torch; no java launcher.
"""
from __future__ import annotations

from .config import (
    BASELINE,
    DEFAULT_EPOCHS,
    DEFAULT_LAUNCHERS,
    DEFAULT_ROUNDS,
    LAUNCHERS,
    BenchConfig,
    BenchError,
    parse_list,
)
from .launch import (
    TORCH_SCRIPT,
    check_torch,
    child_env,
    command,
    error_line,
    java_executable,
    train_args,
)
from .output import format_table, to_json, write_atomically
from .results import RunResult, read_run_json
from .rounds import run_bench, run_one, run_process, schedule
from .seq2seq import (
    SEQ2SEQ_BASELINE,
    SEQ2SEQ_LAUNCHERS,
    TORCH_SEQ2SEQ_SCRIPT,
    Seq2SeqBenchConfig,
    format_seq2seq,
    run_seq2seq_bench,
    run_seq2seq_one,
    seq2seq_args,
    seq2seq_command,
)
from .stats import (
    GROWTH_FROM_EPOCH,
    WARMUP_EPOCHS,
    WARMUP_WINDOWS,
    Spread,
    growth_start_epoch,
    paired_ratios,
    rss_growth_pct,
    steady_median,
    window_median,
)
from .summary import BenchRow, WarmupRow, summarize, warmup
