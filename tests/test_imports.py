"""The Python imports of djl_bridge, read from the source: no circle between its modules, none
between its rooms (a sub-package, or a top-level module, is one room), and only the bridge package
talks to Java (imports ``jpype``, names a Java class). Each reader is first proved on a hand-made
package, so a check that found nothing has looked."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "djl_bridge"
#: The package that talks to Java, and the one module of it that names Java classes.
BRIDGE = "djl_bridge.bridge"
NAMES_MODULE = "djl_bridge.bridge.names"
#: A Java class name as a string literal: "djlbridge.training.TrainSettings", "java.util.Random".
JAVA_CLASS = re.compile(r"^(djlbridge|ai\.djl|java|javax|jdk)\.([a-z_]\w*\.)*[A-Z][\w$]*$")


def module_name(path: Path, root: Path) -> str:
    """``djl_bridge/bridge/session.py`` -> ``djl_bridge.bridge.session``; a package's
    ``__init__.py`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _trees(root: Path) -> dict[str, tuple[Path, ast.AST]]:
    return {module_name(p, root): (p, ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(root.rglob("*.py"))}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of the package under ``root`` it imports, anywhere in it (a lazy
    import inside a function closes a circle as well). ``from pkg import x`` is an edge to the
    module ``pkg.x`` when there is one, else to ``pkg`` (its ``__init__``); the parents Python
    imports first are not edges (every module would close a circle through them)."""
    trees = _trees(root)
    graph: dict[str, set[str]] = {}
    for name, (path, tree) in trees.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = alias.name
                    while target and target not in trees:
                        target = target.rpartition(".")[0]
                    if target:
                        found.add(target)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                if origin in trees:
                    found.update(f"{origin}.{a.name}" if f"{origin}.{a.name}" in trees else origin
                                 for a in node.names)
        found.discard(name)
        graph[name] = found
    return graph


def rooms(graph: dict[str, set[str]], depth: int = 2) -> dict[str, set[str]]:
    """The graph of rooms: each module counts as the first ``depth`` parts of its name
    (``djl_bridge.jvm.options`` -> ``djl_bridge.jvm``)."""
    def room(module: str) -> str:
        return ".".join(module.split(".")[:depth])

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        out.setdefault(room(module), set()).update(
            room(t) for t in targets if room(t) != room(module))
    return out


def find_cycle(graph: dict[str, set[str]]) -> Optional[list[str]]:
    """One circle of ``graph`` as ``[a, b, ..., a]`` (a imports b ...), or None."""
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done
    path: list[str] = []

    def visit(node: str) -> Optional[list[str]]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def imports_jpype(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "jpype" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 \
                and (node.module or "").split(".")[0] == "jpype":
            return True
    return False


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "pkg"


# ------------------------------------------------------------------ the readers, on hand-made code

def test_a_hand_made_circle_through_a_lazy_import_is_found(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "pkg/__init__.py": "from .a import run\n",
        "pkg/a.py": "from . import b\n\ndef run():\n    return b.f()\n",
        "pkg/b.py": "def f():\n    from .c import g  # lazy\n    return g()\n",
        "pkg/c.py": "import pkg.a\n\ndef g():\n    return 1\n",
    })
    graph = import_graph(pkg)
    assert graph == {"pkg": {"pkg.a"}, "pkg.a": {"pkg.b"}, "pkg.b": {"pkg.c"},
                     "pkg.c": {"pkg.a"}}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_a_hand_made_package_without_a_circle_passes(tmp_path: Path) -> None:
    pkg = _write(tmp_path, {
        "pkg/__init__.py": "from .a import run\nfrom . import sub\n",
        "pkg/a.py": "from .sub.x import f\n\ndef run():\n    return f()\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/x.py": "from ..b import CONSTANT\n\ndef f():\n    return CONSTANT\n",
        "pkg/b.py": "import os\nCONSTANT = os.sep\n",
    })
    graph = import_graph(pkg)
    assert graph["pkg.sub.x"] == {"pkg.b"} and graph["pkg.b"] == set()
    assert find_cycle(graph) is None
    assert find_cycle(rooms(graph)) is None


def test_a_circle_between_rooms_is_found_where_modules_have_none(tmp_path: Path) -> None:
    # sub.x imports b, b imports sub.y: no module comes back to itself, the rooms do.
    pkg = _write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/x.py": "from .. import b\n",
        "pkg/sub/y.py": "VALUE = 1\n",
        "pkg/b.py": "from .sub.y import VALUE\n",
    })
    graph = import_graph(pkg)
    assert find_cycle(graph) is None
    assert find_cycle(rooms(graph)) == ["pkg.b", "pkg.sub", "pkg.b"]


def test_the_jpype_reader_sees_every_spelling() -> None:
    for code in ("import jpype", "import jpype.imports", "from jpype import JClass",
                 "def f():\n    from jpype.types import JInt"):
        assert imports_jpype(ast.parse(code)), code
    for code in ("import jpypex", "from .jpype import x", "x = 'import jpype'"):
        assert not imports_jpype(ast.parse(code)), code


# --------------------------------------------------------------------------------- djl_bridge

def test_no_circle_between_the_modules_of_djl_bridge() -> None:
    graph = import_graph(PACKAGE)
    assert len(graph) > 50 and sum(map(len, graph.values())) > 100  # it read the package
    cycle = find_cycle(graph)
    assert cycle is None, f"import circle: {' -> '.join(cycle)}"


def test_no_circle_between_the_rooms_of_djl_bridge() -> None:
    graph = rooms(import_graph(PACKAGE))
    assert {"djl_bridge.bridge", "djl_bridge.jvm", "djl_bridge.parity"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, f"import circle between sub-packages/modules: {' -> '.join(cycle)}"


def test_only_the_bridge_imports_jpype() -> None:
    trees = _trees(PACKAGE)
    found = {name for name, (_, tree) in trees.items() if imports_jpype(tree)}
    outside = sorted(n for n in found if n != BRIDGE and not n.startswith(BRIDGE + "."))
    assert not outside, f"these modules talk to Java outside djl_bridge.bridge: {outside}"
    assert f"{BRIDGE}.startup" in found and f"{BRIDGE}.session" in found


def test_java_classes_are_named_in_one_module() -> None:
    where: dict[str, set[str]] = {}
    for name, (_, tree) in _trees(PACKAGE).items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and JAVA_CLASS.match(node.value):
                where.setdefault(node.value, set()).add(name)
    elsewhere = {cls: mods - {NAMES_MODULE} for cls, mods in where.items() if mods - {NAMES_MODULE}}
    assert not elsewhere, f"Java class names written outside {NAMES_MODULE}: {elsewhere}"
    assert {"djlbridge.LanguageModelTask", "java.lang.OutOfMemoryError"} <= set(where)


def java_style_calls(tree: ast.AST) -> set[str]:
    """The methods called in Java's style (``x.getVocab()``, ``ds.prepare`` is not one): a
    Python module of this package names its own functions in snake_case."""
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and re.fullmatch(r"[a-z]+[A-Z]\w*", node.func.attr)}


def test_parity_reaches_java_only_through_the_bridge() -> None:
    trees = _trees(PACKAGE)
    graph = import_graph(PACKAGE)
    parity = sorted(m for m in trees if m.startswith("djl_bridge.parity"))
    assert len(parity) >= 3
    for module in parity:
        assert not any(t.startswith("djl_bridge.jvm") for t in graph[module]), module
        calls = java_style_calls(trees[module][1])
        assert not calls, f"{module} calls Java itself ({sorted(calls)}): add a method to " \
                          "djl_bridge.bridge.parity"
    # The reader sees them where they are: the bridge's side of the checks makes them all.
    assert {"getVocab", "trainCh8", "predictCh8"} <= java_style_calls(
        trees["djl_bridge.bridge.parity"][1])
