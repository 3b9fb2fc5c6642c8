"""The ``djl-bridge`` command. Each subcommand is an ``_add_X(sub)`` that registers its parser
and sets ``func``; ``build_parser`` lists them. The options several subcommands share are in
:mod:`djl_bridge.cli_options`, the sequence-to-sequence parts (``train --section 9.5/9.6/9.7``,
``translate``) in :mod:`djl_bridge.cli_seq2seq`, ``parity``, ``doctor`` and ``notebooks`` in
:mod:`djl_bridge.cli_tools`."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from typing import Callable, Optional, Sequence, TypeVar

if __name__ == "__main__":  # `python -m djl_bridge.cli`: the signals before the imports below
    from .early import take_signals

    take_signals()

from .checkpoint import Checkpoint
# The options several subcommands share, under the names this module's commands use.
from .cli_options import (
    add_run_options as _add_run_options,
    add_threads_option as _add_threads_option,
    check_plot as _check_plot,
    given_flags as _given,
)
from .cli_seq2seq import (add_seq2seq_train_options, add_translate, show_section,
                          train_seq2seq_command)
from .cli_tools import add_doctor, add_notebooks, add_parity
from .config import CLI_NAMES, DEVICES, IMPLS, MODELS, SECTION_NAMES, TrainConfig, find_section
from .console import EXIT_BROKEN_PIPE, EXIT_ERROR, Console, write_result
from .errors import BridgeError, ConfigError, PredictionWarning, TrainingInterruptedError
from .interrupt import EXIT_STATUS, say
from .nmt import SHOW_SECTIONS
from .paths import check_path, cli_path
from .resume import ResumePlan, plan_resume
from .seq2seq_config import ONLY_HERE as SEQ2SEQ_ONLY, SECTION as SEQ2SEQ_SECTION

#: The exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = EXIT_STATUS["Ctrl-C"]
#: The exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = EXIT_STATUS["SIGTERM"]
#: The exit status after SIGHUP (128 + SIGHUP): the terminal closed, the ssh session dropped.
EXIT_HANGUP = EXIT_STATUS["SIGHUP"]


def _add_train(sub: argparse._SubParsersAction) -> None:
    d = TrainConfig()
    p = sub.add_parser("train", help="train a model of D2L chapter 9 on DJL and print the result",
                       description="Train on the Java side; defaults are the Java text's.")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--section", choices=SECTION_NAMES + SHOW_SECTIONS + (SEQ2SEQ_SECTION,),
                       default=None,
                       help="the run of this section of the text (9.3: the 2-layer concise LSTM at "
                            "lr 2; 9.4: the bidirectional one; 9.5: the English-French data set "
                            "printed; 9.7: sequence to sequence on fra.txt, --data or "
                            "$DJL_BRIDGE_FRA); other flags change it")
    p.add_argument("--model", choices=MODELS, default=None, help=f"default {d.model}")
    p.add_argument("--impl", choices=IMPLS, default=None, help=f"default {d.impl}")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"total epochs (default {d.epochs}; with --resume the new total)")
    _add_run_options(p)
    p.add_argument("--random-iter", action=argparse.BooleanOptionalAction, default=None,
                   help="random instead of sequential batches (default: sequential)")
    p.add_argument("--hybridize", action=argparse.BooleanOptionalAction, default=None,
                   help="scratch model: one cached MXNet graph per sequence (default, ~2x "
                        "faster) or, with --no-hybridize, the text's op-by-op cells")
    add_seq2seq_train_options(p)
    _add_threads_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    _add_robust_train_options(p, start)
    p.set_defaults(func=_cmd_train)


def _add_robust_train_options(p: argparse.ArgumentParser,
                              start: argparse._MutuallyExclusiveGroup) -> None:
    p.add_argument("--checkpoint-dir", type=cli_path, default=None, metavar="DIR",
                   help="save parameters, vocab, config and progress into DIR (atomically)")
    p.add_argument("--save-every", type=int, default=None, metavar="N",
                   help="checkpoint every N epochs (default 10; also at the end, on Ctrl-C, "
                        "SIGTERM and divergence)")
    start.add_argument("--resume", type=cli_path, default=None, metavar="DIR",
                   help="go on from the latest checkpoint in DIR; --epochs is the new total, "
                        "--lr/--clip/--save-every/--device given are applied, model and data "
                        "flags must match the checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="let a new run replace the checkpoints of another run in --checkpoint-dir")
    p.add_argument("--plot", type=cli_path, default=None, metavar="FILE.png",
                   help="draw the perplexity curve into FILE.png (needs the 'plot' extra)")


def _fresh_config(args: argparse.Namespace) -> TrainConfig:
    given = dict(_given(args), data=args.data, verify_data=not args.no_verify_data)
    if args.section is not None:
        return TrainConfig.for_section(args.section, CLI_NAMES, **given).validate(CLI_NAMES)
    return TrainConfig(**given).validate(CLI_NAMES)


_T = TypeVar("_T")


def _with_notes(call: Callable[[], _T]) -> _T:
    """Runs ``call``; a :class:`PredictionWarning` it issues becomes one ``djl-bridge: note:``
    line on stderr, other warnings are shown as Python shows them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PredictionWarning)
        try:
            return call()
        finally:
            for w in caught:
                if issubclass(w.category, PredictionWarning):
                    say(f"djl-bridge: note: {w.message}")
                else:
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)


