"""The last check before the bot posts a line: the room's moderation rules apply to the bot too.

Blocked words (room.yaml `moderation.blocked_words`) are never posted; a link is posted only when
the rule files wrote it (a product's or coupon's link, or one in an FAQ answer), whatever the
viewers' link policy, so a model that invents `http://evil.example` is not heard."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.rules import Rulebook
from media.hub.moderation import blocked_word, links_in


@dataclass(frozen=True)
class BotTextGuard:
    blocked_words: tuple[str, ...] = ()
    known_links: frozenset[str] = frozenset()

    @classmethod
    def of(cls, book: Rulebook) -> BotTextGuard:
        written: Iterable[str] = [
            *(p.link for p in book.products),
            *(c.link for c in book.coupons),
            *(e.a for e in book.faq),
        ]
        links = frozenset(link for text in written for link in links_in(text))
        return cls(tuple(book.room.moderation.blocked_words), links)

    def refusal(self, text: str) -> str | None:
        """None when the bot may post `text`; else why not (`blocked_word` or `link`)."""
        if blocked_word(text, self.blocked_words) is not None:
            return "blocked_word"
        if any(link not in self.known_links for link in links_in(text)):
            return "link"
        return None
