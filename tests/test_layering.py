"""The layering index/ → policybot/ → bot/, read from the source: no import cycles among
their modules (imports inside functions included, since a lazy import is still a
dependency), `index` never imports Discord or the bot, and the bot uses only the knowledge
base's public modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("index", "bot", "policybot")
# What bot/ may import from index/: the knowledge base's public face.
PUBLIC = frozenset(
    {
        "index.service",
        "index.settings",
        "index.errors",
        "index.answering.types",
        "index.documents",
        "index.evaluation",
    }
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module `module` imports, anywhere in its body: a name imported from a package
    counts as its submodule when it is one."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {m: _imported(m, path, known) for m, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), or a module
    importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, set()) & graph.keys()):
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
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return _graph()


def test_the_graph_is_read(graph: dict[str, set[str]]) -> None:
    assert "index.service" in graph["bot.client"]
    assert "index.store.live_pointer" in graph["index.store.chroma"]


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    assert _cycles(graph) == []


def test_packages_import_in_one_direction(graph: dict[str, set[str]]) -> None:
    """policybot/ (the command line, which also starts the bot) uses bot/ and index/; bot/
    uses index/; index/ uses neither. `python -m bot` (bot/__main__.py) is an entry point,
    the same as the `policybot bot` command it runs, not a module anything imports."""
    uses = {
        (m.split(".")[0], i.split(".")[0])
        for m, imported in graph.items()
        if not m.endswith(".__main__")
        for i in imported
        if i.split(".")[0] in PACKAGES and i.split(".")[0] != m.split(".")[0]
    }
    assert uses <= {("policybot", "bot"), ("policybot", "index"), ("bot", "index")}


def test_index_never_imports_discord_or_the_bot(graph: dict[str, set[str]]) -> None:
    wrong = {
        m: sorted(i for i in imported if i.split(".")[0] in {"discord", "bot", "policybot"})
        for m, imported in graph.items()
        if m.split(".")[0] == "index"
    }
    assert {m: i for m, i in wrong.items() if i} == {}


def test_the_bot_uses_only_the_public_index_modules(graph: dict[str, set[str]]) -> None:
    used = {i for m, imported in graph.items() if m.split(".")[0] == "bot" for i in imported}
    assert {i for i in used if i.split(".")[0] == "index"} - PUBLIC == set()


def test_a_cycle_through_a_lazy_import_is_found() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