def _resume_plan(args: argparse.Namespace, ckpt: Checkpoint) -> ResumePlan:
    """The library's resume rule, given the flags of the command line."""
    given = _given(args)
    if args.data is not None:
        given["data"] = args.data
    if args.no_verify_data:
        given["verify_data"] = False
    return plan_resume(ckpt, given, CLI_NAMES)


def _cmd_train(args: argparse.Namespace) -> int:
    if args.section in SHOW_SECTIONS:
        return show_section(args)
    from .checkpoint import checkpoint_root, read_checkpoint
    from .checkpoint.layout import SEQ2SEQ as SEQ2SEQ_KIND, checkpoint_kind
    from .seq2seq_config import refuse_here_only
    from .session import RunOptions, run

    from . import bridge

    if args.section == SEQ2SEQ_SECTION:
        return train_seq2seq_command(args)
    if args.resume is not None and \
            checkpoint_kind(check_path(args.resume, "--resume")) == SEQ2SEQ_KIND:
        return train_seq2seq_command(args, args.resume)
    refuse_here_only(_given(args, SEQ2SEQ_ONLY), CLI_NAMES)
    bridge.set_threads(args.threads, "--threads")
    ckpt: Optional[Checkpoint] = None
    plan: Optional[ResumePlan] = None
    if args.resume is not None:
        ckpt = read_checkpoint(check_path(args.resume, "--resume"), CLI_NAMES)
        plan = _resume_plan(args, ckpt)
        config = plan.config
    else:
        config = _fresh_config(args)
    root = args.checkpoint_dir
    if root is None and ckpt is not None:
        root = checkpoint_root(ckpt.path)
    _check_plot(args.plot)  # before RunOptions.validate creates the checkpoint directory
    options = RunOptions(checkpoint_dir=root,
                         save_every=RunOptions.save_every if args.save_every is None
                         else args.save_every,
                         overwrite=args.overwrite, hard_exit=True, names=CLI_NAMES,
                         progress=not args.json).validate()
    if ckpt is not None and ckpt.warning:
        say(f"djl-bridge: warning: {ckpt.warning}")
    if plan is not None:  # --save-every is not recorded in checkpoints: say it when given
        shown = (f"--save-every {args.save_every}",) if args.save_every is not None else ()
        say(f"djl-bridge: {plan.describe(shown)}")
    if args.section is not None:
        section = find_section(args.section)
        say(f"djl-bridge: D2L {section.number} {section.title}: {config.describe()}, lr "
            f"{config.lr:g}, {config.epochs} epochs")

    result = _with_notes(lambda: run(config, options, resume_from=ckpt))
    if args.plot is not None:
        from .plot import plot_perplexity

        plot_perplexity(result.perplexity, args.plot, config.epochs, config.describe())
    write_result(result.to_json() if args.json else result.summary(),
                 kept=result.extras.get("checkpoint"))
    return 0



