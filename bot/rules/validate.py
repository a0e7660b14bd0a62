"""Pydantic validation errors turned into `RuleError`s that point at file, line and key."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.rules.errors import RuleError
from bot.rules.source import Path_, SourceFile
from media.i18n import CATALOGUE

_SCALAR_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "decimal"}


def validate(source: SourceFile, root: Any) -> tuple[Any, list[RuleError]]:
    """Validate `source.data` as `root`; return the value (or None) and every problem."""
    try:
        return TypeAdapter(root).validate_python(source.data), []
    except ValidationError as exc:
        problems: list[RuleError] = []
        seen: set[tuple[int, str, str]] = set()
        for error in exc.errors():
            problem = _to_rule_error(source, root, error)
            if problem is None:
                continue
            mark = (problem.line, problem.key, problem.code)
            if mark not in seen:
                seen.add(mark)
                problems.append(problem)
        problems = _drop_misspelt_missing(problems)
        if not problems:  # every error came from a union branch we dropped: keep one honest line
            problems.append(_to_rule_error(source, root, exc.errors()[0], keep_all=True))  # type: ignore[arg-type]
        return None, problems


def _drop_misspelt_missing(problems: list[RuleError]) -> list[RuleError]:
    """A misspelt required key is one problem: keep "unknown key, did you mean X", drop "X missing"."""
    suggested = {
        (p.key.rpartition(".")[0] if "." in p.key else "", p.params.get("name"))
        for p in problems
        if p.code == "unknown_key_did_you_mean"
    }

    def parent_and_key(p: RuleError) -> tuple[str, object]:
        return (p.key.rpartition(".")[0] if "." in p.key else "", p.params.get("key"))

    return [p for p in problems if not (p.code == "missing" and parent_and_key(p) in suggested)]


def _to_rule_error(source: SourceFile, root: Any, error: Any, *, keep_all: bool = False) -> RuleError | None:
    kind: str = error["type"]
    loc: tuple[str | int, ...] = tuple(error["loc"])
    path: list[str | int] = []
    node: Any = source.data
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif last and kind == "missing":
            path.append(part)
        elif isinstance(part, str) and not keep_all:
            # A union branch tag (e.g. "str" or "WinnerOf"): keep only the branch the input can be.
            is_scalar_tag = part.split("[")[0].lower() in _SCALAR_TAGS
            if isinstance(node, dict) and is_scalar_tag:
                return None
            if not isinstance(node, dict) and not is_scalar_tag and part[:1].isupper():
                return None
        # anything else (function-after tags, etc.) is skipped
    params: dict[str, Any] = {k: _show(v) for k, v in (error.get("ctx") or {}).items()}
    line = source.line(tuple(path))
    key = _key_text(path)
    if kind == "missing":
        params["key"] = str(path[-1]) if path else ""
        line = source.line(tuple(path[:-1]))
    elif kind == "extra_forbidden":
        name = str(path[-1]) if path else ""
        params["key"] = name
        kind, extra = _suggest(root, tuple(path[:-1]), name)
        params.update(extra)
    elif kind in ("value_error", "assertion_error"):
        params["detail"] = str(error.get("msg", ""))
        kind = "value_error"
    elif kind not in _KNOWN_CODES and not _is_custom(kind):
        params["detail"] = str(error.get("msg", ""))
        kind = "invalid"
    return RuleError(source.name, line, key, kind, params)


def _is_custom(kind: str) -> bool:
    return CATALOGUE.has(f"rules.{kind}")


_KNOWN_CODES = {"missing", "extra_forbidden"}


def _show(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _key_text(path: list[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _suggest(root: Any, parent: Path_, name: str) -> tuple[str, dict[str, str]]:
    """The unknown-key message code: with the closest allowed key, else the list of allowed keys."""
    allowed = allowed_keys(root, parent)
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return "unknown_key_did_you_mean", {"name": close[0]}
    if allowed:
        return "unknown_key_allowed", {"names": ", ".join(allowed)}
    return "unknown_key", {}


def allowed_keys(root: Any, path: Path_) -> list[str]:
    """The keys a user may write at `path` inside data validated as `root`."""
    candidates = [root]
    for part in path:
        next_candidates: list[Any] = []
        for cand in candidates:
            for t in _members(cand):
                origin = typing.get_origin(t)
                if isinstance(part, int) and origin in (list, tuple):
                    next_candidates.extend(typing.get_args(t)[:1])
                elif isinstance(part, str) and isinstance(t, type) and issubclass(t, BaseModel):
                    for fname, finfo in t.model_fields.items():
                        if (finfo.alias or fname) == part:
                            next_candidates.append(finfo.annotation)
                elif isinstance(part, str) and origin is dict:
                    next_candidates.append(typing.get_args(t)[1])
        candidates = next_candidates
    keys: list[str] = []
    for cand in candidates:
        for t in _members(cand):
            if isinstance(t, type) and issubclass(t, BaseModel):
                keys.extend(f.alias or n for n, f in t.model_fields.items())
    return list(dict.fromkeys(keys))


def _members(t: Any) -> list[Any]:
    """Unwrap Annotated and unions into the plain types they may be."""
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        return _members(typing.get_args(t)[0])
    if origin is typing.Union or origin is types.UnionType:
        out: list[Any] = []
        for arg in typing.get_args(t):
            out.extend(_members(arg))
        return out
    return [t]
