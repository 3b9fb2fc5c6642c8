"""The layout holds: one package talks to Java, each model kind is defined once per language, and
the two definitions agree; the rooms of the package stay rooms (inside each sub-package no module
imports one that imports it back, and one module reads ELF files); the package has no import
cycle and one epoch loop."""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path
from typing import Optional

import pytest

from djl_bridge import bridge
from djl_bridge.reference import kinds

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "djl_bridge"
#: The package that may import JPype: the bridge (class names, conversions, the session, error
#: translation, the Java thread, starting the JVM).
BRIDGE = PACKAGE / "bridge"
SUBPACKAGES = sorted(p.parent for p in PACKAGE.glob("*/__init__.py"))


def _imports_jpype(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "jpype" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "jpype":
            return True
    return False


def test_only_the_bridge_package_imports_jpype() -> None:
    found = {p for p in PACKAGE.rglob("*.py") if _imports_jpype(p)}
    outside = sorted(str(p.relative_to(PACKAGE)) for p in found if BRIDGE not in p.parents)
    assert not outside, f"these modules talk to Java outside djl_bridge/bridge/: {outside}"
    assert BRIDGE / "session.py" in found and BRIDGE / "startup.py" in found


def test_java_class_names_are_written_once() -> None:
    # A "djlbridge.X" class name in a string literal of the package appears in one module only.
    seen: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("djlbridge.") and " " not in node.value:
                seen.setdefault(node.value, set()).add(str(path.relative_to(PACKAGE)))
    twice = {name: files for name, files in seen.items() if len(files) > 1}
    assert not twice, f"Java class names written in more than one module: {twice}"
    assert seen, "no Java class name found: the check looks at nothing"


def test_python_model_kinds_equal_java_model_kind(jvm: None) -> None:
    java = bridge.model_kinds()
    python = [{"name": k.name, "gates": k.gates, "states": k.states, "params": list(k.param_names),
               "params_2_layers": list(kinds.scratch_param_names(k, 2))}
              for k in kinds.KINDS]
    assert java == python


def _sibling_imports(module: Path) -> set[str]:
    """The modules of its own sub-package ``module`` imports, lazy imports included; importing a
    name the package's ``__init__`` defines counts as importing ``__init__``."""
    siblings = {p.stem for p in module.parent.glob("*.py")}
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name if a.name in siblings else "__init__" for a in node.names)
    return found


@pytest.mark.parametrize("package", SUBPACKAGES, ids=lambda p: p.name)
def test_no_import_cycle_inside_a_subpackage(package: Path) -> None:
    # test_the_package_has_no_import_cycles checks the package as a whole, each sub-package as
    # one node.
    graph = {p.stem: _sibling_imports(p) for p in package.glob("*.py")}
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        # graphlib lists each module before one that imports it: reversed, "a -> b" is "a imports b"
        pytest.fail(f"{package.name}: import cycle {' -> '.join(reversed(exc.args[1]))}")


def test_the_split_packages_are_there() -> None:
    assert {p.name for p in SUBPACKAGES} >= {"bridge", "jvm", "gpu", "checkpoint", "bench"}


def test_one_elf_reader() -> None:
    readers = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if "\\x7fELF" in p.read_text(encoding="utf-8")
               or "mmap.mmap(" in p.read_text(encoding="utf-8")]
    assert readers == ["elf.py"]


# ------------------------------------------------------------------------------ structure

def _imports(module: Path, depth: int) -> set[str]:
    """The top-level djl_bridge modules ``module`` imports, anywhere in it (a lazy import inside a
    function closes a cycle as well); ``depth`` is 1 for ``djl_bridge/x.py``, 2 inside a
    sub-package (whose own siblings are left out)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == depth:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_the_package_has_no_import_cycles() -> None:
    package = ROOT / "djl_bridge"
    graph: dict[str, set[str]] = {p.stem: _imports(p, 1) for p in package.glob("*.py")}
    for sub in (p for p in package.iterdir() if (p / "__init__.py").is_file()):
        graph[sub.name] = set().union(*(_imports(p, 2) for p in sub.glob("*.py")))

    def cycle_from(start: str, node: str, seen: tuple[str, ...]) -> Optional[tuple[str, ...]]:
        for nxt in graph.get(node, ()):
            if nxt == start:
                return seen + (nxt,)
            if nxt not in seen:
                found = cycle_from(start, nxt, seen + (nxt,))
                if found:
                    return found
        return None

    for name in graph:
        assert cycle_from(name, name, (name,)) is None, cycle_from(name, name, (name,))


def test_only_the_training_session_loops_over_epochs() -> None:
    java = ROOT / "java" / "src" / "main" / "java" / "djlbridge"
    loops = [str(p.relative_to(java)) for p in java.rglob("*.java")
             if "trainEpochCh8(" in p.read_text() and p.name != "TimeMachine.java"]
    assert loops == ["LanguageModelTask.java"]  # one epoch per call, through the session
    session = (java / "training" / "TrainingSession.java").read_text()
    assert session.count("task.trainEpoch(") == 1
    text = (java / "TimeMachine.java").read_text()
    body = text[text.index("public static RunReport trainCh8("):]
    body = body[body.index("public static RunReport trainCh8(", 10):]
    body = body[:body.index("public static Pair<Double, Double> trainEpochCh8(")]
    assert "LanguageModelTask.wrap(" in body and "for (int epoch" not in body
