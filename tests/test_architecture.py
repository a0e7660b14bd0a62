"""The layers of docs/architecture.md hold: who may import whom, and no import circles.

- `media` never imports `bot` (the bot talks to the room through the hub and the room protocol).
- `media.store` (tables and queries) imports nothing above it; `media.hub` (the room engine)
  never imports `media.web`, `media.rtc` or `media.app`; `media.rtc` (WebRTC) never imports the
  hub, the web handlers or the store, except `media.rtc.routes`, its wiring onto the app.
- The bot's feature folders (rules, faq, show, alerts, contingency, plan, review, sim) never import
  `bot.app` (the composition root), the commands or the demo, serve no HTTP (`aiohttp.web`) and
  look nothing up on the app (`media.app`, where the app keys live).
- No import cycle among the modules of `bot/` and `media/`, counting imports under
  `TYPE_CHECKING` and inside functions.

The checks run on this tree and, once, on a small tree of the test's own with each kind of
forbidden import planted, to show that each rule can fail.
"""

from __future__ import annotations

import ast
from pathlib import Path

from importgraph import ImportGraph, build

ROOT = Path(__file__).resolve().parents[1]

GROUND = ("media.events", "media.config", "media.rooms", "media.i18n")
FEATURES = ("rules", "faq", "show", "alerts", "contingency", "plan", "review", "sim")


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden(source: str, target: str) -> str | None:
    """Why `source` may not import `target`, or None when it may."""
    if _under(source, "media") and _under(target, "bot"):
        return "media never imports bot"
    if _under(source, "media.store") and not _under(target, "media.store", *GROUND):
        return "the store imports only the store and media's ground modules"
    if _under(source, "media.hub") and _under(target, "media.web", "media.rtc", "media.app"):
        return "the hub never imports the web handlers, WebRTC or the app"
    if (
        _under(source, "media.rtc")
        and source != "media.rtc.routes"
        and _under(target, "media.hub", "media.web", "media.store", "media.app")
    ):
        return "WebRTC never imports the hub, the web handlers, the store or the app"
    if _under(source, *(f"bot.{f}" for f in FEATURES)):
        if _under(target, "bot.app", "bot.commands", "bot.cli", "bot.demo"):
            return "a feature never imports the composition root, the commands or the demo"
        if _under(target, "media.app", "media.web"):
            return "a feature serves no HTTP and looks nothing up on the app"
    return None


def _serves_http(path: Path) -> int | None:
    """The line of an `aiohttp.web` import in `path`, if any."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "aiohttp"
            and any(a.name == "web" for a in node.names)
        ):
            return node.lineno
        if isinstance(node, ast.ImportFrom) and node.module == "aiohttp.web":
            return node.lineno
        if isinstance(node, ast.Import) and any(a.name == "aiohttp.web" for a in node.names):
            return node.lineno
    return None


def violations(graph: ImportGraph) -> list[str]:
    found = []
    for source in sorted(graph.edges):
        for target, line in sorted(graph.imports(source).items()):
            why = forbidden(source, target)
            if why is not None:
                found.append(f"{graph.modules[source]}:{line}: {source} imports {target}: {why}")
        if _under(source, *(f"bot.{f}" for f in FEATURES)):
            line = _serves_http(graph.modules[source])
            if line is not None:
                found.append(
                    f"{graph.modules[source]}:{line}: {source} imports aiohttp.web: a feature serves no HTTP"
                )
    return found


def test_the_layers_hold() -> None:
    graph = build(ROOT)
    assert len(graph.modules) > 150  # the scan sees the whole tree
    assert not violations(graph), "\n".join(violations(graph))


def test_no_import_cycles() -> None:
    cycles = build(ROOT).cycles()
    assert not cycles, f"import cycles: {cycles}"


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_each_rule_catches_a_planted_import(tmp_path: Path) -> None:
    packages = [
        "bot/__init__.py",
        "bot/app/__init__.py",
        "bot/faq/__init__.py",
        "media/__init__.py",
        "media/hub/__init__.py",
        "media/web/__init__.py",
        "media/rtc/__init__.py",
        "media/store/__init__.py",
    ]
    _plant(tmp_path, dict.fromkeys(packages, ""))
    _plant(
        tmp_path,
        {
            "bot/app/build.py": "from bot.faq import room\n",
            "bot/faq/room.py": "from aiohttp import web\nfrom bot.app.build import x\n",
            "media/app.py": "",
            "media/web/routes.py": "from media.hub import core\n",
            "media/hub/core.py": "from media.web.routes import setup_room\n",
            "media/rtc/server.py": "def f():\n    from media.hub.core import Room\n",
            "media/store/models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.faq.room import x\n",
        },
    )
    graph = build(tmp_path)
    found = "\n".join(violations(graph))
    assert "media.hub.core imports media.web.routes" in found
    assert "media.rtc.server imports media.hub.core" in found  # a function-level import counts
    assert "media.store.models imports bot.faq.room: media never imports bot" in found  # TYPE_CHECKING counts
    assert "bot.faq.room imports bot.app.build" in found
    assert "bot.faq.room imports aiohttp.web" in found
    assert ["bot.app.build", "bot.faq.room"] in graph.cycles()
    assert ["media.hub.core", "media.web.routes"] in graph.cycles()
    # and the allowed direction is not reported
    assert "media.web.routes imports media.hub.core" not in found
