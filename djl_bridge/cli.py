"""The ``djl-bridge`` command. Each subcommand is an ``_add_X(sub)`` that registers its parser
and sets ``func``; ``build_parser`` lists them."""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, TypeVar

from .checkpoint import Checkpoint
from .config import CLI_NAMES, DEVICES, IMPLS, MODELS, SECTION_NAMES, TrainConfig, find_section
from .console import EXIT_BROKEN_PIPE, EXIT_ERROR, Console, write_result
from .errors import BridgeError, ConfigError, PredictionWarning, TrainingInterruptedError
from .interrupt import EXIT_STATUS, say
from .nmt import SHOW_SECTIONS
from .resume import RESUME_FIELDS, ResumePlan, plan_resume
from .seq2seq_config import ONLY_HERE as SEQ2SEQ_ONLY, SECTION as SEQ2SEQ_SECTION

#: The exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = EXIT_STATUS["Ctrl-C"]
#: The exit status after SIGTERM (128 + SIGTERM).
EXIT_TERMINATED = EXIT_STATUS["SIGTERM"]
#: The exit status after SIGHUP (128 + SIGHUP): the terminal closed, the ssh session dropped.
EXIT_HANGUP = EXIT_STATUS["SIGHUP"]


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=None,
                   help="timemachine.txt (default: $DJL_BRIDGE_DATA, the cache, then a download)")
    p.add_argument("--no-verify-data", action="store_true", default=None,
                   help="accept a corpus whose SHA-1 differs (another text, on purpose)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The hyper-parameters, seed, device and corpus options shared by train and bench. Every
    value defaults to None ("not given"), so that a flag equal to its default is still seen as
    given (``--resume`` applies or refuses it); the defaults are TrainConfig's."""
    d = TrainConfig()
    p.add_argument("--lr", type=float, default=None, help=f"learning rate (default {d.lr})")
    p.add_argument("--clip", type=float, default=None,
                   help=f"gradient clipping threshold (default {d.clip})")
    p.add_argument("--hidden", type=int, default=None, help=f"hidden units (default {d.hidden})")
    p.add_argument("--layers", type=int, default=None, metavar="N",
                   help=f"stacked recurrent layers, D2L 9.3 (default {d.layers})")
    p.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                   help="each layer also runs backwards in time, D2L 9.4 (--impl concise only; "
                        "default: one direction)")
    p.add_argument("--batch-size", type=int, default=None, help=f"default {d.batch_size}")
    p.add_argument("--num-steps", type=int, default=None, help=f"default {d.num_steps}")
    p.add_argument("--max-tokens", type=int, default=None,
                   help=f"use the first N tokens of the corpus (default {d.max_tokens})")
    p.add_argument("--seed", type=int, default=None, help=f"default {d.seed}")
    p.add_argument("--device", choices=DEVICES, default=None, help=f"default {d.device}")
    _add_data_options(p)


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
    p.add_argument("--embed", type=int, default=None, metavar="N",
                   help="--section 9.7: embedding size (default 32)")
    p.add_argument("--dropout", type=float, default=None,
                   help="--section 9.7: dropout between GRU layers (default 0.1)")
    p.add_argument("--num-examples", type=int, default=None, metavar="N",
                   help="--section 9.7: sentence pairs read (default 600)")
    _add_threads_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    _add_robust_train_options(p, start)
    p.set_defaults(func=_cmd_train)


def _add_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="pin MXNet's OpenMP threads to N (default: $OMP_NUM_THREADS, pinned, "
                        "else at most one per CPU, fewer while other processes keep CPUs busy)")


