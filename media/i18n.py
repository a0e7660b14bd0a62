"""The message catalogue: every user-facing text in Simplified Chinese and English.

Each module adds its own messages next to the code that uses them, under a namespace of its
own: `CATALOGUE.add("show", {"show.lottery.rules": {...}})`. A key outside the namespace, a
namespace another module already holds, or a key added twice is refused at import, so two
texts can never silently replace each other. Lookups fall back to Chinese, then to the key.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

ZH = "zh-CN"
EN = "en"
LANGUAGES = (ZH, EN)


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class CatalogueError(ValueError):
    """A text that would clash with another: raised at import, so it never ships."""


class Catalogue:
    def __init__(self) -> None:
        self._messages: dict[str, dict[str, str]] = {}
        self.owners: dict[str, str] = {}  # namespace -> the module that holds it

    def add(
        self, namespace: str, messages: Mapping[str, Mapping[str, str]], *, owner: str | None = None
    ) -> None:
        """Add `messages`, every key `namespace.…`; the calling module holds `namespace`."""
        owner = owner or sys._getframe(1).f_globals.get("__name__", "?")
        held = self.owners.setdefault(namespace, owner)
        if held != owner:
            raise CatalogueError(f"namespace {namespace!r} belongs to {held}; {owner} may not add to it")
        for key, texts in messages.items():
            if not key.startswith(namespace + "."):
                raise CatalogueError(f"message {key!r} of {owner} is outside its namespace {namespace!r}")
            if key in self._messages:
                raise CatalogueError(f"message {key!r} is defined twice ({owner})")
            if ZH not in texts:
                raise CatalogueError(f"message {key!r} has no {ZH} text")
            self._messages[key] = dict(texts)

    def keys(self) -> set[str]:
        return set(self._messages)

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


CURRENCY_SIGNS = {"CNY": "¥", "JPY": "¥", "HKD": "HK$", "TWD": "NT$", "USD": "$", "EUR": "€", "GBP": "£"}


def currency_sign(code: str) -> str:
    """How an amount in `code` is written: ¥159.00, HK$159.00, or `SGD 159.00` for codes without a sign."""
    return CURRENCY_SIGNS.get(code, f"{code} ")
