"""The one reader of the JSON djl-bridge reads (a checkpoint's ``checkpoint.json`` with its config
and manifest, its ``vocab.json``, a lock file, a run's report, a bench child's result line): at
most a given size, at most :data:`MAX_DEPTH` levels of nesting, strict JSON (no ``NaN`` or
``Infinity``), UTF-8. Whatever the bytes, it returns a value or raises :class:`JsonFileError`, a
``ValueError`` whose text says what is wrong in words a message can carry ("is nested more than
64 levels deep") -- never ``RecursionError`` or ``MemoryError`` from deep in :mod:`json`.
"""
from __future__ import annotations

import json
import re
from typing import Any, Union

#: More levels than any file djl-bridge writes (checkpoint.json has 3), far fewer than the
#: recursion limit that made :func:`json.loads` raise ``RecursionError``.
MAX_DEPTH = 64

#: The most bytes of a run's JSON report (Java's ``RunReport``, a bench child's result line).
REPORT_MAX_BYTES = 64 << 20

#: Strings (with their escapes) and the brackets outside them.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class JsonFileError(ValueError):
    """The bytes are no JSON value this reader takes; ``str()`` is a predicate ("is not valid
    JSON (...)", "is nested more than 64 levels deep", "is N bytes, more than M")."""


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings (a running count, no recursion)."""
    depth = deepest = 0
    for token in _TOKENS.findall(raw):
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise JsonFileError(f"is not valid JSON ({name} is not a JSON number)")


def parse(data: Union[bytes, str], max_bytes: int) -> Any:
    """The JSON value of ``data`` (bytes as UTF-8), or :class:`JsonFileError` when it is more
    than ``max_bytes`` bytes, nested more than :data:`MAX_DEPTH` levels deep, not UTF-8 or not
    valid (strict) JSON."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > max_bytes:
        raise JsonFileError(f"is {len(raw)} bytes, more than {max_bytes}")
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(raw) > MAX_DEPTH:
        raise JsonFileError(f"is nested more than {MAX_DEPTH} levels deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonFileError(f"is not UTF-8 text (invalid byte at offset {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except JsonFileError:
        raise
    except RecursionError:  # not reached after the depth check; kept as the last net
        raise JsonFileError(f"is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:  # JSONDecodeError; an int of more digits than Python converts
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc).split(":")[0]
        raise JsonFileError(f"is not valid JSON ({reason})") from None