def _add_robust_train_options(p: argparse.ArgumentParser,
                              start: argparse._MutuallyExclusiveGroup) -> None:
    p.add_argument("--checkpoint-dir", type=Path, default=None, metavar="DIR",
                   help="save parameters, vocab, config and progress into DIR (atomically)")
    p.add_argument("--save-every", type=int, default=None, metavar="N",
                   help="checkpoint every N epochs (default 10; also at the end, on Ctrl-C, "
                        "SIGTERM and divergence)")
    start.add_argument("--resume", type=Path, default=None, metavar="DIR",
                   help="go on from the latest checkpoint in DIR; --epochs is the new total, "
                        "--lr/--clip/--save-every/--device given are applied, model and data "
                        "flags must match the checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="let a new run replace the checkpoints of another run in --checkpoint-dir")
    p.add_argument("--plot", type=Path, default=None, metavar="FILE.png",
                   help="draw the perplexity curve into FILE.png (needs the 'plot' extra)")


#: Every TrainConfig field a flag of `train` sets (data and verify_data are handled apart).
_CONFIG_FLAGS = RESUME_FIELDS


def _given(args: argparse.Namespace, names: Sequence[str] = _CONFIG_FLAGS) -> dict[str, Any]:
    """The config flags given on the command line (even when equal to their defaults)."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def _fresh_config(args: argparse.Namespace) -> TrainConfig:
    given = dict(_given(args), data=args.data, verify_data=not args.no_verify_data)
    if args.section is not None:
        return TrainConfig.for_section(args.section, **given).validate(CLI_NAMES)
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
        return _cmd_show_section(args)
    from .checkpoint import checkpoint_root, read_checkpoint
    from .checkpoint.layout import SEQ2SEQ as SEQ2SEQ_KIND, checkpoint_kind
    from .seq2seq_config import refuse_here_only
    from .session import RunOptions, run

    from . import bridge

    if args.section == SEQ2SEQ_SECTION:
        return _cmd_train_seq2seq(args)
    if args.resume is not None and checkpoint_kind(args.resume) == SEQ2SEQ_KIND:
        return _cmd_train_seq2seq(args, args.resume)
    refuse_here_only(_given(args, SEQ2SEQ_ONLY), CLI_NAMES)
    bridge.set_threads(args.threads, "--threads")
    ckpt: Optional[Checkpoint] = None
    plan: Optional[ResumePlan] = None
    if args.resume is not None:
        ckpt = read_checkpoint(args.resume, CLI_NAMES)
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


def _cmd_show_section(args: argparse.Namespace) -> int:
    """``train --section 9.5``: the text's printout of the data set; 9.6 runs nothing."""
    from . import nmt

    given = [n for n in (*_CONFIG_FLAGS, *SEQ2SEQ_ONLY, "checkpoint_dir", "save_every", "plot",
                         "threads") if getattr(args, n, None) is not None]
    if given or args.overwrite:
        flag = CLI_NAMES(given[0]) if given else "--overwrite"
        raise ConfigError(f"{flag} does not apply to section {args.section} (it trains nothing:"
                          " 9.5 prints the data set, with --data, --no-verify-data and --json)")
    if args.section == "9.6":
        write_result(json.dumps({"section": "9.6", "runs": None, "note": nmt.SECTION_9_6_NOTE})
                     if args.json else nmt.SECTION_9_6_NOTE)
        return 0
    shown = nmt.section_9_5(args.data, verify=not args.no_verify_data, names=CLI_NAMES)
    write_result(shown.to_json() if args.json else shown.summary())
    return 0


def _cmd_train_seq2seq(args: argparse.Namespace, resume: Optional[Path] = None) -> int:
    """``train --section 9.7``: sequence to sequence at the text's settings, the flags given on
    top (the library refuses those that do not apply)."""
    from .plot import plot_perplexity
    from .seq2seq import check_options, train_seq2seq
    from .seq2seq_config import TITLE, from_given
    from .session import RunOptions

    from . import bridge

    given = _given(args, _CONFIG_FLAGS + SEQ2SEQ_ONLY)
    if args.data is not None:
        given["data"] = args.data
    if args.no_verify_data:
        given["verify_data"] = False
    ckpt = None
    if resume is not None:  # train --resume DIR of a sequence-to-sequence checkpoint
        from .checkpoint import checkpoint_root, read_seq2seq_checkpoint

        ckpt = read_seq2seq_checkpoint(resume, CLI_NAMES)
        given = {**ckpt.config.to_dict(), "data": ckpt.config.data, **given}
        if args.checkpoint_dir is None:
            args.checkpoint_dir = checkpoint_root(ckpt.path)
    config = from_given(given, CLI_NAMES)
    bridge.set_threads(args.threads, "--threads")
    _check_plot(args.plot)
    options = check_options(RunOptions(
        checkpoint_dir=args.checkpoint_dir, overwrite=args.overwrite, hard_exit=True,
        save_every=RunOptions.save_every if args.save_every is None else args.save_every,
        names=CLI_NAMES, progress=not args.json))
    say(f"djl-bridge: D2L {SEQ2SEQ_SECTION} {TITLE}: {config.describe()}, Adam lr "
        f"{config.lr:g}, {config.epochs} epochs"
        + (f", resumed from epoch {ckpt.epochs_done} of {ckpt.path}" if ckpt else ""))
    result = train_seq2seq(config, options, resume_from=ckpt)
    if args.plot is not None:
        plot_perplexity(result.loss, args.plot, config.epochs, config.describe(),
                        measure=result.measure)
    write_result(result.to_json() if args.json else result.summary())
    return 0


def _check_plot(path: Optional[Path]) -> None:
    """Proves the plot file writable and matplotlib present before any training (the checkpoint
    directory is checked by ``RunOptions.validate``)."""
    if path is not None:
        from .plot import check_target, require_matplotlib

        check_target(path)
        require_matplotlib("--plot")


def _add_parity(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parity", help="check the numpy twin against the Java classes, component by component",
                       description="Run every parity check on a small random setup and print a table; "
                                   "exit 1 if any check fails.")
    p.add_argument("--json", action="store_true",
                   help='print {"checks": [{"name", "max_abs_err", "max_rel_err", "tol", "ok"}...]}')
    p.add_argument("--seed", type=int, default=None, help="seed of the random setup")
    _add_data_options(p)
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_parity)


