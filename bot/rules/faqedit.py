"""Edits of faq.yaml as text → text, through a ruamel round trip: comments, blank lines, key order,
flow lists and quoting stay as the planner wrote them; only the edited entry changes."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pypinyin import lazy_pinyin
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

NEW_FILE = "# 常见问题：机器人只从这里找答案，找不到就交给助理。格式见 docs/rules.md。\n"
LEARNED_NOTE = "从直播间学到的（中控台“加入FAQ”）"


class FaqEditError(Exception):
    """The edit cannot be made: `code` is `unknown_faq`, `duplicate_id` or `not_a_list`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class NewEntry:
    id: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    product: str | None = None


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # never re-wrap a long answer
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def _load(text: str) -> CommentedSeq:
    data = _yaml().load(text) if text.strip() else None
    if data is None:
        return CommentedSeq()
    if not isinstance(data, CommentedSeq):
        raise FaqEditError("not_a_list")
    return data


def _dump(data: CommentedSeq, text: str) -> str:
    out = io.StringIO()
    if not data:
        return text if text.strip() else NEW_FILE + "[]\n"
    _yaml().dump(data, out)
    return out.getvalue() if text.strip() else NEW_FILE + "\n" + out.getvalue()


def _flow(items: Sequence[str]) -> CommentedSeq:
    seq = CommentedSeq(list(items))
    seq.fa.set_flow_style()
    return seq


def entry_ids(text: str) -> list[str]:
    return [str(item["id"]) for item in _load(text) if isinstance(item, CommentedMap) and "id" in item]


def add_example(text: str, faq_id: str, question: str) -> tuple[str, bool]:
    """The file with `question` under the entry's `learned:` (made after `q:` if missing); False
    when the entry already has that wording (the text comes back unchanged)."""
    data = _load(text)
    entry = next((e for e in data if isinstance(e, CommentedMap) and e.get("id") == faq_id), None)
    if entry is None:
        raise FaqEditError("unknown_faq", faq_id)
    written = [str(q) for q in entry.get("q") or []]
    learned = entry.get("learned")
    if question in written or (isinstance(learned, list) and question in learned):
        return text, False
    if isinstance(learned, CommentedSeq):
        learned.append(question)
    else:
        keys = list(entry.keys())
        at = keys.index("q") + 1 if "q" in keys else len(keys)
        entry.insert(at, "learned", _flow([question]))
    return _dump(data, text), True


def add_entry(text: str, new: NewEntry) -> str:
    """The file with a new entry at the end (under a comment saying where it came from)."""
    data = _load(text)
    if new.id in entry_ids(text):
        raise FaqEditError("duplicate_id", new.id)
    entry = CommentedMap()
    entry["id"] = new.id
    if new.product is not None:
        entry["product"] = new.product
    entry["q"] = _flow([new.question])
    entry["a"] = new.answer
    if new.tags:
        entry["tags"] = _flow(new.tags)
    data.append(entry)
    if len(data) > 1:
        data.yaml_set_comment_before_after_key(len(data) - 1, before="\n" + LEARNED_NOTE, indent=0)
    return _dump(data, text)


def suggest_id(question: str, taken: Sequence[str]) -> str:
    """An entry id from the question's pinyin (能开发票吗 → neng-kai-fa-piao-ma), unique in `taken`."""
    words = [w.lower() for part in lazy_pinyin(question) for w in re.findall(r"[A-Za-z0-9]+", part)]
    base = "-".join(words)[:48].strip("-") or "learned"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