def _add_bench(sub: argparse._SubParsersAction) -> None:
    from .bench import DEFAULT_EPOCHS, DEFAULT_LAUNCHERS, DEFAULT_ROUNDS, LAUNCHERS

    p = sub.add_parser("bench", help="measure tokens/s and RSS, bridge against plain java (and PyTorch), "
                                     "in interleaved rounds, each run its own process",
                       description="Train each model x impl from the bridge (Python + JPype), from plain "
                                   "`java` (djlbridge.cli.Main) and, with --torch, as the PyTorch "
                                   "reference (benchmarks/torch_ref.py), each run a fresh process, the launchers "
                                   "of a model back to back in rotating order, for --rounds rounds; "
                                   "print per launcher the median tokens/s with its min-max, s/epoch, "
                                   "peak RSS, RSS growth, the median ratio to java with its min-max, "
                                   "and the warm-up ratios over the first 40 epochs. Defaults are the "
                                   "Java text's configuration. With --section 9.7: the seq2seq rows, "
                                   "the bridge against PyTorch (benchmarks/torch_seq2seq.py), ratios "
                                   "to torch.")
    p.add_argument("--json", action="store_true",
                   help='print {"rows": [{"model", "impl", "launcher", "tokens_per_sec", "ratio", '
                        '"ratio_min", "ratio_max", ...}...], "warmup": [...], "runs": [...]}')
    p.add_argument("--section", choices=(SEQ2SEQ_SECTION,), default=None,
                   help=f"{SEQ2SEQ_SECTION}: the seq2seq rows instead (D2L 9.7 at the text's "
                        "settings, the bridge against the book's PyTorch train_seq2seq, "
                        "benchmarks/torch_seq2seq.py; no java row; --data is fra.txt, else "
                        "$DJL_BRIDGE_FRA; --embed, --dropout, --num-examples apply)")
    p.add_argument("--epochs", type=int, default=None,
                   help=f"epochs per run (default {DEFAULT_EPOCHS}; --section 9.7: the text's 300)")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                   help="times every launcher runs every model x impl (default %(default)s)")
    p.add_argument("--models", default=None, help=f"comma list of {','.join(MODELS)} (default all)")
    p.add_argument("--impls", default=None, help="comma list of scratch,concise (default both)")
    p.add_argument("--launchers", default=None,
                   help=f"comma list of {','.join(LAUNCHERS)} (default {','.join(DEFAULT_LAUNCHERS)}, "
                        "plus torch with --torch)")
    p.add_argument("--torch", type=cli_path, default=None, metavar="PYTHON",
                   help="also run the PyTorch reference with this interpreter (one with torch "
                        "installed, e.g. a venv's bin/python)")
    p.add_argument("--threads", type=int, default=None,
                   help="OpenMP threads of every run (OMP_NUM_THREADS, MKL_NUM_THREADS; default: "
                        "$OMP_NUM_THREADS, else one per CPU, for every launcher, as train). 1 keeps "
                        "runs comparable on a machine shared with other work")
    _add_run_options(p)
    for flag, meta in (("--embed", "N"), ("--dropout", None), ("--num-examples", "N")):
        p.add_argument(flag, type=float if flag == "--dropout" else int, default=None, metavar=meta,
                       help="--section 9.7 only, as for train")
    p.add_argument("--timeout", type=float, default=None, help="seconds allowed per run (default: no limit)")
    p.add_argument("--save", type=cli_path, default=None, metavar="FILE.json",
                   help="after every run, write the --json document of the runs so far to FILE "
                        "(atomically), so a stopped bench keeps its measurements")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import (DEFAULT_EPOCHS, DEFAULT_LAUNCHERS, LAUNCHERS, BenchConfig, format_table,
                        parse_list, run_bench, summarize, to_json, warmup)
    from .seq2seq_config import refuse_here_only

    if args.section == SEQ2SEQ_SECTION:
        return _cmd_bench_seq2seq(args)
    refuse_here_only(_given(args, SEQ2SEQ_ONLY), CLI_NAMES)
    train = TrainConfig(
        epochs=DEFAULT_EPOCHS if args.epochs is None else args.epochs, data=args.data,
        verify_data=not args.no_verify_data,
        **_given(args, ("lr", "clip", "hidden", "layers", "bidirectional", "batch_size",
                        "num_steps", "max_tokens", "seed", "device")),
    )
    if args.launchers is not None:
        launchers = parse_list(args.launchers, LAUNCHERS, "--launchers")
    else:
        launchers = DEFAULT_LAUNCHERS + (("torch",) if args.torch is not None else ())
    config = BenchConfig(
        models=parse_list(args.models or ",".join(MODELS), MODELS, "--models"),
        impls=parse_list(args.impls or ",".join(IMPLS), IMPLS, "--impls"),
        launchers=launchers, train=train, rounds=args.rounds, timeout=args.timeout,
        torch_python=args.torch, threads=args.threads,
    )
    runs = run_bench(config, progress=lambda line: print(f"bench: {line}", file=sys.stderr, flush=True),
                     save=args.save)
    print(to_json(runs) if args.json else format_table(summarize(runs), warmup(runs)))
    return 0


