"""What the ``djl-bridge`` process writes where, which signals it takes outside a run, and how it
ends. The command line's business only: a library call changes none of this.

* **stdout carries the result and nothing else.** The JVM and native code write to file
  descriptor 1 whatever Python does (``-Xlog:gc``, ``_JAVA_OPTIONS=-Xmx8m``'s warnings, a native
  library's prints), so :class:`Console` keeps a copy of the real stdout for the result and points
  descriptor 1 at stderr for the whole command. A closed stdout (``>&-``) is refused at start,
  before anything else could take descriptor 1 and receive the JVM's output; a result that cannot
  be written (``>/dev/full``) is one error line, after the run has saved its checkpoints.
* **Signals outside a run** (parsing, reading a checkpoint, the corpus, the plot, the result):
  the first SIGINT, SIGTERM or SIGHUP unwinds the command with one line and exit status 128 + the
  signal; a second one ends the process at once. During a run the run's own handlers take over
  (:class:`~djl_bridge.interrupt.StopGuard`: stop within a batch, save, then exit). SIGUSR1 never
  ends the process.
* **The end.** Once the command has its exit status (:meth:`Console.settle`, which also prints
  its last line), any further signal ends the process at once with that status (output flushed
  first), and the process ends with ``os._exit`` after flushing: the JVM is not shut down
  (nothing of djl-bridge needs it, and a signal during its shutdown under JPype printed a
  traceback, ended the process by SIGINT or crashed the JVM).
"""
from __future__ import annotations

import errno
import io
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any, Callable, Optional, TextIO

from .errors import BridgeError
from .interrupt import SAVE_SIGNAL, STOP_SIGNALS, StopRequest, say, tell

#: The exit status of a reported error.
EXIT_ERROR = 1
#: The exit status when stdout's reader went away (128 + SIGPIPE), as shells report it.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


class OutputError(BridgeError):
    """stdout is closed, or the result could not be written to it."""


class Stopped(BaseException):
    """A stop signal outside a run: the command unwinds (``finally`` blocks run) and ends with
    :attr:`status`. A BaseException, so that no ``except Exception`` of the library swallows it."""

    def __init__(self, signum: int) -> None:
        self.signal_name = STOP_SIGNALS.get(signum, f"signal {signum}")
        self.status = 128 + signum
        super().__init__(self.signal_name)

    @property
    def line(self) -> str:
        what = StopRequest(self.signal_name).what
        return f"djl-bridge: {what} outside the training loop; nothing more was saved"


def write_result(text: str, kept: Optional[str] = None) -> None:
    """Prints the result on stdout and flushes it. A failed write (a full device, an I/O error)
    raises :class:`OutputError` saying where the run's checkpoint is (``kept``); a reader that
    went away raises ``BrokenPipeError`` as it is."""
    stream = sys.stdout
    if stream is None:
        raise OutputError(closed_stdout_message())
    try:
        stream.write(text + "\n")
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(failed_write_message(exc, kept)) from None


def closed_stdout_message() -> str:
    return ("stdout is closed, so the result cannot be printed: give djl-bridge an open stdout "
            "(>/dev/null to discard the result, >FILE to keep it)")


def failed_write_message(exc: OSError, kept: Optional[str] = None) -> str:
    reason = exc.strerror or str(exc)
    fix = ("free space there, or redirect stdout to a file system with room"
           if exc.errno in (errno.ENOSPC, errno.EDQUOT) else
           "redirect stdout to a file or a pipe that can be written")
    where = (f"; the run's last checkpoint is in {kept}" if kept else "")
    return f"could not write the result to stdout ({reason}): {fix}{where}"


