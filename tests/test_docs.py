"""The docs cannot rot: every message listed in docs/troubleshooting.md is one the code can
produce, the README stays short and names no path of one machine, and docs/architecture.md names
only classes and modules that exist."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TROUBLE = ROOT / "docs" / "troubleshooting.md"

#: Words the doc writes for a value the message fills in; also ``…`` and ``<a description>``.
PLACEHOLDERS = ("PATH", "DIR", "FILE", "URL", "JAR", "COMMAND", "NAME", "VALUE",
                "N", "M", "X", "Y", "E", "P", "T", "S", "B")
_PLACEHOLDER = re.compile(r"…|<[^>]*>|\b(?:%s)\b" % "|".join(PLACEHOLDERS))
#: What the CLI puts before a library message.
_CLI_PREFIX = re.compile(r"^djl-bridge: (?:error: |note: |warning: )?")
#: Stands for a placeholder in a documented message: only a hole of the code can produce it.
_ANY = "\x00"
HOLE = None  # a template token: a value the code fills in


def documented_messages() -> list[str]:
    """The message starts of the doc's tables: the backticked text of each row's first cell."""
    messages = []
    for line in TROUBLE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| "):
            continue
        first_cell = line.split(" | ")[0]
        for double, single in re.findall(r"``(.+?)``|`([^`]+)`", first_cell):
            span = (double or single).strip()
            if len(span) >= 12 and " " in span:  # not a flag or a file name
                messages.append(span)
    return messages


def _python_templates() -> list[list]:
    """Every string of the package as tokens: literal text, and HOLE for each ``{value}``."""
    out = []
    for path in [*(ROOT / "djl_bridge").rglob("*.py"), *(ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                out.append([v.value if isinstance(v, ast.Constant) else HOLE
                            for v in node.values])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append([node.value])
    return out


_FORMAT_SPEC = re.compile(r"%[-#+ 0,(]*\d*(?:\.\d+)?[sdfxgc]")
_JAVA_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _java_templates() -> list[list]:
    """Every Java statement's string literals as tokens; an expression joined with ``+``
    between, before or after them, and each ``String.format`` spec, is a HOLE."""
    out = []
    for path in (ROOT / "java" / "src" / "main").rglob("*.java"):
        text = path.read_text(encoding="utf-8")
        strings = [m.group(1) for m in _JAVA_STRING.finditer(text)]
        masked = _JAVA_STRING.sub("\x01", text)  # so that a ";" inside a string splits nothing
        n = 0
        for statement in re.split(r"[;{}]", masked):
            parts = statement.split("\x01")
            if len(parts) == 1:
                continue
            tokens: list = [HOLE] if parts[0].rstrip().endswith("+") else []
            for k in range(1, len(parts)):
                literal = strings[n].replace('\\"', '"').replace("\\\\", "\\")
                n += 1
                for j, piece in enumerate(_FORMAT_SPEC.split(literal)):  # String.format's %s
                    tokens += [HOLE, piece] if j else [piece]
                gap = parts[k].strip()
                if gap not in ("", "+") and (k + 1 < len(parts) or gap.startswith("+")):
                    tokens.append(HOLE)
            out.append(tokens)
    return out


def sample_of(message: str) -> tuple[str, bool]:
    """The documented message as text to match, each placeholder one ``_ANY``; and whether it
    starts with a placeholder (then it may begin anywhere in the code's message)."""
    text = _PLACEHOLDER.sub(_ANY, _CLI_PREFIX.sub("", message)).rstrip()
    text = re.sub(f"{_ANY}+", _ANY, text).rstrip(_ANY + " ")  # "… " at the end: and more
    # A flag or field name at the end is spelled at run time, like a placeholder.
    text = re.sub(r"(?:[\s\x00]*(?:--[a-z][a-z-]*|\w+\.\w+))+$", "", text).rstrip(_ANY + " ")
    return text, text.startswith(_ANY)


def can_produce(tokens: list, sample: str, anywhere: bool) -> bool:
    """Whether the code's ``tokens`` can write ``sample`` (a placeholder only where the code
    fills in a value): an NFA over the template's characters run over the sample's."""
    flat: list = []  # one entry per literal character, HOLE per hole
    for t in tokens:
        flat.extend(list(t) if t is not HOLE else [HOLE])
    if not flat:
        return False

    def closure(states: set[int]) -> set[int]:
        todo, seen = list(states), set(states)
        while todo:
            i = todo.pop()
            if i < len(flat) and flat[i] is HOLE and i + 1 not in seen:
                seen.add(i + 1)
                todo.append(i + 1)
        return seen

    states = closure(set(range(len(flat))) if anywhere else {0})
    by_literal: set[int] = set()
    for ch in sample:
        nxt, by_literal = set(), set()
        for i in states:
            if i >= len(flat):
                continue
            if flat[i] is HOLE:
                nxt.add(i)
            elif flat[i] == ch:
                by_literal.add(i + 1)
        states = closure(nxt | by_literal)
        if not states:
            return False
    # The sample ends in literal text (trailing placeholders are cut off): the code must write
    # its last character itself, or a value it fills in would swallow any ending.
    return bool(by_literal)


@pytest.fixture(scope="module")
def templates() -> list[list]:
    return _python_templates() + _java_templates()


def produced(message: str, templates: list[list]) -> bool:
    """Whether some message of the code can start as ``message`` does. The code's own text must
    hold most of the message's words (flags and field names aside, which the code spells at run
    time): a bare ``{value}`` can write anything, but says nothing."""
    sample, anywhere = sample_of(message)
    words = re.findall(r"\b[a-z]{4,}\b", re.sub(r"--[a-z-]+|TrainConfig\.\w+", " ", sample))
    for tokens in templates:
        literal = "".join(t for t in tokens if t is not HOLE)
        if sum(w in literal for w in words) < 0.3 * len(words):
            continue
        if can_produce(tokens, sample, anywhere):
            return True
    return False


def test_the_doc_lists_messages() -> None:
    messages = documented_messages()
    assert len(messages) > 60, messages  # the tables were read, not skipped


@pytest.mark.parametrize("message", documented_messages())
def test_each_documented_message_is_one_the_code_can_produce(message: str,
                                                             templates: list[list]) -> None:
    assert produced(message, templates), (
        f"docs/troubleshooting.md lists {message!r}, which no message of the code can start "
        f"with: reword the doc after the code (write {', '.join(PLACEHOLDERS[:8])}, … or "
        "<words> where the code fills in a value)")


def test_a_reworded_message_would_be_caught(templates: list[list]) -> None:
    # The check above must be able to fail: wording the code never writes is not found, a
    # placeholder where the code writes fixed text is not accepted, a real message is.
    assert produced("corpus file not found: PATH (from --data)", templates)
    assert produced("--hidden must be a whole number > 0, got X", templates)
    assert not produced("corpus file went missing: PATH", templates)
    assert not produced("corpus file X found: PATH (from --data)", templates)
    assert not produced("PATH is not UTF-8 text (invalid byte X at offset N): save it as ASCII",
                        templates)


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; details belong in docs/"


@pytest.mark.parametrize("doc", ["README.md", *(f"docs/{p.name}" for p in
                                                (ROOT / "docs").glob("*.md"))])
def test_docs_name_no_path_of_one_machine(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = re.findall(r"(?<![\w.])/(?:work|root|home/\w+|Users/\w+)/[\w./-]*", text)
    assert not found, f"{doc} names paths of one machine: {found}"


def test_the_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(((?:docs|examples|benchmarks|notebooks)/[^)#]+)", text):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"


#: Names docs/architecture.md writes that are DJL's own (or a nested class), not this project's.
DJL_NAMES = {"Builder", "TrainingDivergedException", "TrainingListener"}


def test_architecture_names_only_classes_that_exist() -> None:
    """Every class name docs/architecture.md writes in backticks is a Java class of java/src or
    a Python class of djl_bridge (or one of DJL's it compares with): the doc cannot keep naming a
    class that was renamed or removed, as the README once named Ch8Runner."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([A-Z][a-z][A-Za-z0-9]*)(?=[.`(])", doc))
    java = {p.stem for p in (ROOT / "java" / "src").rglob("*.java")}
    python: set[str] = set()
    for path in (ROOT / "djl_bridge").rglob("*.py"):
        python |= set(re.findall(r"^\s*class (\w+)", path.read_text(encoding="utf-8"), re.M))
    assert len(named) > 20, "the check reads no class names"
    assert sorted(named - java - python - DJL_NAMES) == []
