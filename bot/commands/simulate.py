"""`liveroom simulate SHOW --viewers N --seed S [--speed X] [--url URL]`: a deterministic synthetic audience.

The same rules, show, viewer count and seed give the same plan. Without `--url` the plan is turned into the
event log the room would write and stored in the configured database (`DATABASE_URL`), stamped as a run
that has just ended (a run at `--speed X` lasts the script's length / X). With `--url` the plan is played
live against a running server through the room protocol — one WebSocket per simulated viewer, paced by
`--speed` (start the server with `liveroom run --start SHOW --speed X` so the show's cues line up).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys

from bot.rules import Rulebook, RuleErrors, load_rulebook
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "simulate",
    {
        "simulate.done": {
            "zh-CN": "模拟完成：{show} 场次 {run}，{viewers} 位观众，{events} 条事件（种子 {seed}，{speed}× 速）。看复盘：liveroom report {show}",
            "en": "simulated {show} run {run}: {viewers} viewers, {events} events (seed {seed}, speed {speed}×). Review: liveroom report {show}",
        },
        "simulate.no_show": {
            "zh-CN": "没有这场直播：{show}（已有：{known}）",
            "en": "no such show: {show} (known: {known})",
        },
        "simulate.driving": {
            "zh-CN": "模拟观众进入 {url} 的直播间 {room}：{viewers} 位（Ctrl-C 停止）",
            "en": "driving {viewers} simulated viewers into room {room} at {url} (Ctrl-C stops)",
        },
        "simulate.bad_args": {
            "zh-CN": "--viewers 须 ≥ 1，--speed 须 > 0",
            "en": "--viewers must be ≥ 1 and --speed > 0",
        },
    },
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
    parser.add_argument(
        "--url",
        default=None,
        metavar="URL",
        help="play the audience live against this server (e.g. http://127.0.0.1:8080) over WebSockets; "
        "without it the run is written straight to the database (DATABASE_URL)",
    )
    parser.add_argument("--room", default=None, help="room id with --url (default: the rules' room)")
    parser.add_argument(
        "--max-sockets", type=int, default=500, metavar="N", help="at most N sockets open at once with --url"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir
    from bot.sim.record import store_run
    from bot.sim.simulate import plan_audience
    from bot.sim.synthetic import synthesize_log
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
    if args.url:
        return _drive(args, rulebook)
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


def _drive(args: argparse.Namespace, rulebook: Rulebook) -> int:
    import contextlib
    import signal

    from bot.sim.driver import AudienceDriver
    from bot.sim.simulate import plan_audience

    steps = plan_audience(rulebook, args.show, args.viewers, args.seed)
    room = args.room or rulebook.room.id

    async def main() -> str:
        driver = AudienceDriver(args.url, room, steps, args.speed, max_sockets=max(1, args.max_sockets))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        stats = await driver.run(stop)
        return stats.summary()

    print(
        t(rulebook.room.language, "simulate.driving", url=args.url, room=room, viewers=args.viewers),
        flush=True,
    )
    print(asyncio.run(main()))
    return 0
