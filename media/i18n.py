"""The message catalogue: every user-facing text in Simplified Chinese and English.

Each area adds its own messages with `CATALOGUE.add(...)` next to the code that
uses them; lookups fall back to Chinese, then to the key itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Catalogue:
    def __init__(self) -> None:
        self._messages: dict[str, dict[str, str]] = {}

    def add(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        for key, texts in messages.items():
            if ZH not in texts:
                raise ValueError(f"message {key!r} has no {ZH} text")
            self._messages[key] = dict(texts)

    def has(self, key: str) -> bool:
        return key in self._messages

    def text(self, lang: str, key: str, /, **params: Any) -> str:
        texts = self._messages.get(key)
        if texts is None:
            template = key
        else:
            template = texts.get(normalise_language(lang)) or texts[ZH]
        return template.format_map(_SafeDict(params))


def normalise_language(lang: str | None) -> str:
    if not lang:
        return ZH
    return EN if lang.lower().startswith("en") else ZH


CATALOGUE = Catalogue()


def t(lang: str | None, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang` (zh-CN by default)."""
    return CATALOGUE.text(lang or ZH, key, **params)
