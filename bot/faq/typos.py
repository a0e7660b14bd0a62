"""Typo repair against the FAQ's own vocabulary: Chinese homophones by (fuzzy) pinyin,
English misspellings by edit distance."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

# Initials and finals that viewers' input methods (and accents) mix up.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ing", "in"), ("eng", "en"), ("ang", "an"))


@cache
def fuzzy_syllable(char: str) -> str:
    syllable = lazy_pinyin(char, style=Style.NORMAL)[0]
    for full, short in _INITIALS:
        if syllable.startswith(full):
            syllable = short + syllable[len(full) :]
            break
    for full, short in _FINALS:
        if syllable.endswith(full):
            syllable = syllable[: -len(full)] + short
            break
    return syllable


def pinyin_key(word: str) -> str:
    return " ".join(fuzzy_syllable(c) for c in word)


class PinyinRepair:
    """Replaces a 2–4 character window that is not a known word but sounds like one.

    A window must share at least one character with the word it becomes (尺吗→尺码,
    退活→退货): two characters that merely sound alike are too often a different word.
    Nor is a character replaced that is itself a known single-character word (`singles`):
    能寄 is 能 + 寄, not a miswritten 能机."""

    def __init__(self, vocabulary: Iterable[str], singles: Iterable[str] = ()) -> None:
        self.known = {w for w in vocabulary if len(w) >= 2}
        self.singles = frozenset(s for s in singles if len(s) == 1)
        self.by_key: dict[str, list[str]] = {}
        for word in sorted(self.known):
            if 2 <= len(word) <= 4:
                self.by_key.setdefault(pinyin_key(word), []).append(word)

    def _candidate(self, window: str) -> str | None:
        best: tuple[int, str] | None = None
        for word in self.by_key.get(pinyin_key(window), ()):
            pairs = list(zip(window, word, strict=True))
            if any(a != b and a in self.singles for a, b in pairs):
                continue
            shared = sum(1 for a, b in pairs if a == b)
            if shared >= 1 and (best is None or shared > best[0]):
                best = (shared, word)
        return best[1] if best else None

    def repair(self, run: str) -> str:
        """`run` is a stretch of CJK characters."""
        out: list[str] = []
        i = 0
        while i < len(run):
            for length in (4, 3, 2):
                window = run[i : i + length]
                if len(window) < length:
                    continue
                if window in self.known:
                    out.append(window)
                    i += length
                    break
                fixed = self._candidate(window)
                if fixed is not None:
                    out.append(fixed)
                    i += length
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


class EnglishRepair:
    """Maps an unknown English word of 5+ letters to a known one at edit distance 1 (2 for long
    words); shorter words are too often other real words ("work" is not "wok")."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.known = sorted({w for w in vocabulary if w.isascii() and w.isalpha() and len(w) >= 3})
        self._known_set = set(self.known)
        self._cache: dict[str, str] = {}

    def repair(self, word: str) -> str:
        if len(word) < 5 or word in self._known_set or not self.known:
            return word
        hit = self._cache.get(word)
        if hit is None:
            cutoff = 1 if len(word) < 7 else 2
            found = process.extractOne(word, self.known, scorer=Levenshtein.distance, score_cutoff=cutoff)
            hit = found[0] if found is not None else word
            if len(self._cache) < 10_000:
                self._cache[word] = hit
        return hit
