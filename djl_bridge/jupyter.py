"""Jupyter: whether this process is a notebook kernel, showing and replacing an output there,
and the small HTML tables results and checkpoints show as. Nothing here imports IPython unless
the process already did (a kernel always has), so a plain script pays nothing."""
from __future__ import annotations

import html
import sys
from typing import Any, Iterable, Optional, Sequence


def _shell() -> Optional[Any]:
    """The running IPython shell, or None (IPython not imported, or no shell)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    try:
        return ipython.get_ipython()
    except Exception:  # noqa: BLE001 - an odd IPython: behave as outside a notebook
        return None


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (JupyterLab, Notebook, VS Code...), as tqdm
    decides: an IPython shell started by ``IPKernelApp``. The terminal IPython is not one."""
    shell = _shell()
    try:
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # noqa: BLE001
        return False


class Output:
    """One output of the running cell that can be replaced in place (a display handle): a
    progress line or a figure that redraws instead of piling up."""

    def __init__(self, first: Any) -> None:
        from IPython.display import display

        self._handle = display(first, display_id=True)

    def update(self, obj: Any) -> None:
        """Replaces what this output shows."""
        self._handle.update(obj)


def png(data: bytes) -> Any:
    """A PNG image for :class:`Output`."""
    from IPython.display import Image

    return Image(data=data, format="png")


def text(line: str) -> Any:
    """Plain text for :class:`Output` (shown as is, not as a quoted repr)."""
    from IPython.display import Pretty

    return Pretty(line)


def html_table(caption: str, rows: Iterable[tuple[str, Any]],
               lines: Sequence[tuple[str, str]] = ()) -> str:
    """A two-column HTML table: ``rows`` of (name, value), then ``lines`` of (name, text) shown
    in a monospace font (predictions); every value escaped."""
    cells = [f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
             f"<td style='text-align:left'>{html.escape(str(value))}</td></tr>"
             for name, value in rows]
    cells += [f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
              f"<td style='text-align:left'><code>{html.escape(value)}</code></td></tr>"
              for name, value in lines]
    return (f"<table><caption style='text-align:left'>{html.escape(caption)}</caption>"
            + "".join(cells) + "</table>")
