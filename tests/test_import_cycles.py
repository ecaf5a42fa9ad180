"""No import circles inside an app: the modules of each app under nongan/ import each other acyclically.

Every import counts, at module level and inside functions (an import moved into a function still closes the
circle, it only hides it until call time); imports under ``if TYPE_CHECKING:`` do not run and are left out.
Importing ``app.pkg.mod`` also runs ``app/pkg/__init__.py``, so it is an edge to ``pkg`` too, unless ``pkg``
is a package the importing module itself lives in (that package is already being imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "nongan"


def _apps() -> list[Path]:
    return sorted(p for p in ROOT.iterdir() if (p / "__init__.py").is_file())


def _modules(app: Path) -> dict[str, Path]:
    """dotted name → file, for every module of the app (a package is its __init__)."""
    root = app.parent.parent
    out = {}
    for path in app.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
            if name == "TYPE_CHECKING":
                for inner in node.body:
                    skip.update(id(n) for n in ast.walk(inner))
    return skip


def _imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module, [names]) for every import statement, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skip = _type_checking_blocks(tree)
    package = name if _is_package(path) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
    return found


def _graph(app: Path) -> dict[str, set[str]]:
    modules = _modules(app)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        own = {name.rsplit(".", i)[0] for i in range(name.count(".") + 1)}  # itself and its packages
        for module, names in _imports(name, path):
            explicit = {f"{module}.{n}" for n in names if f"{module}.{n}" in modules}
            if not explicit or len(explicit) < len(names):
                explicit.add(module)  # a name defined in the module itself
            for target in explicit:
                parts = target.split(".")
                implied = {".".join(parts[:i]) for i in range(1, len(parts))} - own
                for t in {target} | implied:
                    if t in modules and t != name:
                        graph[name].add(t)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _describe(graph: dict[str, set[str]], component: list[str]) -> str:
    members = set(component)
    edges = [f"{a} → {b}" for a in component for b in sorted(graph[a] & members)]
    return "; ".join(edges)


def test_the_checker_sees_a_circle_through_a_function_level_import(tmp_path):
    app = tmp_path / "nongan" / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text("def f():\n    from .engine import g\n")
    (app / "engine.py").write_text("from . import models\n")
    (app / "pkg" / "__init__.py").write_text("from .sub import h\n")
    (app / "pkg" / "sub.py").write_text("from ..models import f\nfrom . import other\n")
    (app / "pkg" / "other.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import tasks\n"
    )
    (app / "tasks.py").write_text("from .pkg.other import x\n")
    graph = _graph(app)
    assert graph["nongan.app.pkg.sub"] == {"nongan.app.models", "nongan.app.pkg.other"}  # not its own package
    assert graph["nongan.app.tasks"] == {"nongan.app.pkg", "nongan.app.pkg.other"}  # pkg/__init__ runs first
    assert graph["nongan.app.pkg.other"] == set()  # TYPE_CHECKING imports do not run
    assert _cycles(graph) == [["nongan.app.engine", "nongan.app.models"]]


def test_no_import_circles_inside_an_app():
    found = {}
    apps = {a.name for a in _apps()}
    assert {"core", "registry", "standards", "draws", "monitoring", "certificates"} <= apps
    for app in _apps():
        graph = _graph(app)
        assert graph, app
        cycles = _cycles(graph)
        if cycles:
            found[app.name] = [_describe(graph, c) for c in cycles]
    assert found == {}
