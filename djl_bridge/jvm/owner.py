"""Which process the JVM belongs to. A JVM cannot follow a fork: the child of ``os.fork`` (and of
multiprocessing's default 'fork' start method on Linux) has a copy of the JVM's memory but none of
its threads, and the JVM's locks held by those threads (HotSpot's ``ThreadCritical``) stay taken
forever: a bridge call in the child hung, deaf to SIGTERM. The pid of the process that started
the JVM is recorded, and every start in another process is one line that names the fix.
"""
from __future__ import annotations

import os
from typing import Optional

from ..errors import JvmConflictError

#: The pid of the process whose JVM runs (None: no JVM seen yet).
_owner: Optional[int] = None


def mark_started() -> None:
    """Records this process as the one whose JVM runs (after a start, or on finding one)."""
    global _owner
    if _owner is None:
        _owner = os.getpid()


def before_fork(jvm_started: bool) -> None:
    """Called in the parent just before ``os.fork``: a JVM started by anyone is this process's."""
    if jvm_started:
        mark_started()


def check_process() -> None:
    """Raises :class:`JvmConflictError` in a process forked from the one whose JVM runs."""
    if _owner is not None and _owner != os.getpid():
        raise JvmConflictError(
            f"this process was forked from process {_owner}, whose JVM runs, and a JVM cannot "
            "follow a fork (its threads and locks stay in the parent): start child processes "
            "with multiprocessing's 'spawn' or 'forkserver' method "
            "(multiprocessing.get_context('spawn')), or start djl_bridge only in the children")
