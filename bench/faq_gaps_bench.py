"""How long `liveroom faq gaps` takes to group a show's handed-over questions by meaning
(bot/review/gaps.py `group_by_meaning`, O(n²) over the distinct wordings). Prints numbers."""

from __future__ import annotations

import random
import time

from bot.review.gaps import _features, group_by_meaning

TOPICS = [
    "几点下播",
    "有没有实体店",
    "能开专票吗",
    "主播身高多少",
    "衣服哪里买",
    "可以货到付款吗",
    "发票抬头怎么写",
    "能不能便宜点",
]
FILL = ["主播", "亲", "宝宝", "请问", "今天", "这个", "呀", "啊", "吗", "~", "[捂脸]", "哈哈"]


def wordings(n: int, seed: int = 1) -> list[str]:
    """`n` distinct wordings of the topics (fillers before and after), each asked 1–3 times."""
    rng = random.Random(seed)
    combos = [f"{a}{topic}{b}" for topic in TOPICS for a in FILL for b in FILL]
    rng.shuffle(combos)
    distinct = combos[:n]
    return [text for text in distinct for _ in range(rng.randint(1, 3))]


def main() -> None:
    _features("預熱")  # OpenCC loads its dictionaries once (about 1 s), before the first timing
    for n in (100, 300, 1000):
        texts = wordings(n)
        _features.cache_clear()
        started = time.perf_counter()
        groups = group_by_meaning(texts)
        seconds = time.perf_counter() - started
        print(
            f"{n:5d} distinct wordings ({len(texts)} questions): {seconds * 1000:7.1f} ms, {len(groups)} groups"
        )


if __name__ == "__main__":
    main()
