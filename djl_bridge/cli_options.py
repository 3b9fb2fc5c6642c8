"""The flags and checks several subcommands of ``djl-bridge`` share (:mod:`djl_bridge.cli`
assembles the parser): the corpus and run options, ``--threads``, which config flags were given,
and the ``--plot`` target checked before training."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Optional, Sequence

from .config import DEVICES, TrainConfig
from .paths import cli_path
from .resume import RESUME_FIELDS


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=cli_path, default=None,
                   help="timemachine.txt (default: $DJL_BRIDGE_DATA, the cache, then a download)")
    p.add_argument("--no-verify-data", action="store_true", default=None,
                   help="accept a corpus whose SHA-1 differs (another text, on purpose)")


def add_run_options(p: argparse.ArgumentParser) -> None:
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
    add_data_options(p)


def add_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="pin MXNet's OpenMP threads to N (default: $OMP_NUM_THREADS, pinned, "
                        "else at most one per CPU, fewer while other processes keep CPUs busy)")


#: Every TrainConfig field a flag of `train` sets (data and verify_data are handled apart).
CONFIG_FLAGS = RESUME_FIELDS


def given_flags(args: argparse.Namespace,
                names: Sequence[str] = CONFIG_FLAGS) -> dict[str, Any]:
    """The config flags given on the command line (even when equal to their defaults)."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def check_plot(path: Optional[Path]) -> None:
    """Proves the plot file writable and matplotlib present before any training (the checkpoint
    directory is checked by ``RunOptions.validate``)."""
    if path is not None:
        from .plot import check_target, require_matplotlib

        check_target(path)
        require_matplotlib("--plot")
