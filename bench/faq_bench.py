"""FAQ matcher benchmark: index build time, memory and per-question latency (p50/p99)
at 500 and 5,000 entries, synthesised from the demo FAQ. Prints numbers; not a test.

    .venv/bin/python bench/faq_bench.py [--sizes 500 5000] [--queries 2000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq.evaluate import read_queries  # noqa: E402
from bot.faq.index import FaqIndex  # noqa: E402
from bot.rules import load_faq_rules  # noqa: E402
from bot.rules.models import FaqEntry, Product  # noqa: E402

# Words that turn one demo question into another plausible one (a bigger shop's FAQ).
VARIATIONS = [
    "",
    "请问",
    "这款",
    "冬天",
    "家用",
    "大号",
    "小号",
    "加厚",
    "新款",
    "老人",
    "儿童",
    "办公室",
    "出差",
    "送礼",
]
NOUNS = [
    "锅",
    "壶",
    "杯",
    "毯",
    "袜",
    "茶",
    "衣",
    "鞋",
    "包",
    "帽",
    "围巾",
    "手套",
    "枕头",
    "床单",
    "碗",
    "刀",
]


def synthesise(
    n: int, products: list[Product], faq: list[FaqEntry], rng: random.Random
) -> tuple[list[Product], list[FaqEntry]]:
    shop = [*products]
    for i in range(max(0, n // 10 - len(products))):
        base = products[i % len(products)]
        noun = NOUNS[i % len(NOUNS)]
        shop.append(
            base.model_copy(
                update={
                    "sku": f"SKU-{i:05d}",
                    "name": f"{noun}{i}",
                    "aliases": [f"{noun}{i}", f"{i + 8}号链接"],
                }
            )
        )
    entries = list(faq)
    i = 0
    while len(entries) < n:
        base = faq[i % len(faq)]
        product = rng.choice(shop).sku if base.product else None
        questions = [f"{rng.choice(VARIATIONS)}{q}{rng.choice(['', '呢', '啊'])}" for q in base.q]
        entries.append(FaqEntry(id=f"{base.id}-{i}", product=product, q=questions, a=base.a, tags=base.tags))
        i += 1
    return shop, entries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(
    size: int,
    products: list[Product],
    faq: list[FaqEntry],
    queries: list[tuple[str, str | None]],
    n_queries: int,
) -> None:
    rng = random.Random(size)
    shop, entries = synthesise(size, products, faq, rng)
    skus = [p.sku for p in shop]
    gc.collect()
    started = time.perf_counter()
    index = FaqIndex.build(entries, shop)
    build = time.perf_counter() - started
    # Memory from a second, traced build: tracing slows building down too much to time it.
    del index
    gc.collect()
    tracemalloc.start()
    index = FaqIndex.build(entries, shop)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    latencies: list[float] = []
    for k in range(n_queries):
        text, pinned = queries[k % len(queries)]
        pinned = pinned or (rng.choice(skus) if k % 2 else None)
        t0 = time.perf_counter()
        index.best_match(text, pinned)
        latencies.append((time.perf_counter() - t0) * 1000)
    print(
        f"{size:>6} entries  build {build:6.2f} s  index memory {current / 2**20:6.1f} MiB (peak {peak / 2**20:6.1f})  "
        f"latency p50 {statistics.median(latencies):5.2f} ms  p99 {percentile(latencies, 99):5.2f} ms  "
        f"max {max(latencies):5.2f} ms  ({n_queries} questions)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    products, faq, _ = load_faq_rules(ROOT / "rules")
    rows = read_queries(ROOT / "tests" / "data" / "faq_eval.tsv")
    queries = [(r.query, r.product) for r in rows]
    FaqIndex.build(faq[:1], products).best_match(
        "预热"
    )  # jieba's one-off dictionary load is not the index's cost
    for size in args.sizes:
        run(size, list(products), list(faq), queries, args.queries)


if __name__ == "__main__":
    main()
