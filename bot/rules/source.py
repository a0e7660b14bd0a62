"""YAML files read with the line of every node kept, so every error can point at it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.rules.errors import RuleError

Path_ = tuple[str | int, ...]


@dataclass
class SourceFile:
    """Plain data from one YAML file plus the 1-based line of every key and item."""

    name: str  # as shown to the user, e.g. "rules/faq.yaml"
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return 1


def read_yaml(path: Path, shown_as: str) -> SourceFile:
    """Parse one file. A syntax error becomes a `RuleError` at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(shown_as, 1, "", "yaml_encoding", {"detail": str(exc)}) from exc
    return parse_yaml(text, shown_as)


def parse_yaml(text: str, shown_as: str) -> SourceFile:
    """Parse one file's text (`read_yaml`'s second half, for a text not written yet)."""
    yaml = YAML(typ="rt", pure=True)
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        raise syntax_error(exc, shown_as) from exc
    except YAMLError as exc:
        raise RuleError(shown_as, 1, "", "yaml_syntax", {"detail": str(exc)}) from exc
    source = SourceFile(shown_as, None)
    source.lines[()] = 1
    source.data = _plain(tree, (), source.lines)
    return source


# Constructs that open on one line and may run on to the end of the file: the error is where they
# open (an unclosed quote is reported at its line, not at the end of the file).
_OPENING = ("while scanning a ", "while parsing a flow ")


def syntax_error(exc: MarkedYAMLError, shown_as: str) -> RuleError:
    """A YAML syntax error at the line where the broken construct begins."""
    problem = exc.problem or exc.context or "syntax error"
    noticed = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    opened = exc.context_mark.line + 1 if exc.context_mark is not None else None
    context = exc.context or ""
    if opened is not None and context.startswith(_OPENING):
        if context == "while scanning a quoted scalar":
            return RuleError(shown_as, opened, "", "yaml_unclosed_quote", {"end": noticed or opened})
        detail = f"{problem} ({context.removeprefix('while ')}, line {noticed or opened})"
        return RuleError(shown_as, opened, "", "yaml_syntax", {"detail": detail})
    return RuleError(shown_as, noticed or opened or 1, "", "yaml_syntax", {"detail": problem})


def _plain(node: Any, path: Path_, lines: dict[Path_, int]) -> Any:
    """ruamel's round-trip nodes → dicts, lists and scalars, recording lines on the way."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:
            line = node.lc.key(key)[0] + 1
            child = (*path, str(key))
            lines[child] = line
            out[str(key) if not isinstance(key, str) else key] = _plain(node[key], child, lines)
        return out
    if isinstance(node, CommentedSeq):
        items: list[Any] = []
        for index, value in enumerate(node):
            lines[(*path, index)] = node.lc.item(index)[0] + 1
            items.append(_plain(value, (*path, index), lines))
        return items
    if isinstance(node, dt.datetime):
        # ruamel's TimeStamp keeps the zone separately; rebuild a plain datetime.
        tzinfo = node.tzinfo
        plain = dt.datetime(
            node.year, node.month, node.day, node.hour, node.minute, node.second, node.microsecond
        )
        return plain.replace(tzinfo=tzinfo) if tzinfo is not None else plain
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node
