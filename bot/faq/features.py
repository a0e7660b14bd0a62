"""Text → matcher features: synonym concepts, words (jieba), English stems, numbers and
character bigrams, plus the products a question names."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import jieba

from bot.faq.lexicon import Lexicon
from bot.faq.normalise import CJK_RUN, LATIN_WORD, is_cjk, normalise, stem
from bot.faq.typos import EnglishRepair, PinyinRepair
from bot.rules.models import Product

ZH_STOP = frozenset(
    "吗 呢 吧 么 的 地 得 了 是 是不是 是否 我 你 您 他 她 它 们 这 那 这个 那个 这款 那款 这件 那件 一下 一个 个 也 都 就 还 和 跟 给 把 被 在 "
    "有 要 会 不 没 下 上 又 再 呗 滴 哈 吖 嘛 咋样 么样 请 谢谢 一 就是 还是 现在 今天 话 效果 那个 这边 大概 大约 一般".split()
)
EN_STOP = frozenset(
    stem(w)
    for w in "a an the is are am was were be been do does did i you it its this that these those my your me we "
    "our us to of for on in at with and or if so please pls plz thanks thank u ur r there will would should "
    "shall may might have has had what it's i'm just also "
    # chat padding around short English questions ("refund ok?", "ship today?", "hi host")
    "or now still yet today tonight get got gonna wanna want need know tell guys hey hi hello dear lol haha "
    "thx ty omg item product thing stuff who not provid offer".split()
)
# Modal verbs jieba glues to the next character: 能开 → 能 + 开.
MODALS = frozenset("能会要可想")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[\u3400-\u4dbf\u4e00-\u9fff]+")
# The N-th product of the 小黄车 (products.yaml order): 3号链接 / 3号 / 链接3 / link 3 / #3 / item 3.
# normalise() already wrote 三号 as 3号. A number larger than the product count (a shoe size
# 38号, an order #48213) names nothing.
_LINK_NUMBER = re.compile(
    r"(?<![\d.])(\d{1,2})\s?号(?:链接|宝贝|商品|款)?(?![\d])|(?:链接|link|item)\s?(\d{1,2})(?![\d.])"
)


# English head nouns that name a kind of pack, not the product: "Knife Block Set" is a knife
# block, "Duvet Cover" a duvet cover.
_PACK_WORDS = frozenset("set pack trio kit cover piece pair bundle box combo duo".split())
_PACK_RUNS = frozenset("礼盒 套装 组合 装 盒装 袋装 瓶 袋 片装".split())


def head_names(name: str) -> list[str]:
    """What viewers call a product by the head of its name, when products.yaml gives no alias:
    软糯羊毛混纺针织开衫 → 开衫, 针织开衫; Basecamp Rechargeable Lantern → lantern; Stonewashed
    Linen Duvet Cover → duvet cover. General grammar (the head noun comes last), no word list."""
    text = re.sub(r"[(（][^)）]*[)）]", " ", name)
    text = re.sub(r"\d[\d.]*\s*(?:[A-Za-z]+|[\u4e00-\u9fff])?", " ", text)  # 2斤, 32 oz
    runs = [r for r in CJK_RUN.findall(text) if len(r) >= 2 and r not in _PACK_RUNS]
    found: list[str] = []
    if runs:
        words = [w for w in segment(runs[-1]) if w.strip()]
        if words:
            head, rest = words[-1], words[:-1]
            while len(head) <= 2 and rest and len(rest[-1]) == 1:
                head = rest.pop() + head
            if len(head) >= 2:
                found.append(head)
            if rest and len(rest[-1]) >= 2:
                found.append(rest[-1] + head)
    else:
        latin = [w for w in re.findall(r"[A-Za-z]+", text) if len(w) > 1]
        if latin and latin[-1].lower() in _PACK_WORDS:
            if len(latin) >= 2:
                found.append(" ".join(latin[-2:]))
        elif latin and len(latin[-1]) >= 3:
            found.append(latin[-1])
            if len(latin) >= 2:
                found.append(" ".join(latin[-2:]))
    return found


@cache
def _tokenizer() -> jieba.Tokenizer:
    """jieba's dictionary takes about a second to load: once per process, on first use."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def segment(text: str) -> list[str]:
    return [w for w in _tokenizer().lcut(text) if w.strip()]


@dataclass(frozen=True)
class Analysis:
    """What the matcher sees of one text."""

    normalised: str
    words: tuple[str, ...]
    bigrams: tuple[str, ...]
    products: frozenset[str]
    weak: frozenset[str]

    @property
    def empty(self) -> bool:
        return not self.words and not self.bigrams


