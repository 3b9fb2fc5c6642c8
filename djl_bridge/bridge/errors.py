"""The one place where Java exceptions become Python ones (PySpark's captured-exception module is
the model): every call into Java runs inside :func:`java_errors`, and the CLI translates anything
that still escapes, so no Java error ever reaches a user as a traceback.

Translation is subclass-aware: each rule names a Java class, and a thrown exception matches it when
it, or any exception in its cause chain, is an instance of that class (``Class.isInstance``), so a
``MalformedInputException`` matches the rule for ``CharacterCodingException`` and an
``OutOfMemoryError`` wrapped in an ``EngineException`` still reads as out of memory. The first rule
that matches wins; the message is one line, the Java stack stays in ``JavaError.java_trace``.

Messages name settings the way the caller does (:class:`~djl_bridge.config.Names`): ``--hidden``
for the command line, ``TrainConfig.hidden`` for the Python API; the Java side's own messages,
worded in the flags of its launcher, are respelled the same way.
"""
from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, TypeVar

import jpype

from ..config import API_NAMES, Names
from ..errors import (
    BridgeError,
    ConfigError,
    DataError,
    JavaError,
    ResourceError,
    TrainingDivergedError,
    TrainingInterruptedError,
)
from . import names as N
from .names import DIVERGED, STOP_REQUESTED

#: MXNet's ways of saying that a native allocation failed.
_NATIVE_OOM = re.compile(r"bad_alloc|out of memory|failed to allocate|cannot allocate", re.I)
#: MXNet 1.9.1 is built with 32-bit tensor sizes.
_TOO_MANY_ELEMENTS = re.compile(r"\((\d+) vs\. 2147483647\).*larger than 2\^31 elements")


@dataclass(frozen=True)
class Rule:
    """A Java class and how an exception of that class (or a subclass) becomes a Python one:
    ``build(link, message, trace, names)`` gets the matching link of the cause chain, its
    one-line message (respelled in ``names``), the whole Java stack trace and the caller's
    names; it may return None to let later rules try."""

    java_class: str
    build: Callable[[Any, str, str, Names], Optional[BridgeError]]


def _diverged(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return TrainingDivergedError(message, int(link.getEpoch()), trace, DIVERGED)


def _interrupted(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return TrainingInterruptedError(message, trace, STOP_REQUESTED)


def _heap(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return ResourceError(
        f"the JVM ran out of heap memory ({message}): lower {names('max_tokens')}, "
        f"{names('hidden')}, {names('layers')} or {names('batch_size')}, or give the JVM more "
        "heap, e.g. "
        "DJL_BRIDGE_JVM_OPTIONS=-Xmx4g")


def _native_oom(link: Any, message: str, trace: str, names: Names) -> Optional[BridgeError]:
    big = _TOO_MANY_ELEMENTS.search(message)
    if big:
        return ResourceError(
            f"an array of the model is too large for MXNet 1.9.1 ({big.group(1)} elements, the "
            f"limit is 2^31 - 1 = 2147483647): lower {names('hidden')}")
    if not _NATIVE_OOM.search(message):
        return None
    return ResourceError(
        f"MXNet could not allocate memory for the model ({message}): lower {names('hidden')} "
        f"or {names('batch_size')}")


def _not_utf8(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return DataError(
        f"the corpus is not UTF-8 text ({message}): save it as UTF-8, or pass the D2L "
        f"timemachine.txt as {names('data')}")


def _no_file(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return DataError(f"file not found: {message}")


def _bad_argument(link: Any, message: str, trace: str, names: Names) -> BridgeError:
    return ConfigError(message)


#: Checked in order; the first match wins.
RULES: tuple[Rule, ...] = (
    Rule(DIVERGED, _diverged),
    Rule(STOP_REQUESTED, _interrupted),
    Rule(N.OUT_OF_MEMORY, _heap),
    Rule(N.ENGINE_EXCEPTION, _native_oom),
    Rule(N.CHARACTER_CODING, _not_utf8),
    Rule(N.NO_SUCH_FILE, _no_file),
    Rule(N.ILLEGAL_ARGUMENT, _bad_argument),
)


def one_line(text: str) -> str:
    """The first non-empty line of ``text`` (Java messages may carry a native stack)."""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip()


def cause_chain(exc: Any, limit: int = 32) -> list[Any]:
    """``exc`` and its causes, outermost first."""
    chain = [exc]
    while len(chain) < limit:
        cause = chain[-1].getCause()
        if cause is None or any(cause is c for c in chain):
            break
        chain.append(cause)
    return chain


def java_trace(exc: Any) -> str:
    """The Java stack trace of a JPype exception, as text ("" when there is none)."""
    try:
        return str(exc.stacktrace())
    except Exception:  # noqa: BLE001 - not a Java exception
        return ""


def best_message(chain: list[Any]) -> str:
    """The most telling message of a cause chain: the outermost one written by hand (not null and
    not just the cause's ``toString()``), else the root's class and message; one line."""
    for link, cause in zip(chain, chain[1:] + [None]):
        message = link.getMessage()
        if message is not None and (cause is None or str(message) != str(cause.toString())):
            return one_line(str(message))
    return one_line(str(chain[-1].toString()))


def _message_of(link: Any) -> str:
    message = link.getMessage()
    return one_line(str(message)) if message is not None else str(link.getClass().getName())


def translate(exc: Any, names: Names = API_NAMES) -> BridgeError:
    """The Python exception for a Java one (a ``jpype.JException``), its message naming
    settings as ``names`` does."""
    trace = java_trace(exc)
    chain = cause_chain(exc)
    for rule in RULES:
        try:
            cls = jpype.JClass(rule.java_class)
        except Exception:  # noqa: BLE001 - a class this classpath lacks matches nothing
            continue
        for link in chain:
            if cls.class_.isInstance(link):
                built = rule.build(link, names.respell(_message_of(link)), trace, names)
                if built is not None:
                    built.java_trace = trace  # every translated error keeps it for --debug
                    return built
    return JavaError(names.respell(best_message(chain)), str(chain[-1].getClass().getName()),
                     trace)


@contextlib.contextmanager
def java_errors(names: Names = API_NAMES) -> Iterator[None]:
    """Runs the block, turning a Java exception into the Python one :func:`translate` gives."""
    try:
        yield
    except jpype.JException as exc:
        raise translate(exc, names) from None


F = TypeVar("F", bound=Callable[..., Any])


def translated(fn: F) -> F:
    """Decorates a function that calls into Java so that it raises only Python exceptions."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with java_errors():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
