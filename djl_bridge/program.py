"""The ``djl-bridge`` program (pyproject's script, ``python -m djl_bridge``): it takes the
signals first (:mod:`djl_bridge.early`), then imports the command line. ``import djl_bridge``
imports nothing (the package's names load when first used), so the window before these handlers
is the interpreter's own start-up.
"""
from __future__ import annotations

import sys

from .early import take_signals


def main() -> int:
    """The program: the signals, then :func:`djl_bridge.cli.main`."""
    take_signals()
    from .cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
