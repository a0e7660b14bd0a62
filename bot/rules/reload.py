"""Hot reload: watch the rule files, swap in a new rulebook atomically, keep the last good one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.rules import Rulebook, RuleError, RuleErrors, load_rulebook
from bot.rules.load import rule_files

log = logging.getLogger(__name__)

Listener = Callable[[Rulebook], Awaitable[None] | None]
FailureListener = Callable[[list[RuleError]], Awaitable[None] | None]


def root_first(errors: list[RuleError], changed: set[str]) -> list[RuleError]:
    """The errors with the likely cause first: those in the files that changed (a syntax error
    before anything else in them), then the rest, each group in file and line order."""
    return sorted(
        errors,
        key=lambda e: (e.file not in changed, not e.code.startswith("yaml_"), e.file, e.line, e.key),
    )


def _fingerprint(directory: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for path in rule_files(directory):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


@dataclass
class RulebookHolder:
    """The rulebook in force, its generation number, and the last reload's problems."""

    current: Rulebook
    generation: int = 1
    loaded_at: float = field(default_factory=time.time)
    errors: list[RuleError] = field(default_factory=list)
    on_reload: list[Listener] = field(default_factory=list)
    on_failure: list[FailureListener] = field(default_factory=list)
    # The rule files as last read (path, mtime, size): the watcher reloads when they differ.
    fingerprint: tuple[tuple[str, int, int], ...] | None = None
    # Held while the bot itself writes a rule file and swaps the result in; the watcher waits.
    editing: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def adopt(self, rulebook: Rulebook) -> None:
        """Swap in a rulebook just written and loaded by the bot itself (the FAQ learned from the
        team): the watcher takes the files as they are now as read, so it does not load them again."""
        self.fingerprint = await asyncio.to_thread(_fingerprint, Path(rulebook.directory))
        await self.swap(rulebook)

    async def swap(self, rulebook: Rulebook) -> None:
        self.current = rulebook
        self.generation += 1
        self.loaded_at = time.time()
        self.errors = []
        for listener in list(self.on_reload):
            result = listener(rulebook)
            if result is not None:
                await result

    async def fail(self, errors: list[RuleError]) -> None:
        self.errors = errors
        for listener in list(self.on_failure):
            result = listener(errors)
            if result is not None:
                await result


async def watch_rules(holder: RulebookHolder, interval: float = 0.5) -> None:
    """Poll the rule files' mtimes; on change reload (off the event loop) and swap or report."""
    directory = Path(holder.current.directory)
    holder.fingerprint = _fingerprint(directory)
    while True:
        await asyncio.sleep(interval)
        if holder.editing.locked():
            continue
        now = await asyncio.to_thread(_fingerprint, directory)
        if holder.editing.locked():
            continue  # the edit began while we looked: it swaps its own result in
        seen = holder.fingerprint or ()
        if now == seen:
            continue
        changed = {path for path, _, _ in set(now) ^ set(seen)}
        holder.fingerprint = now
        try:
            rulebook = await asyncio.to_thread(load_rulebook, directory)
        except RuleErrors as exc:
            errors = root_first(exc.errors, changed)
            for error in errors:
                log.error("规则重新加载失败 rules reload failed: %s", error.render("zh-CN"))
            log.error("仍在使用上一版规则 keeping the last good rulebook (generation %d)", holder.generation)
            await holder.fail(errors)
            continue
        except Exception:  # a bug must not kill the watcher mid-show
            log.exception("rules reload crashed; keeping the last good rulebook")
            continue
        await holder.swap(rulebook)
        log.info("规则已重新加载 rules reloaded (generation %d)", holder.generation)
