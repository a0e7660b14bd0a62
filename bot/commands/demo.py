"""`liveroom demo [--port P] [--speed X] [--viewers N] [--seed S]`: the whole room on one machine, no camera.

One process: the server on the rules (the `demo` show started as a new run at `--speed X`, 6× by default so
the hour lasts ten minutes, recorded) on the usual database — `DATABASE_URL`, else `var/liveroom.db`, the
file every command reads, so `liveroom report demo` finds it and each demo adds a run; a synthetic host
publishing the test pattern by WHIP (`bot.demo.publisher`); and a simulated audience that joins, chats,
asks FAQ questions, likes, clicks, claims coupons, votes and enters lotteries over the room's WebSocket,
and buys: the shop's orders reach the signed orders webhook (`bot.sim.driver`).
Ctrl-C (or SIGTERM) ends the show run first (so the review counts who was still watching), then stops
the audience, the publisher (WHIP DELETE) and the server, writes the run's report to
`var/demo-report.html` and prints how to see it again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.rules import Rulebook, RuleErrors, load_rulebook
from media.config import DATA_DIR

if TYPE_CHECKING:
    from bot.sim.driver import DriveStats

log = logging.getLogger(__name__)

REPORT = "demo-report.html"
# The demo's crowd buys more readily than the simulator's default, and comes early, so a couple of minutes
# of the demo already give every number of the review something to count.
DEMO_AUDIENCE_CHANGES = {"activity": 2.0, "order_after_click": 0.6, "claim_chance": 0.7, "early": 3.0}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="演示：服务 + 测试画面推流 + 模拟观众 / server, test-pattern host and simulated audience",
    )
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--host", default=None, help="listen address (default $HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default $PORT or 8080)")
    parser.add_argument("--show", default="demo", help="show to run (default demo)")
    parser.add_argument(
        "--speed", type=float, default=6.0, metavar="X", help="show clock speed-up (default 6)"
    )
    parser.add_argument("--viewers", type=int, default=40, metavar="N", help="simulated viewers (default 40)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="audience seed (default 1)")
    parser.add_argument("--no-video", action="store_true", help="do not publish the test pattern")
    parser.add_argument(
        "--no-record", action="store_true", help="do not record the stream (recorded by default)"
    )
    parser.set_defaults(handler=run)


def report_command(show: str, data_dir: str) -> str:
    return f"liveroom report {show} --html {Path(data_dir) / REPORT}"


def run(args: argparse.Namespace) -> int:
    from bot.rules import default_rules_dir

    try:
        rulebook = load_rulebook(args.rules or default_rules_dir())
    except RuleErrors as exc:
        for line in exc.render("zh-CN"):
            print(line, file=sys.stderr)
        return 1
    if args.show not in rulebook.shows:
        print(
            f"没有这场直播 no such show: {args.show} ({', '.join(sorted(rulebook.shows))})", file=sys.stderr
        )
        return 1
    if args.speed <= 0 or args.viewers < 0:
        print("--speed 必须大于 0，--viewers ≥ 0 / --speed must be > 0, --viewers ≥ 0", file=sys.stderr)
        return 2
    if not args.verbose:
        logging.getLogger("aiohttp.access").setLevel(
            logging.WARNING
        )  # the audience's requests drown the rest
    data_dir = os.environ.get("LIVEROOM_DATA_DIR") or DATA_DIR
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    run_id = asyncio.run(_demo(args, rulebook))
    report = Path(data_dir) / REPORT
    if run_id is not None:
        try:
            _write_report(args.show, run_id, args.rules, report)
            print(f"复盘报告 report: {report}")
        except Exception as exc:  # the demo stopped cleanly; a report that cannot be built is not fatal
            log.warning("could not write the report: %s", exc)
    print(f"再看复盘 see the report again: {report_command(args.show, data_dir)}", flush=True)
    print(f"各场对比 compare the demo's runs: liveroom compare {args.show}", flush=True)
    return 0


def _write_report(show: str, run_id: int, rules: str | None, path: Path) -> None:
    from bot.review.html import render_html
    from bot.review.source import load_review

    loaded = asyncio.run(load_review(show, run_id, rules, None))
    path.write_text(render_html(loaded.review, loaded.info, loaded.lang), encoding="utf-8")


async def _demo(args: argparse.Namespace, rulebook: Rulebook) -> int | None:
    """Serve the demo until Ctrl-C; the show run it made (None if it never started)."""
    import aiohttp
    from aiohttp import web

    from bot.app import CREDENTIALS, SHOW_RUNNER, RunOptions, build_app
    from bot.app.serve import app_runner, print_banner
    from bot.demo.publisher import WhipError, WhipSession, publish
    from bot.sim.driver import AudienceDriver
    from bot.sim.simulate import Audience, plan_audience
    from media.config import ServerSettings
    from media.web.orders import SIGNATURE_HEADER, sign

    os.umask(0o077)  # as `liveroom run`: the data files are the owner's alone
    settings = ServerSettings.from_env(host=args.host, port=args.port)
    options = RunOptions(
        start_show=args.show, speed=args.speed, new_run=True, record=False if args.no_record else True
    )
    app = build_app(rulebook, settings, options)
    runner = app_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    session: WhipSession | None = None
    run_id: int | None = None
    audience: asyncio.Task[DriveStats] | None = None
    audience_stop = asyncio.Event()
    try:
        await site.start()
        host = settings.host if settings.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        base = f"http://{host}:{settings.port}"
        room = rulebook.room.id
        print_banner(app, settings)
        title = str(rulebook.shows[args.show].title)
        if not args.no_video:
            try:
                session = await publish(f"{base}/whip/{room}", app[CREDENTIALS].publish_token, title)
                print(f"测试画面已推流 test pattern published by WHIP to {base}/whip/{room}", flush=True)
            except (WhipError, aiohttp.ClientError, OSError, ValueError) as exc:
                log.warning(
                    "没有视频 no video: the WHIP publish failed (%s); the demo goes on without it", exc
                )
        show_runner = app[SHOW_RUNNER]
        run_id = show_runner.active.row.id if show_runner.active is not None else None
        if run_id is not None:
            print(f"场次 run {run_id}（数据库 database: {settings.database_url}）", flush=True)
        if args.viewers:
            audience_habits = dataclasses.replace(Audience(), **DEMO_AUDIENCE_CHANGES)
            steps = plan_audience(rulebook, args.show, args.viewers, args.seed, audience_habits)
            secret = app[CREDENTIALS].secret

            def sign_order(body: bytes) -> dict[str, str]:
                return {SIGNATURE_HEADER: sign(secret, body)}

            # each run's orders are new orders to the shop (ids tagged with the run)
            tag = f"run{run_id}" if run_id is not None else None
            driver = AudienceDriver(base, room, steps, args.speed, sign_order=sign_order, order_tag=tag)
            audience = asyncio.create_task(driver.run(audience_stop))
            print(f"模拟观众 {args.viewers} 位进场 simulated audience: {args.viewers} viewers", flush=True)
        print(f"演示进行中（{args.speed:g}× 速），Ctrl-C 停止 / demo running, Ctrl-C stops", flush=True)
        await stop.wait()
    finally:
        print("正在停止 stopping…", flush=True)
        # The run ends before the audience leaves, so the review counts who was still watching.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(app[SHOW_RUNNER].stop("stopped"), 10)
        audience_stop.set()
        if audience is not None:
            try:
                stats = await asyncio.wait_for(audience, 15)
                print(f"模拟观众 audience: {stats.summary()}", flush=True)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("the simulated audience did not stop in time")
        if session is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(session.close(), 5)
        await runner.cleanup()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return run_id
