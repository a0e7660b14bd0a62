"""One canonical spelling for viewer text: Simplified Chinese, half-width, lower case,
no emoji or filler, English words stemmed, so the matcher compares like with like."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
CJK_RUN = re.compile(f"[{_CJK}]+")
_IS_CJK = re.compile(f"[{_CJK}]")
LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# Addressing and particles viewers sprinkle everywhere; they carry no question.
# 主播 is *not* here: "主播多大了" asks about the host, not the pinned product.
_FILLER_PHRASES = (
    "宝宝们",
    "宝子们",
    "家人们",
    "姐妹们",
    "集美们",
    "小姐姐",
    "宝宝",
    "宝子",
    "姐妹",
    "亲亲",
    "亲们",
    "请问一下",
    "请问",
    "想问一下",
    "想问下",
    "问一下",
    "问下",
    "我想问",
)
_FILLER_CHARS = "啊呀哈哦噢喔嘛啦咯哇吖呐嘿哎诶欸嗯呗"
_FILLER_RE = re.compile("|".join(map(re.escape, _FILLER_PHRASES)) + f"|[{_FILLER_CHARS}]+")
# 亲 alone is filler only where it addresses someone (start or end), not in 亲肤.
_QIN_RE = re.compile(r"^亲+(?![肤人子自戚手密切爱属])|亲+$")
_CN_DIGITS = {
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
    "十": "10",
}
_CN_NUMBER_HAO = re.compile(r"([一二两三四五六七八九十])(?=号)")
_REPEAT = re.compile(r"(\D)\1{2,}")
_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[a-z])")
_SEPARATORS = re.compile(r"[^\w\u3400-\u4dbf\u4e00-\u9fff]+")


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_converter().convert(text))


def is_cjk(char: str) -> bool:
    return bool(_IS_CJK.match(char))


@cache
def stem(word: str) -> str:
    """A light English stemmer: ships/shipped/shipping → ship, sizes/size → siz, deliveries → delivery."""
    if len(word) <= 3:
        return word
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def basic(text: str) -> str:
    """Width, script and case folded; punctuation and emoji become single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower()
    text = _APOSTROPHE.sub("", text)
    text = _CN_NUMBER_HAO.sub(lambda m: _CN_DIGITS[m.group(1)], text)
    text = _SEPARATORS.sub(" ", text.replace("_", " "))
    return " ".join(text.split())


_ADDRESSING_RE = re.compile("|".join(map(re.escape, _FILLER_PHRASES)))


def strip_addressing(text: str) -> str:
    """宝宝们 / 姐妹 / 请问… and an addressing 亲 out; the rest of the text as it was."""
    text = _ADDRESSING_RE.sub(" ", text)
    return " ".join(_QIN_RE.sub("", part) for part in text.split())


def strip_filler(text: str) -> str:
    text = _FILLER_RE.sub(" ", text)
    text = " ".join(_QIN_RE.sub("", part) for part in text.split())
    text = _REPEAT.sub(r"\1", text)
    return " ".join(text.split())


def normalise(text: str) -> str:
    """The matcher's view of `text`: basic folding, filler removed, English words stemmed."""
    folded = strip_filler(basic(text))
    return LATIN_WORD.sub(lambda m: stem(m.group(0).replace("'", "")), folded)
