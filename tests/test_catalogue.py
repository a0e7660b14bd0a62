"""The message catalogue: every text a module looks up exists, and its module imports the owner.

Each module adds its texts under a namespace it alone holds (`CATALOGUE.add("show", …)`); a
duplicate key or a foreign namespace is refused at import. A module that looks up a key with a
literal name (`t(lang, "review.kpi.gmv")`, or an f-string prefix `t(lang, f"review.kpi.{k}")`)
must import, directly or not, the module that adds it — otherwise the text exists only when
something else happened to import that module first, and a user sees the raw key.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from importgraph import build

import bot
import media
from media.i18n import CATALOGUE, Catalogue, CatalogueError

ROOT = Path(__file__).resolve().parents[1]


def _import_everything() -> None:
    for package in (bot, media):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def _lookups(path: Path) -> list[tuple[int, str, bool]]:
    """(line, key or key prefix, is_prefix) of every `t(lang, <literal>)` in `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "t"):
            continue
        if len(node.args) < 2:
            continue
        key = node.args[1]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.append((node.lineno, key.value, False))
        elif isinstance(key, ast.JoinedStr) and key.values and isinstance(key.values[0], ast.Constant):
            prefix = str(key.values[0].value)
            if "." in prefix:
                found.append((node.lineno, prefix, True))
    return found


def _owner(key: str) -> str | None:
    namespaces = [ns for ns in CATALOGUE.owners if key.startswith(ns + ".")]
    return CATALOGUE.owners[max(namespaces, key=len)] if namespaces else None


def test_every_text_looked_up_exists_and_its_owner_is_imported() -> None:
    _import_everything()
    keys = CATALOGUE.keys()
    graph = build(ROOT)
    problems = []
    for module, path in graph.modules.items():
        reachable = graph.reachable(module) | {module}
        for line, key, is_prefix in _lookups(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if (is_prefix and not any(k.startswith(key) for k in keys)) or (
                not is_prefix and key not in keys
            ):
                problems.append(f"{where}: no text {key!r}{'…' if is_prefix else ''}")
                continue
            owner = _owner(key)
            if owner is not None and owner not in reachable:
                problems.append(f"{where}: {key!r} is added by {owner}, which {module} does not import")
    assert not problems, "\n".join(problems)


def test_the_catalogue_refuses_clashes() -> None:
    catalogue = Catalogue()
    catalogue.add("show", {"show.a": {"zh-CN": "甲"}}, owner="bot.show.cues")
    with pytest.raises(CatalogueError, match="defined twice"):
        catalogue.add("show", {"show.a": {"zh-CN": "乙"}}, owner="bot.show.cues")
    with pytest.raises(CatalogueError, match=r"belongs to bot\.show\.cues"):
        catalogue.add("show", {"show.b": {"zh-CN": "乙"}}, owner="bot.app.api")
    with pytest.raises(CatalogueError, match="outside its namespace"):
        catalogue.add("review", {"show.c": {"zh-CN": "丙"}}, owner="bot.review.tables")
    with pytest.raises(CatalogueError, match="no zh-CN"):
        catalogue.add("plan", {"plan.d": {"en": "d"}}, owner="bot.plan.week")
    assert catalogue.text("en", "show.a") == "甲"  # Chinese where there is no English
    assert catalogue.text("zh-CN", "show.nope") == "show.nope"


def test_every_namespace_has_one_module() -> None:
    _import_everything()
    assert len(set(CATALOGUE.owners.values())) == len(CATALOGUE.owners)
