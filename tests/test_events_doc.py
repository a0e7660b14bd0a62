"""docs/events.md has a row for every event `kind` the code writes to the event log, and no other.

The kinds are found statically (no imports, no database), by reading the source of bot/ and
media/ with `ast` for string literals in the places that write the log:

Every event is one `RoomEvent` (media/events.py), made in one of two ways:
- `X.line(room, "kind", ...)`   the hub's event of a room now, then `hub.log(...)` or `append_event(s, ...)`
- `RoomEvent(room_id, "kind", ts, ...)` / `RoomEvent.at(when, "kind", ...)` an event made by hand
and written by the one writer, media/store/events.py `insert_events` (`append_event` is one event). Also:
- `X._emit(room, "kind", data)` media server events, logged by bot/app/build.py `media_event`
- `X._report(room, "kind", data)` restream events, logged by bot/app/build.py `restream_event`
- `events=[("kind", {...})]` / `events = [...]` the show runner's events (bot/show/runs.py writes them)
- `{"kind": "kind", "data": {...}}` rows the FAQ bot turns into log lines (bot/faq/room.py)

A `kind` argument that is not a literal (or `a if c else b` of literals) is only allowed in
DYNAMIC_FILES, which pass on kinds found by the rules above; anywhere else the test fails, so a
new way of writing the log cannot slip past it.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "events.md"
SOURCES = ("bot", "media")

# call name -> position of the `kind` argument (it may also be passed as `kind=`)
CALLS = {"line": 1, "RoomEvent": 1, "at": 1, "_emit": 1, "_report": 1}

# A file the rules below could match has one of these; the others are not parsed (speed).
MAYBE = re.compile(r"\b(?:line|RoomEvent|RoomEvent\.at|_emit|_report)\s*\(|\bevents\s*=|[\"']kind[\"']\s*:")

# Files whose calls above take a kind from elsewhere (each gets it from a rule above).
DYNAMIC_FILES = {
    "bot/app/build.py": "media_event / restream_event log what media `_emit` and restream `_report` send",
    "bot/show/runs.py": "finish / record_outcome write the runner's `events` tuples",
    "bot/sim/record.py": "stores the events bot/sim/synthetic.py made",
    "media/events.py": "`RoomEvent.at` passes its `kind` on",
    "media/hub/core.py": "`line` passes its `kind` on",
    "media/store/events.py": "reads stored events back",
    "bot/review/load.py": "reads stored events back",
    "bot/sim/synthetic.py": "simulates the kinds the room writes, for the review",
    "bot/faq/room.py": "logs the `decision_events` dicts of bot/faq/responder.py",
}

# Written, but never stays in the log.
NOT_LOGGED = {
    "preflight": "bot/plan/preflight.py appends one and rolls it back, to test the database",
    "rules_reload_failed": "bot/alerts/service.py hands it to the alert rules, which tell the team",
}

# Kinds that only one rule finds: each rule still matches.
EXPECTED = {
    "chat": "line",
    "alert_sent": "RoomEvent",
    "unmute": "`a if c else b`",
    "stream_started": "_emit",
    "restream_failed": "_report",
    "cue_fired": "events tuples",
    "faq_decision": "kind/data dicts",
}


def _literals(node: ast.expr) -> set[str] | None:
    """The strings `node` can be, or None when it is not made of literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        if body is not None and orelse is not None:
            return body | orelse
    return None


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _kind_arg(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[position]
    return None


def _event_tuples(node: ast.expr) -> set[str]:
    """Kinds in a `[("kind", {...}), ...]` list of the show runner."""
    found: set[str] = set()
    if isinstance(node, ast.List):
        for element in node.elts:
            if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                kinds = _literals(element.elts[0])
                if kinds is not None:
                    found |= kinds
    return found


@functools.cache
def scan() -> tuple[dict[str, set[str]], list[str]]:
    """kind -> files writing it, and the places passing a kind the scan cannot read."""
    kinds: dict[str, set[str]] = {}
    unreadable: list[str] = []
    for top in SOURCES:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel:
                continue
            text = path.read_text(encoding="utf-8")
            if not MAYBE.search(text):
                continue
            tree = ast.parse(text, filename=rel)

            def found(names: set[str], rel: str = rel) -> None:
                for name in names:
                    kinds.setdefault(name, set()).add(rel)

            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = _call_name(node)
                    if name in CALLS:
                        arg = _kind_arg(node, CALLS[name])
                        if arg is None:
                            continue
                        names = _literals(arg)
                        if names is not None:
                            found(names)
                        elif rel not in DYNAMIC_FILES:
                            unreadable.append(f"{rel}:{node.lineno}: {name}({ast.unparse(arg)})")
                    for keyword in node.keywords:
                        if keyword.arg == "events":
                            found(_event_tuples(keyword.value))
                elif isinstance(node, ast.Assign):
                    if any(isinstance(t, ast.Name) and t.id == "events" for t in node.targets):
                        found(_event_tuples(node.value))
                elif isinstance(node, ast.Dict):
                    keys = {
                        k.value: v
                        for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant)
                    }
                    if "kind" in keys and "data" in keys:
                        names = _literals(keys["kind"])
                        if names is not None:
                            found(names)
    for name in NOT_LOGGED:
        kinds.pop(name, None)
    return kinds, unreadable


def documented() -> set[str]:
    """The kinds named in the first column of the table in docs/events.md."""
    out: set[str] = set()
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            out.update(re.findall(r"`([a-z_]+)`", first))
    return out


def test_the_scan_finds_the_log_writers() -> None:
    kinds, _ = scan()
    assert len(kinds) >= 30, sorted(kinds)
    assert EXPECTED.keys() <= kinds.keys(), {k: EXPECTED[k] for k in EXPECTED.keys() - kinds.keys()}


def test_no_kind_is_written_where_the_scan_cannot_read_it() -> None:
    _, unreadable = scan()
    assert not unreadable, (
        "these calls write a kind the test cannot read; pass a literal, or add the file to "
        f"DYNAMIC_FILES with where its kinds come from: {unreadable}"
    )


def test_every_kind_written_has_a_row_in_docs_events_md() -> None:
    kinds, _ = scan()
    missing = {kind: sorted(files) for kind, files in kinds.items() if kind not in documented()}
    assert not missing, f"docs/events.md has no row for these event kinds (written by): {missing}"


def test_every_documented_kind_is_still_written() -> None:
    kinds, _ = scan()
    stale = sorted(documented() - kinds.keys())
    assert not stale, f"docs/events.md documents kinds nothing writes any more: {stale}"
