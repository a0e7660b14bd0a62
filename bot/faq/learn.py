"""The bot learns from the team: a viewer's wording becomes an example question of an FAQ entry,
or a new entry, written into faq.yaml (comments and layout kept), checked with the rule loader
before the file is touched, and swapped in like any other edit of the rules."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.rules import RuleError, RuleErrors, load_rulebook
from bot.rules.faqedit import FaqEditError, NewEntry, add_entry, add_example, entry_ids, suggest_id
from bot.rules.reload import RulebookHolder
from media.i18n import CATALOGUE

CATALOGUE.add(
    "faq.learn",
    {
        "faq.learn.error.unknown_faq": {
            "zh-CN": "faq.yaml 里没有条目“{detail}”",
            "en": "faq.yaml has no entry '{detail}'",
        },
        "faq.learn.error.duplicate_id": {
            "zh-CN": "faq.yaml 里已经有条目“{detail}”，换一个编号",
            "en": "faq.yaml already has an entry '{detail}'; pick another id",
        },
        "faq.learn.error.not_a_list": {
            "zh-CN": "faq.yaml 不是条目列表，无法自动添加",
            "en": "faq.yaml is not a list of entries; nothing can be added to it",
        },
        "faq.learn.error.rules_refused": {
            "zh-CN": "改完的规则加载不了，faq.yaml 没有改动：{detail}",
            "en": "the edited rules would not load, so faq.yaml was left as it was: {detail}",
        },
        "faq.learn.error.unknown_message": {
            "zh-CN": "没有这条弹幕：{detail}",
            "en": "no such chat message: {detail}",
        },
    },
)

FAQ_FILE = "faq.yaml"


class LearnRefused(Exception):
    """`code`: unknown_faq, duplicate_id, not_a_list, rules_refused (`errors` say why)."""

    def __init__(self, code: str, detail: str = "", errors: list[RuleError] | None = None) -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.errors = errors or []


@dataclass(frozen=True)
class Learned:
    faq_id: str
    created: bool  # a new entry (else the wording was added to an existing one)
    added: bool  # False: the entry already had this wording; nothing was written
    file: str  # faq.yaml as the rules directory names it (e.g. rules/faq.yaml)
    generation: int  # the rulebook generation in force afterwards


@dataclass(frozen=True)
class NewAnswer:
    answer: str
    id: str | None = None
    tags: tuple[str, ...] = ()
    product: str | None = None


@dataclass(frozen=True)
class _Edit:
    faq_id: str
    created: bool
    before: str | None  # the file's text before (None: there was no file)
    after: str | None  # None: nothing to write


class FaqTeacher:
    """Writes what the team taught into faq.yaml, one edit at a time (two taps never race, and the
    rule watcher waits for the edit instead of loading the file a second time)."""

    def __init__(self, holder: RulebookHolder) -> None:
        self.holder = holder

    @property
    def path(self) -> Path:
        return Path(self.holder.current.directory) / FAQ_FILE

    async def learn(
        self, question: str, *, faq_id: str | None = None, new: NewAnswer | None = None
    ) -> Learned:
        """Add `question` to entry `faq_id`, or make a `new` entry answering it. Raises
        `LearnRefused`, leaving the file as it was, when the result would not load."""
        async with self.holder.editing:
            edit = await asyncio.to_thread(self._edit, question.strip(), faq_id, new)
            if edit.after is None:
                return Learned(edit.faq_id, False, False, str(self.path), self.holder.generation)
            await asyncio.to_thread(_write, self.path, edit.after)
            try:
                book = await asyncio.to_thread(load_rulebook, self.path.parent)
            except RuleErrors as exc:  # another rule file changed in between: put ours back
                await asyncio.to_thread(_restore, self.path, edit.before)
                raise LearnRefused("rules_refused", errors=exc.errors) from None
            await self.holder.adopt(book)  # the normal reload: every listener hears the new rulebook
            return Learned(edit.faq_id, edit.created, True, str(self.path), self.holder.generation)

    def _edit(self, question: str, faq_id: str | None, new: NewAnswer | None) -> _Edit:
        path = self.path
        before = path.read_text(encoding="utf-8") if path.exists() else None
        text = before or ""
        try:
            if new is None:
                if faq_id is None:
                    raise LearnRefused("unknown_faq", "")
                after, added = add_example(text, faq_id, question)
                if not added:
                    return _Edit(faq_id, False, before, None)
                edit = _Edit(faq_id, False, before, after)
            else:
                target = new.id or suggest_id(question, entry_ids(text))
                entry = NewEntry(target, question, new.answer.strip(), new.tags, new.product)
                edit = _Edit(target, True, before, add_entry(text, entry))
        except FaqEditError as exc:
            raise LearnRefused(exc.code, exc.detail) from None
        assert edit.after is not None
        _check(path.parent, edit.after)
        return edit


def _check(directory: Path, faq_text: str) -> None:
    """Load the whole rules directory with the edited faq.yaml in place of the file on disk."""
    try:
        load_rulebook(directory, replaced={FAQ_FILE: faq_text})
    except RuleErrors as exc:
        raise LearnRefused("rules_refused", errors=exc.errors) from None


def _write(path: Path, text: str) -> None:
    """Atomically (a reader or the watcher never sees half a file), keeping the file's mode."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".faq-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _restore(path: Path, before: str | None) -> None:
    if before is None:
        path.unlink(missing_ok=True)
    else:
        _write(path, before)
