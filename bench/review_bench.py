"""Review benchmark: KPI computation for a 60-minute show with 10,000 viewers and 1,000,000 events
(generated in memory, seeded), and optionally the same run streamed from SQLite. Prints numbers; not a test.

    .venv/bin/python bench/review_bench.py [--viewers 10000] [--events 1000000] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.review.kpi import compute  # noqa: E402
from bot.review.windows import segment_windows  # noqa: E402
from bot.rules import load_rulebook  # noqa: E402
from media.events import RoomEvent  # noqa: E402

START = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)


def generate(viewers: int, events: int, length: float, skus: list[str], seed: int = 1) -> list[RoomEvent]:
    """Joins and leaves (some viewers with two sockets, some reconnecting), pins every 5 minutes, and
    chat, likes, clicks, claims, orders, entries and ballots at random moments while viewers are present."""
    rng = random.Random(seed)
    timed: list[tuple[float, int, str, str | None, dict[str, object]]] = []
    stays: list[tuple[str, float, float]] = []
    for n in range(viewers):
        viewer = f"v{n:05d}"
        arrive = length * rng.random() ** 1.5
        leave = min(length, arrive + rng.expovariate(1 / 900))
        timed.append((arrive, 0, "viewer_joined", viewer, {"connection_id": f"{viewer}:1"}))
        if leave < length:
            timed.append((leave, 2, "viewer_left", viewer, {"connection_id": f"{viewer}:1"}))
        if rng.random() < 0.1:
            timed.append((arrive + 1, 0, "viewer_joined", viewer, {"connection_id": f"{viewer}:2"}))
            timed.append(
                (min(leave, arrive + 60), 2, "viewer_left", viewer, {"connection_id": f"{viewer}:2"})
            )
        stays.append((viewer, arrive, leave))
    for i, at in enumerate(range(0, int(length), 300)):
        timed.append((float(at), 0, "pin", None, {"sku": skus[i % len(skus)]}))
        timed.append(
            (float(at), 0, "segment_started", None, {"segment_id": f"s{i}", "kind": "", "product": None})
        )
        timed.append(
            (at + 10.0, 0, "coupon_pushed", None, {"coupon_id": f"c{i}", "title": "券", "quantity": 500})
        )
        timed.append((at + 20.0, 0, "vote_opened", None, {"vote_id": f"v{i}", "question": "?"}))
        timed.append((at + 200.0, 0, "vote_closed", None, {"vote_id": f"v{i}", "winner": 0}))
        timed.append((at + 30.0, 0, "lottery_opened", None, {"lottery_id": f"l{i}", "prize": "杯"}))
        timed.append((at + 5.0, 0, "cue_fired", None, {"cue_id": f"cue{i}", "kind": "say", "late": 0.1}))
    kinds = (
        ["like"] * 45 + ["chat"] * 25 + ["click"] * 8 + ["coupon_claimed"] * 5 + ["order"] * 3
        + ["lottery_entry"] * 5 + ["ballot"] * 4 + ["faq_decision"] * 3 + ["gift"] * 2
    )  # fmt: skip
    message = 0
    while len(timed) < events:
        viewer, arrive, leave = stays[rng.randrange(viewers)]
        at = rng.uniform(arrive, leave)
        kind = rng.choice(kinds)
        slot = int(at // 300)
        data: dict[str, object]
        match kind:
            case "like":
                data = {"count": rng.randint(1, 20)}
            case "chat":
                message += 1
                data = {"message_id": f"m{message}", "role": "viewer", "text": "多久发货"}
                if rng.random() < 0.02:
                    timed.append(
                        (
                            at + rng.uniform(10, 120),
                            1,
                            "question_answered",
                            viewer,
                            {"message_id": f"m{message}"},
                        )
                    )
            case "click":
                data = {"sku": skus[slot % len(skus)], "source": "card"}
            case "coupon_claimed":
                data = {"coupon_id": f"c{slot}", "remaining": 1}
            case "order":
                data = {
                    "order_id": f"o{len(timed)}",
                    "sku": rng.choice(skus),
                    "quantity": 1,
                    "amount": f"{rng.randint(19, 599)}.{rng.randint(0, 99):02d}",
                }
            case "lottery_entry":
                data = {"lottery_id": f"l{slot}", "via": "button"}
            case "ballot":
                data = {"vote_id": f"v{slot}", "option": rng.randrange(3)}
            case "faq_decision":
                data = {
                    "message_id": "m0",
                    "decision": rng.choice(("answered", "answered", "abstained", "escalated")),
                }
            case _:
                data = {"gift_id": "rose"}
        timed.append((at, 1, kind, viewer, data))
    timed.sort(key=lambda e: (e[0], e[1]))
    return [RoomEvent.at(START + dt.timedelta(seconds=t), kind, v, d) for t, _, kind, v, d in timed]


async def sqlite_timing(
    events: list[RoomEvent], script_end: dt.datetime, windows_script: object
) -> tuple[float, float]:
    from sqlalchemy import insert

    from bot.review.load import find_run, review_run
    from media.store.db import Database
    from media.store.models import EventRow, ShowRun

    with tempfile.TemporaryDirectory() as folder:
        async with Database.open(f"sqlite+aiosqlite:///{folder}/bench.db") as db:
            await db.migrate()
            began = time.perf_counter()
            async with db.sessions() as session, session.begin():
                run = ShowRun(
                    show_id="demo",
                    room_id="bench",
                    started_at=START,
                    ended_at=script_end,
                    speed=1.0,
                    status="ended",
                )
                session.add(run)
                await session.flush()
                rows = [
                    {
                        "room_id": "bench",
                        "run_id": run.id,
                        "ts": e.ts,
                        "kind": e.kind,
                        "viewer_id": e.viewer_id,
                        "data": dict(e.data),
                    }
                    for e in events
                ]
                for i in range(0, len(rows), 20000):
                    await session.execute(insert(EventRow), rows[i : i + 20000])
            written = time.perf_counter() - began
            began = time.perf_counter()
            async with db.sessions() as session:
                found = await find_run(session, "demo")
            await review_run(db, found, windows_script)  # type: ignore[arg-type]
            return written, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--sqlite", action="store_true", help="also write the run to SQLite and time the review from there"
    )
    args = parser.parse_args()
    rulebook = load_rulebook(ROOT / "rules")
    script = rulebook.shows["demo"]
    end = START + dt.timedelta(seconds=script.length)
    began = time.perf_counter()
    events = generate(args.viewers, args.events, script.length, [p.sku for p in rulebook.products])
    print(
        f"generated {len(events):,} events for {args.viewers:,} viewers in {time.perf_counter() - began:.1f} s"
    )
    windows = segment_windows(script, START, 1.0, end)
    began = time.perf_counter()
    review = compute(events, START, end, windows)
    seconds = time.perf_counter() - began
    show = review.show
    print(
        f"KPI computation: {seconds:.2f} s ({len(events) / seconds:,.0f} events/s) — "
        f"{show.unique_viewers:,} viewers, PCU {show.peak_concurrent:,}, {show.orders:,} orders, GMV {show.gmv}, "
        f"{len(review.segments)} segments, {len(review.products)} products   [target < 10 s: {'OK' if seconds < 10 else 'MISSED'}]"
    )
    if args.sqlite:
        written, loaded = asyncio.run(sqlite_timing(events, end, script))
        print(
            f"SQLite: wrote {len(events):,} events in {written:.1f} s; streamed and computed the review in {loaded:.2f} s"
        )


if __name__ == "__main__":
    main()