def _cmd_bench_seq2seq(args: argparse.Namespace) -> int:
    """``bench --section 9.7``: the seq2seq rows, the bridge against PyTorch."""
    from .bench import (LAUNCHERS, SEQ2SEQ_BASELINE, Seq2SeqBenchConfig, format_seq2seq,
                        parse_list, run_seq2seq_bench, to_json)
    from .seq2seq_config import from_given

    for name in ("models", "impls"):
        if getattr(args, name) is not None:
            raise ConfigError(f"--{name} does not apply to --section {SEQ2SEQ_SECTION} (the model "
                              "is the GRU encoder-decoder)")
    given = _given(args, ("epochs", "lr", "clip", "hidden", "layers", "bidirectional", "batch_size",
                          "num_steps", "max_tokens", "seed", "device", *SEQ2SEQ_ONLY))
    if args.data is not None:
        given["data"] = args.data
    if args.no_verify_data:
        given["verify_data"] = False
    if args.launchers is not None:
        launchers = parse_list(args.launchers, LAUNCHERS, "--launchers")
    else:
        launchers = ("bridge",) + (("torch",) if args.torch is not None else ())
    config = Seq2SeqBenchConfig(train=from_given(given, CLI_NAMES), launchers=launchers,
                                rounds=args.rounds, timeout=args.timeout,
                                torch_python=args.torch, threads=args.threads)
    runs = run_seq2seq_bench(config, save=args.save,
                             progress=lambda line: print(f"bench: {line}", file=sys.stderr,
                                                         flush=True))
    print(to_json(runs, SEQ2SEQ_BASELINE) if args.json else format_seq2seq(runs))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``djl-bridge``."""
    parser = argparse.ArgumentParser(
        prog="djl-bridge",
        description="Run, check and measure the D2L RNN chapters on DJL + MXNet from Python.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    add_parity(sub)
    _add_predict(sub)
    add_translate(sub)
    add_doctor(sub)
    _add_bench(sub)
    add_notebooks(sub)
    return parser


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="generate text with the model of a checkpoint",
                       description="Greedy generation after a prefix, as the text's predictCh8.")
    p.add_argument("--checkpoint", type=cli_path, required=True, metavar="DIR",
                   help="a --checkpoint-dir of `djl-bridge train` (its latest checkpoint is used)")
    p.add_argument("--prefix", default="time traveller")
    p.add_argument("--num-preds", type=int, default=50)
    p.add_argument("--device", choices=DEVICES, default="cpu")
    _add_threads_option(p)
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_predict)


def _cmd_predict(args: argparse.Namespace) -> int:
    from .session import predict

    if args.threads is not None:
        from . import bridge
        bridge.set_threads(args.threads, "--threads")
    write_result(_with_notes(lambda: predict(args.checkpoint, args.prefix, args.num_preds,
                                             args.device, hard_exit=True, names=CLI_NAMES)))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; the exit status: 0, 1 on a reported error (one line on stderr), 2 for usage
    errors, 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP, 141 when stdout's reader went
    away. Called without ``argv`` it is the program (``djl-bridge``): stdout carries only the
    result, and the process ends here (:class:`~djl_bridge.console.Console`); called with
    ``argv`` from Python it returns the status and gives back what it took."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return Console(process=argv is None).run(lambda console: _command(args, console))


def _command(args: argparse.Namespace, console: Console) -> int:
    """Runs the subcommand; every fault becomes one line on stderr and an exit status, settled
    with ``console`` as the line is printed."""
    debug = bool(getattr(args, "debug", False))
    try:
        return console.settle(int(args.func(args)))
    except BridgeError as exc:
        if debug and exc.java_trace:
            say(exc.java_trace)
        if isinstance(exc, TrainingInterruptedError):
            return console.settle(int(getattr(exc, "exit_status", EXIT_INTERRUPTED)),
                                  f"djl-bridge: {exc}")
        return console.settle(EXIT_ERROR, f"djl-bridge: error: {exc}")
    except KeyboardInterrupt:  # raised by code of a library the command calls, not by a signal
        return console.settle(EXIT_INTERRUPTED, "djl-bridge: interrupted (Ctrl-C) outside the "
                              "training loop; nothing more was saved")
    except BrokenPipeError:
        # The reader of stdout went away (`djl-bridge train --json | head`): end quietly, as
        # command-line tools do on SIGPIPE, without a second error while Python flushes stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return console.settle(EXIT_BROKEN_PIPE)
    except Exception as exc:  # noqa: BLE001 - the last net: one line, never a traceback
        from . import bridge

        if bridge.is_java_exception(exc):
            err = bridge.translate(exc, CLI_NAMES)
            if debug:
                say(err.java_trace)
            return console.settle(EXIT_ERROR, f"djl-bridge: error: {err}")
        if debug:
            traceback.print_exc()
        return console.settle(EXIT_ERROR, f"djl-bridge: error: internal error "
                              f"({type(exc).__name__}: {exc}): rerun with --debug for the "
                              "traceback and report it")


if __name__ == "__main__":
    sys.exit(main())
