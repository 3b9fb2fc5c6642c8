#!/usr/bin/env python3
"""Runs the chapter's notebooks top to bottom at their own settings (the text's) in a real
Jupyter kernel, as ``jupyter execute`` does, and prints per notebook the wall time and what each
training cell showed (perplexity, tokens/s); with ``--inplace`` the executed notebooks, outputs
included, replace the files (how the saved outputs of ``notebooks/`` are made).

    python3 benchmarks/notebooks.py                    # all notebooks, into a temporary folder
    python3 benchmarks/notebooks.py --inplace notebooks/9.1-gru.ipynb

Needs ``pip install -e '.[test,notebook]'`` (nbclient, ipykernel). Each notebook runs in its own
kernel, one after another; the kernel's working directory is a temporary folder, so checkpoints
land there. On a machine shared with other work the times drift by ±30% and more: compare
runs made back to back.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What a training cell prints (the text's trainCh8) or shows (the Pythonic API's progress line).
SHOWN = re.compile(r"perplexity: [\d.]+, [\d.]+ tokens/sec on \S+|"
                   r"epoch \d+/\d+  perplexity [\d.]+  [\d,]+ tokens/s")


def run(path: Path, out: Path, work: Path) -> tuple[float, list[str]]:
    """Executes ``path`` with ``work`` as the kernel's directory and writes it to ``out``;
    returns the wall seconds and what its training cells showed."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    start = time.monotonic()
    # No widget state is stored: the progress widgets end as plain lines (nbclient would keep
    # the state of closed widgets).
    nbclient.NotebookClient(nb, timeout=None, kernel_name="python3", store_widget_state=False,
                            resources={"metadata": {"path": str(work)}}).execute()
    seconds = time.monotonic() - start
    nbformat.write(nb, out)
    shown = []
    for cell in nb.cells:
        text = json.dumps(cell.get("outputs", [])).replace("\\n", "\n")
        shown += SHOWN.findall(text)
    return seconds, shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every notebooks/*.ipynb, in order")
    parser.add_argument("--inplace", action="store_true",
                        help="write the executed notebooks over the files")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="djl-bridge-notebooks.") as tmp:
        for path in paths:
            work = Path(tmp) / path.stem
            work.mkdir()
            out = path if args.inplace else work / path.name
            seconds, shown = run(path, work / path.name, work)
            if args.inplace:
                shutil.copyfile(work / path.name, out)
            print(f"{path.name}: {seconds:,.0f} s", flush=True)
            for line in shown:
                print(f"    {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