class Console:
    """The ``djl-bridge`` process's stdout and signals around ``work`` (:meth:`run`).

    ``process``: this is the program itself (``djl-bridge``, ``python -m djl_bridge.cli``): the
    process ends in :meth:`run` with ``os._exit``. Otherwise (``cli.main(argv)`` called from
    Python, e.g. a test) everything taken is given back and :meth:`run` returns the status."""

    def __init__(self, process: bool) -> None:
        self.process = process
        #: The exit status, once known.
        self.status: Optional[int] = None
        self._stopping = False
        self._settling = False  # the last line is being printed: a signal waits for it
        self._deferred = False
        self._handlers: dict[int, Any] = {}
        self._stdout: Optional[TextIO] = None  # the caller's sys.stdout, while the result's is in
        self._result_fd: Optional[int] = None

    # ------------------------------------------------------------------------------ the run

    def run(self, work: Callable[["Console"], int]) -> int:
        """Runs ``work(self)`` (it reports its own errors and returns the exit status through
        :meth:`settle`) with stdout claimed and the signals taken; ends the process
        (``process``) or returns the status."""
        status = EXIT_ERROR
        try:
            try:
                self._take_signals()
                if self.process:
                    _keep_standard_fds_taken()
                if sys.stdout is None:
                    status = self.settle(EXIT_ERROR,
                                         f"djl-bridge: error: {closed_stdout_message()}")
                else:
                    self._claim_stdout()
                    status = work(self)
            except Stopped as stop:
                status = self.settle(stop.status, stop.line)
        except Stopped as stop:  # the one Stopped, raised while a fault above was handled
            status = self.settle(stop.status, stop.line)
        status = self.settle(status)
        status = self._flush(status)
        if self.process:
            os._exit(status)
        self._release()
        return status

    def settle(self, status: int, line: Optional[str] = None) -> int:
        """Fixes the exit status (the first one settled stays) and prints the command's last
        line; from here on a signal ends the process with that status."""
        if self.status is not None:
            return self.status
        self._settling = True
        self.status = status
        if line is not None:
            say(line)
        self._settling = False
        if self._deferred and self.process:
            self._end()
        return status

    def _end(self) -> None:
        assert self.status is not None
        os._exit(self._flush(self.status))

    # --------------------------------------------------------------------------------- stdout

    def _claim_stdout(self) -> None:
        """The result goes to a copy of descriptor 1; descriptor 1 itself to stderr."""
        try:
            fd = sys.stdout.fileno()
        except (AttributeError, ValueError, io.UnsupportedOperation):
            return  # not a real descriptor (a caller's StringIO, pytest's capture): leave it
        if fd != 1:
            return
        sys.stdout.flush()
        self._result_fd = os.dup(1)  # not inherited by child processes
        os.dup2(2, 1)
        old = sys.stdout
        self._stdout = old
        sys.stdout = open(self._result_fd, "w", encoding=old.encoding, errors=old.errors,
                          buffering=1 if getattr(old, "line_buffering", False) else -1,
                          closefd=False)

    def _flush(self, status: int) -> int:
        """Flushes what the command printed (doctor's and parity's tables go through here);
        a write that fails now is one line and status 1, a reader gone is status 141."""
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except BrokenPipeError:
            return EXIT_BROKEN_PIPE
        except OSError as exc:
            if status == 0:
                say(f"djl-bridge: error: {failed_write_message(exc)}")
                return EXIT_ERROR
        finally:
            try:
                sys.stderr.flush()
            except Exception:  # noqa: BLE001 - a closed terminal: nothing more can be said
                pass
        return status

    def _release(self) -> None:
        """Gives back descriptor 1, ``sys.stdout`` and the signal handlers (not ``process``)."""
        if self._result_fd is not None:
            claimed = sys.stdout
            sys.stdout = self._stdout
            try:
                claimed.close()
            except OSError:
                pass
            os.dup2(self._result_fd, 1)
            os.close(self._result_fd)
            self._result_fd = None
        while self._handlers:
            num, previous = self._handlers.popitem()
            signal.signal(num, previous if previous is not None else signal.SIG_DFL)

    # -------------------------------------------------------------------------------- signals

    def _take_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            for num in (*STOP_SIGNALS, SAVE_SIGNAL):
                if signal.getsignal(num) is not signal.SIG_IGN:  # ignored (nohup): stays so
                    self._handlers[num] = signal.signal(num, self._handle)

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        if signum == SAVE_SIGNAL:
            tell("SIGUSR1: no epoch is being trained, so there is nothing to save")
            return
        if self._settling:  # the last line is being printed: end right after it
            self._deferred = True
            return
        if self.status is not None:  # the status is known: end with it now
            if self.process:
                self._end()
            return
        if self._stopping:  # a second signal while the first one unwinds the command
            name = STOP_SIGNALS.get(signum, f"signal {signum}")
            tell(f"{name} again: exiting at once")
            if self.process:
                os._exit(128 + signum)
            return
        self._stopping = True
        raise Stopped(signum)


def _keep_standard_fds_taken() -> None:
    """Points a closed descriptor 0 or 2 at /dev/null, so that no file opened later (a
    checkpoint, a log) becomes the JVM's stdin or stderr."""
    for fd in (0, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
