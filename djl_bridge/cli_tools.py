"""The subcommands of ``djl-bridge`` that check and copy rather than train: ``parity`` (the numpy
twin against the Java classes), ``doctor`` (the installation's checks) and ``notebooks`` (the
chapter's notebooks copied). They parse and print; :mod:`djl_bridge.cli` lists them."""
from __future__ import annotations

import argparse

from .cli_options import add_data_options
from .config import CLI_NAMES
from .interrupt import say
from .paths import cli_path, shown


def add_parity(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parity", help="check the numpy twin against the Java classes, component by component",
                       description="Run every parity check on a small random setup and print a table; "
                                   "exit 1 if any check fails.")
    p.add_argument("--json", action="store_true",
                   help='print {"checks": [{"name", "max_abs_err", "max_rel_err", "tol", "ok"}...]}')
    p.add_argument("--seed", type=int, default=None, help="seed of the random setup")
    add_data_options(p)
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=parity_command)


def parity_command(args: argparse.Namespace) -> int:
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


def add_doctor(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check Java, the build, DJL, the natives, GPUs and the data",
                       description="One line per check; exit status 1 with the fix when one fails.")
    p.add_argument("--data", type=cli_path, default=None, help="the corpus to check")
    p.add_argument("--fra", type=cli_path, default=None, metavar="PATH",
                   help="the English-French data to check (fra-eng.zip or its fra.txt; "
                        "default $DJL_BRIDGE_FRA)")
    p.add_argument("--debug", action="store_true", help="show Java stack traces")
    p.set_defaults(func=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:
    from .doctor import main as doctor_main

    return doctor_main(args.data, args.fra)


def add_notebooks(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notebooks", help="copy the chapter's Jupyter notebooks into a directory",
                       description="Copy the notebooks (one per section, 8.5 to 9.4, with the "
                                   "outputs of a run at the text's settings) into DIR, to open "
                                   "with JupyterLab; they need `pip install 'djl-bridge[notebook]'`.")
    p.add_argument("directory", type=cli_path, metavar="DIR", help="created if missing")
    p.add_argument("--overwrite", action="store_true",
                   help="replace notebooks of the same names already in DIR")
    p.set_defaults(func=notebooks_command)


def notebooks_command(args: argparse.Namespace) -> int:
    from .notebooks import copy_to

    for path in copy_to(args.directory, args.overwrite):
        print(shown(path))
    say(f"open them with: jupyter lab {args.directory}  (pip install 'djl-bridge[notebook]' "
        "jupyterlab)")
    return 0
