"""FAQ answerer benchmark, semantic channel included: build time of the answerer (lexical
index + entry embeddings), resident memory, and per-question answer latency (p50/p99) at 500
and 5,000 entries synthesised from the demo FAQ, on one core. Prints numbers; not a test.

    .venv/bin/python bench/faq_bench.py [--sizes 500 5000] [--queries 2000]

Targets (issue 15): p99 <= 20 ms at 500 entries, <= 50 ms at 5,000; build <= 10 s for 500;
resident memory of the answerer <= 300 MB.
"""

from __future__ import annotations

import os

# One core, one BLAS/OpenMP thread: set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import argparse  # noqa: E402
import gc  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import psutil  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.faq.answerer import FaqAnswerer  # noqa: E402
from bot.faq.evaluate import read_queries  # noqa: E402
from bot.faq.semantic import BuiltinEmbedder  # noqa: E402
from bot.rules import load_faq_rules  # noqa: E402
from bot.rules.models import FaqEntry, Product  # noqa: E402

MIB = 2**20

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
    before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    answerer = FaqAnswerer.build(shop, entries, embedder=BuiltinEmbedder())
    build = time.perf_counter() - started
    gc.collect()
    rss = psutil.Process().memory_info().rss
    latencies: list[float] = []
    for k in range(n_queries):
        text, pinned = queries[k % len(queries)]
        pinned = pinned or (rng.choice(skus) if k % 2 else None)
        t0 = time.perf_counter()
        answerer.answer(text, pinned)
        latencies.append((time.perf_counter() - t0) * 1000)
    print(
        f"{size:>6} entries  build {build:6.2f} s  process RSS {rss / MIB:6.1f} MiB "
        f"(+{(rss - before) / MIB:5.1f} for this index)  "
        f"latency p50 {statistics.median(latencies):5.2f} ms  p99 {percentile(latencies, 99):5.2f} ms  "
        f"max {max(latencies):5.2f} ms  ({n_queries} questions, semantic channel included)",
        flush=True,
    )
    del answerer
    gc.collect()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    products, faq, _ = load_faq_rules(ROOT / "rules")
    rows = read_queries(ROOT / "tests" / "data" / "faq_eval.tsv")
    queries = [(r.query, r.product) for r in rows]
    bare = psutil.Process().memory_info().rss
    started = time.perf_counter()
    # The one-off loads (jieba's dictionary, the embedding model) are the process's, not an index's.
    FaqAnswerer.build(products, faq[:1], embedder=BuiltinEmbedder()).answer("预热")
    loaded = psutil.Process().memory_info().rss
    print(
        f"one-off: jieba + embedding model loaded in {time.perf_counter() - started:.2f} s, "
        f"RSS {bare / MIB:.0f} -> {loaded / MIB:.0f} MiB; cpu affinity {sorted(os.sched_getaffinity(0))}",
        flush=True,
    )
    for size in args.sizes:
        run(size, list(products), list(faq), queries, args.queries)


if __name__ == "__main__":
    main()