class Analyzer:
    """Built once per rulebook; `analyse` is then pure and fast."""

    def __init__(self, lexicon: Lexicon, products: Sequence[Product], corpus: Iterable[str]) -> None:
        self.lexicon = lexicon
        self.link_order = [p.sku for p in products]
        alias_products: dict[str, set[str]] = {}
        for product in products:
            for alias in (product.name, *product.aliases):
                term = normalise(alias)
                if term:
                    alias_products.setdefault(term, set()).add(product.sku)
        # The head of a product's name names it too, when it names only that product and is
        # not already a word of the shop's own aliases or of the general lexicon.
        heads: dict[str, set[str]] = {}
        for product in products:
            for head in head_names(product.name):
                term = normalise(head)
                if term and term not in alias_products and term not in lexicon.concept_of:
                    heads.setdefault(term, set()).add(product.sku)
        for term, skus in heads.items():
            if len(skus) == 1:
                alias_products[term] = skus
        # A synonym of an alias names the product too ("kettle" → 水壶 → KETTLE-02).
        concept_products: dict[str, set[str]] = {}
        for term, skus in alias_products.items():
            concept = lexicon.concept_of.get(term)
            if concept is not None:
                concept_products.setdefault(concept, set()).update(skus)
        self.term_products: dict[str, frozenset[str]] = {}
        for term, concept in lexicon.concept_of.items():
            if concept in concept_products:
                self.term_products[term] = frozenset(concept_products[concept])
        for term, skus in alias_products.items():
            self.term_products[term] = frozenset(skus)

        # Single characters are left to jieba ("退" in 能退吗, not in 退休), except product aliases
        # the operators chose (锅), which jieba would glue to the next character (锅能).
        scanned = [
            t
            for t in {*lexicon.concept_of, *self.term_products}
            if len(t) > 1 or not is_cjk(t) or t in self.term_products
        ]
        scanned.sort(key=len, reverse=True)
        parts = [
            re.escape(t) if is_cjk(t[0]) and is_cjk(t[-1]) else rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])"
            for t in scanned
        ]
        self._scan = re.compile("|".join(parts)) if parts else re.compile(r"(?!x)x")

        corpus_words: set[str] = set()
        for text in corpus:
            norm = normalise(text)
            for run in CJK_RUN.findall(norm):
                corpus_words.update(w for w in segment(run) if len(w) >= 2)
            corpus_words.update(LATIN_WORD.findall(norm))
        cjk_terms = [t for t in [*lexicon.concept_of, *alias_products] if t and all(is_cjk(c) for c in t)]
        singles = [t for t in lexicon.concept_of if len(t) == 1 and is_cjk(t)]
        self.pinyin = PinyinRepair([*cjk_terms, *(w for w in corpus_words if is_cjk(w[0]))], singles)
        self._corpus_words = frozenset(corpus_words)
        latin_terms = [w for t in lexicon.concept_of for w in t.split() if w.isascii()]
        self.english = EnglishRepair([*latin_terms, *(w for w in corpus_words if w.isascii()), *EN_STOP])

    def _repair(self, text: str) -> str:
        text = CJK_RUN.sub(lambda m: self.pinyin.repair(m.group(0)), text)
        return LATIN_WORD.sub(lambda m: self.english.repair(m.group(0)), text)

    def _words(self, run: str) -> list[str]:
        """jieba's words, except that a word made only of single-character concepts and
        particles is split into them: 能换 is 能 + 换, and 换 is what the FAQ knows."""
        out: list[str] = []
        for word in segment(run):
            if (
                len(word) > 1
                and word not in self.lexicon.concept_of
                and word not in self.term_products
                and all(c in ZH_STOP or c in self.lexicon.concept_of for c in word)
            ):
                out.extend(word)
            elif (
                len(word) == 2
                and word[0] in MODALS
                and word not in self.lexicon.concept_of
                and word not in self.term_products
                and word not in self._corpus_words
            ):
                # jieba glues a modal to the verb after it (能开, 会掉): the verb is the word.
                out.extend(word)
            else:
                out.append(word)
        return out

    def link_products(self, norm: str) -> tuple[str, set[str]]:
        """`norm` without its link numbers, and the products they name."""
        named: set[str] = set()

        def take(m: re.Match[str]) -> str:
            number = int(m.group(1) or m.group(2))
            if 1 <= number <= len(self.link_order):
                named.add(self.link_order[number - 1])
                return " "
            return m.group(0)

        return _LINK_NUMBER.sub(take, norm), named

    def analyse(self, text: str) -> Analysis:
        norm, products = self.link_products(normalise(text))
        norm = self._repair(norm)
        words: list[str] = []
        weak: set[str] = set()
        units: list[str] = []

        def plain(span: str) -> None:
            for token in _TOKEN.findall(span):
                if _NUMBER.fullmatch(token):
                    words.append("n:" + token)
                    units.append(token)
                elif token.isascii():
                    if token not in EN_STOP:
                        concept = self.lexicon.concept_of.get(token)
                        words.append("c:" + concept if concept else "e:" + token)
                        units.append(concept or token)
                else:
                    for word in self._words(token):
                        skus = self.term_products.get(word)
                        if skus:
                            products.update(skus)
                            continue
                        if word in ZH_STOP:
                            continue
                        concept = self.lexicon.concept_of.get(word)
                        feature = "c:" + concept if concept else "w:" + word
                        words.append(feature)
                        if len(word) == 1 and concept is None:
                            weak.add(feature)
                        units.extend(concept or word)

        cursor = 0
        for hit in self._scan.finditer(norm):
            plain(norm[cursor : hit.start()])
            cursor = hit.end()
            term = hit.group(0)
            skus = self.term_products.get(term)
            if skus:
                products.update(skus)
                continue
            concept = self.lexicon.concept_of[term]
            words.append("c:" + concept)
            units.extend(concept if is_cjk(concept[0]) else [concept])
        plain(norm[cursor:])

        if len(units) == 1:
            bigrams = ["b:" + units[0]]
        else:
            bigrams = ["b:" + a + b for a, b in itertools.pairwise(units)]
        return Analysis(norm, tuple(words), tuple(bigrams), frozenset(products), frozenset(weak))
