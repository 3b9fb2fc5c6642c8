"""The sequence-to-sequence parts of ``djl-bridge`` (D2L 9.5 to 9.7): ``train --section 9.5``
(the data set printed) and ``9.6`` (a note), ``train --section 9.7`` (and ``--resume`` of its
checkpoints), and the ``translate`` subcommand. They parse and print; the rules are the library's
(:mod:`djl_bridge.seq2seq`, :mod:`djl_bridge.nmt`, :mod:`djl_bridge.translation`)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Optional

from .cli_options import CONFIG_FLAGS, add_threads_option, check_plot, given_flags
from .config import CLI_NAMES, DEVICES
from .console import write_result
from .errors import ConfigError
from .interrupt import say
from .paths import cli_path
from .seq2seq_config import ONLY_HERE as SEQ2SEQ_ONLY, SECTION as SEQ2SEQ_SECTION


def add_seq2seq_train_options(p: argparse.ArgumentParser) -> None:
    """The flags of ``train`` that only ``--section 9.7`` takes (the library refuses them
    elsewhere)."""
    p.add_argument("--embed", type=int, default=None, metavar="N",
                   help="--section 9.7: embedding size (default 32)")
    p.add_argument("--dropout", type=float, default=None,
                   help="--section 9.7: dropout between GRU layers (default 0.1)")
    p.add_argument("--num-examples", type=int, default=None, metavar="N",
                   help="--section 9.7: sentence pairs read (default 600)")


def show_section(args: argparse.Namespace) -> int:
    """``train --section 9.5``: the text's printout of the data set; 9.6 runs nothing."""
    from . import nmt

    given = [n for n in (*CONFIG_FLAGS, *SEQ2SEQ_ONLY, "checkpoint_dir", "save_every", "plot",
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


def train_seq2seq_command(args: argparse.Namespace, resume: Optional[Path] = None) -> int:
    """``train --section 9.7``: sequence to sequence at the text's settings, the flags given on
    top (the library refuses those that do not apply)."""
    from .plot import plot_perplexity
    from .seq2seq import check_options, train_seq2seq
    from .seq2seq_config import TITLE, from_given
    from .session import RunOptions

    from . import bridge

    given = given_flags(args, CONFIG_FLAGS + SEQ2SEQ_ONLY)
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
    check_plot(args.plot)
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


def add_translate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("translate", help="translate English to French with a seq2seq checkpoint",
                       description="Greedy translation, as the text's predictSeq2Seq, with the "
                                   "model of `train --section 9.7 --checkpoint-dir DIR`.")
    p.add_argument("--checkpoint", type=cli_path, required=True, metavar="DIR",
                   help="a --checkpoint-dir of `djl-bridge train --section 9.7` (its latest "
                        "checkpoint), or one of its epoch-N directories")
    p.add_argument("sentence", nargs="+", help='one or more sentences, e.g. "go ." "i lost ."')
    p.add_argument("--device", choices=DEVICES, default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    add_threads_option(p)
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=translate_command)


def translate_command(args: argparse.Namespace) -> int:
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
