"""The package layering: no import cycles, bpy only where Blender runs, and the dependency
table in docs/design-decisions.md equal to the imports as they are.

Imports are read from the source (module level and inside functions alike), so a lazy
import counts as a dependency too.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "simgen"
DOC = ROOT / "docs" / "design-decisions.md"
# the only modules that may import bpy / mathutils (the renderer, the asset build, their helper)
BPY_ALLOWED = ("simgen.render.", "simgen.assets.rigging", "simgen.assets.external", "simgen.bpyutil")


def _modules() -> dict[str, Path]:
    out = {}
    for f in SRC.rglob("*.py"):
        parts = f.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = f
    return out


def _imports(name: str, path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    mods = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    externals: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for target in _imports(name, path):
            t = target
            while t and t not in mods:
                t = t.rpartition(".")[0]
            if t and t != name and t != "simgen":
                edges[name].add(t)
            elif not target.startswith("simgen"):
                externals[name].add(target.split(".")[0])
    return edges, externals


def package(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def package_graph() -> dict[str, set[str]]:
    edges, _ = _graph()
    out: dict[str, set[str]] = defaultdict(set)
    for a, targets in edges.items():
        for b in targets:
            if package(a) != package(b):
                out[package(a)].add(package(b))
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state and (found := visit(m)):
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)):
            return found
    return None


def dependency_table() -> str:
    """The markdown table of which package imports which (the doc's block)."""
    g = package_graph()
    names = sorted(set(g) | {p for ts in g.values() for p in ts}, key=lambda p: (p in ("cli", "commands"), p))
    rows = ["| package | imports (simgen) |", "| --- | --- |"]
    rows += [f"| `{p}` | {', '.join(f'`{t}`' for t in sorted(g.get(p, ()))) or '-'} |" for p in names]
    return "\n".join(rows)


def test_no_import_cycle_between_packages():
    assert _cycle(package_graph()) is None, f"package import cycle: {' -> '.join(_cycle(package_graph()))}"


def test_no_import_cycle_between_modules():
    edges, _ = _graph()
    # a package's __init__ re-exporting its own modules is not a cycle between files
    own = {a: {b for b in ts if not (b == a.rpartition(".")[0] and package(a) == package(b))} for a, ts in edges.items()}
    found = _cycle(own)
    assert found is None, f"module import cycle: {' -> '.join(found)}"


def test_bpy_only_in_render_and_the_asset_build():
    _, externals = _graph()
    users = sorted(m for m, ext in externals.items() if ext & {"bpy", "mathutils", "bpy_extras"})
    assert users and all(m.startswith(BPY_ALLOWED) for m in users), users


def test_design_decisions_shows_the_dependency_table():
    text = DOC.read_text()
    block = re.search(r"<!-- dependency-table -->\n(.*?)\n<!-- /dependency-table -->", text, re.S)
    assert block, "docs/design-decisions.md lacks the dependency-table block"
    assert block.group(1).strip() == dependency_table(), (
        "docs/design-decisions.md's dependency table is stale; regenerate it with `python tests/test_layering.py`")


def _rewrite_doc() -> None:
    text = DOC.read_text()
    new = re.sub(r"(<!-- dependency-table -->\n).*?(\n<!-- /dependency-table -->)",
                 lambda m: m.group(1) + dependency_table() + m.group(2), text, flags=re.S)
    DOC.write_text(new)


if __name__ == "__main__":
    _rewrite_doc()
