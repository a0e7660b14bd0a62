"""`liveroom simulate SHOW --viewers N --seed S [--speed X]`: a deterministic synthetic audience for a show.

The same rules, show, viewer count and seed give the same events and so the same KPIs. The run is written
to the configured database (`DATABASE_URL`) as the room would log it, stamped as a run that has just ended
(a run at `--speed X` lasts the script's length / X).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.rules import RuleErrors, load_rulebook
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    {
        "simulate.done": {
            "zh-CN": "模拟完成：{show} 场次 {run}，{viewers} 位观众，{events} 条事件（种子 {seed}，{speed}× 速）。看复盘：liveroom report {show}",
            "en": "simulated {show} run {run}: {viewers} viewers, {events} events (seed {seed}, speed {speed}×). Review: liveroom report {show}",
        },
        "simulate.no_show": {
            "zh-CN": "没有这场直播：{show}（已有：{known}）",
            "en": "no such show: {show} (known: {known})",
        },
        "simulate.bad_args": {
            "zh-CN": "--viewers 须 ≥ 1，--speed 须 > 0",
            "en": "--viewers must be ≥ 1 and --speed > 0",
        },
    }
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("simulate", help="模拟观众 / a deterministic synthetic audience")
    parser.add_argument("show", help="show id")
    parser.add_argument("--viewers", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, required=True, metavar="S")
    parser.add_argument(
        "--speed", type=float, default=1.0, metavar="X", help="show clock speed-up (default 1)"
    )
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.cli import default_rules_dir
    from bot.review.record import store_run
    from bot.review.simulate import plan_audience
    from bot.review.synthetic import synthesize_log
    from media.store.db import Database

    try:
        rulebook = load_rulebook(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render("zh-CN"):
            print(line, file=sys.stderr)
        return 1
    lang = rulebook.room.language
    if args.show not in rulebook.shows:
        known = ", ".join(sorted(rulebook.shows)) or "—"
        print(t(lang, "simulate.no_show", show=args.show, known=known), file=sys.stderr)
        return 1
    if args.viewers < 1 or args.speed <= 0:
        print(t(lang, "simulate.bad_args"), file=sys.stderr)
        return 2
    script = rulebook.shows[args.show]
    seconds = script.length / args.speed
    end = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = end - dt.timedelta(seconds=seconds)
    steps = plan_audience(rulebook, args.show, args.viewers, args.seed)
    events = synthesize_log(rulebook, args.show, steps, start, args.speed)

    async def store() -> int:
        async with Database.open() as db:
            await db.migrate()
            return await store_run(db, rulebook.room.id, args.show, events, start, end, args.speed)

    run_id = asyncio.run(store())
    print(
        t(
            lang,
            "simulate.done",
            show=args.show,
            run=run_id,
            viewers=args.viewers,
            events=len(events),
            seed=args.seed,
            speed=f"{args.speed:g}",
        )
    )
    return 0
