"""The static import graph of `bot/` and `media/`, for the layering and catalogue tests.

Every import counts — module level, inside functions, under `if TYPE_CHECKING:` — because
each is a dependency a reader has to follow. Read with `ast`, so nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("bot", "media")


@dataclass
class ImportGraph:
    modules: dict[str, Path] = field(default_factory=dict)
    edges: dict[str, dict[str, int]] = field(default_factory=dict)  # module -> imported module -> line

    def resolve(self, name: str) -> str | None:
        """The module of ours a dotted import name lands in (a package's `__init__` counts)."""
        while name:
            if name in self.modules:
                return name
            name = name.rpartition(".")[0]
        return None

    def imports(self, module: str) -> dict[str, int]:
        return self.edges.get(module, {})

    def reachable(self, module: str) -> set[str]:
        seen: set[str] = set()
        stack = [module]
        while stack:
            for target in self.imports(stack.pop()):
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return seen

    def cycles(self) -> list[list[str]]:
        """Strongly connected groups of more than one module (Tarjan), each sorted."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        found: list[list[str]] = []
        counter = 0

        def visit(v: str) -> None:
            nonlocal counter
            index[v] = low[v] = counter
            counter += 1
            stack.append(v)
            on_stack.add(v)
            for w in self.imports(v):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                group = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.append(w)
                    if w == v:
                        break
                if len(group) > 1:
                    found.append(sorted(group))

        for module in sorted(self.modules):
            if module not in index:
                visit(module)
        return found


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[str, int]]:
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno  # a submodule, or a name in `base`
                yield base, node.lineno


def build(root: Path, packages: tuple[str, ...] = PACKAGES) -> ImportGraph:
    graph = ImportGraph()
    files: dict[str, Path] = {}
    for top in packages:
        for path in sorted((root / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            files[_module_name(root, path)] = path
    graph.modules = files
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: dict[str, int] = {}
        for name, line in _imported_names(tree, module, path.name == "__init__.py"):
            target = graph.resolve(name) if name in files or "." in name or name in packages else None
            if target is not None and target != module:
                targets.setdefault(target, line)
        # `from a.b import c` yields both a.b.c and a.b: keep the submodule when there is one
        graph.edges[module] = targets
    return graph
