"""Chat moderation as a pure decision: allow a line, or refuse it with a reason.

The caller keeps each viewer's recent send times and passes them in; nothing here
touches the network or the clock.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from media.config import Moderation

Reason = Literal["blocked_word", "rate_limit", "too_long", "link", "muted", "empty"]

# Links as people type them in chat: schemes, www., and bare domains with a common suffix.
_LINK = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*://|www\.|\b[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\."
    r"(?:com|cn|net|org|io|co|me|cc|tv|top|xyz|shop|info|link|ly|app|vip|site)\b)",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"[\s\u200b-\u200f\u2060\ufeff·._\-*|/\\]+")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: Reason | None = None
    text: str = ""  # the line as it will be posted (trimmed, control characters removed)


def clean(text: str) -> str:
    """Trim and drop control characters (newlines become spaces)."""
    text = text.replace("\r\n", "\n").replace("\n", " ").replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf")).strip()


def _folded(text: str) -> str:
    # NFKC turns full-width and styled letters into plain ones; separators are dropped
    # so "微 信" and "w.e.i.x.i.n" still match a blocked word.
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def has_link(text: str) -> bool:
    return _LINK.search(unicodedata.normalize("NFKC", text)) is not None


def links_in(text: str) -> list[str]:
    """Every link in `text` as written from its start to the next space (lower-cased, NFKC)."""
    folded = unicodedata.normalize("NFKC", text)
    found: list[str] = []
    end = 0
    for match in _LINK.finditer(folded):
        if match.start() < end:
            continue  # inside the link just read ("www." then its domain)
        end = match.start()
        while end < len(folded) and not folded[end].isspace() and folded[end] not in "，。！？、）)」>\"'":
            end += 1
        found.append(folded[match.start() : end].lower().rstrip(".,;:!?"))
    return found


def blocked_word(text: str, words: Sequence[str]) -> str | None:
    """The first of `words` in `text` (ignoring width, case and separators), or None."""
    folded = _folded(text)
    return next((word for word in words if word and _folded(word) in folded), None)


def rate_limited(recent: Sequence[float], now: float, rule: Moderation) -> bool:
    """True when `rule.rate_messages` lines were already sent in the last `rate_per_seconds`."""
    window_start = now - rule.rate_per_seconds
    return sum(1 for t in recent if t > window_start) >= rule.rate_messages


def moderate(
    text: str,
    *,
    rule: Moderation,
    staff: bool,
    muted: bool,
    recent: Sequence[float],
    now: float,
) -> Decision:
    """Decide whether one chat line goes out. Staff (bot, team, host) skip rate and link rules."""
    line = clean(text)
    if not line:
        return Decision(False, "empty")
    if staff:
        return Decision(True, None, line)
    if muted:
        return Decision(False, "muted", line)
    if len(line) > rule.max_message_length:
        return Decision(False, "too_long", line)
    if rate_limited(recent, now, rule):
        return Decision(False, "rate_limit", line)
    if blocked_word(line, rule.blocked_words) is not None:
        return Decision(False, "blocked_word", line)
    if rule.links != "allow" and has_link(line):
        return Decision(False, "link", line)
    return Decision(True, None, line)