def _cmd_parity(args: argparse.Namespace) -> int:
    import json

    from .data import locate_corpus
    from .parity import ParitySetup, format_table, run_checks

    data = locate_corpus(args.data, verify_sha1=not args.no_verify_data, names=CLI_NAMES)
    setup = ParitySetup(data=data) if args.seed is None else ParitySetup(data=data, seed=args.seed)
    results = run_checks(setup)
    if args.json:
        print(json.dumps({"checks": [r.to_dict() for r in results]}))
    else:
        print(format_table(results))
        failed = [r.name for r in results if not r.ok]
        print(f"{len(results) - len(failed)}/{len(results)} checks pass"
              + (f"; failing: {', '.join(failed)}" if failed else ""))
    return 0 if all(r.ok for r in results) else 1


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
    p.add_argument("--torch", type=Path, default=None, metavar="PYTHON",
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
    p.add_argument("--save", type=Path, default=None, metavar="FILE.json",
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
    _add_parity(sub)
    _add_predict(sub)
    _add_translate(sub)
    _add_doctor(sub)
    _add_bench(sub)
    _add_notebooks(sub)
    return parser


def _add_notebooks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notebooks", help="copy the chapter's Jupyter notebooks into a directory",
                       description="Copy the notebooks (one per section, 8.5 to 9.4, with the "
                                   "outputs of a run at the text's settings) into DIR, to open "
                                   "with JupyterLab; they need `pip install 'djl-bridge[notebook]'`.")
    p.add_argument("directory", type=Path, metavar="DIR", help="created if missing")
    p.add_argument("--overwrite", action="store_true",
                   help="replace notebooks of the same names already in DIR")
    p.set_defaults(func=_cmd_notebooks)


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .notebooks import copy_to

    for path in copy_to(args.directory, args.overwrite):
        print(path)
    print(f"open them with: jupyter lab {args.directory}  (pip install 'djl-bridge[notebook]' "
          "jupyterlab)", file=sys.stderr)
    return 0


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="generate text with the model of a checkpoint",
                       description="Greedy generation after a prefix, as the text's predictCh8.")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="DIR",
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


def _add_translate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("translate", help="translate English to French with a seq2seq checkpoint",
                       description="Greedy translation, as the text's predictSeq2Seq, with the "
                                   "model of `train --section 9.7 --checkpoint-dir DIR`.")
    p.add_argument("--checkpoint", type=Path, required=True, metavar="DIR",
                   help="a --checkpoint-dir of `djl-bridge train --section 9.7` (its latest "
                        "checkpoint), or one of its epoch-N directories")
    p.add_argument("sentence", nargs="+", help='one or more sentences, e.g. "go ." "i lost ."')
    p.add_argument("--device", choices=DEVICES, default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    _add_threads_option(p)
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_translate)


def _cmd_translate(args: argparse.Namespace) -> int:
    from .translation import translations

    if args.threads is not None:
        from . import bridge
        bridge.set_threads(args.threads, "--threads")
    done = translations(args.checkpoint, args.sentence, args.device, hard_exit=True,
                        names=CLI_NAMES)
    for t in done:
        if t.unknown:
            say(f"djl-bridge: note: {', '.join(repr(w) for w in t.unknown)} of {t.sentence!r} "
                "not in the model's vocabulary: translated as <unk>")
    if args.json:
        write_result(json.dumps({"checkpoint": str(args.checkpoint),
                                 "translations": [t.to_dict() for t in done]},
                                ensure_ascii=False))
    else:
        write_result("\n".join(f"{t.source} => {t.translation}" for t in done))
    return 0


def _add_doctor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check Java, the build, DJL, the natives, GPUs and the data",
                       description="One line per check; exit status 1 with the fix when one fails.")
    p.add_argument("--data", type=Path, default=None, help="the corpus to check")
    p.add_argument("--fra", type=Path, default=None, metavar="PATH",
                   help="the English-French data to check (fra-eng.zip or its fra.txt; "
                        "default $DJL_BRIDGE_FRA)")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=_cmd_doctor)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import main as doctor_main

    return doctor_main(args.data, args.fra)


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
