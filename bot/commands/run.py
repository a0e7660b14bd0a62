"""`liveroom run --rules DIR [--host H] [--port P] [--start SHOW] [--speed X]`: serve the room."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.rules import RuleErrors, load_rulebook
from bot.show.clock import MAX_SPEED, MIN_SPEED, clock_problem


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="启动直播间服务 / serve the room")
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--host", default=None, help="listen address (default $HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default $PORT or 8080)")
    parser.add_argument(
        "--start", dest="start_show", default=None, metavar="SHOW", help="start this show now"
    )
    parser.add_argument(
        "--speed", type=float, default=1.0, help="show clock speed-up for rehearsals (default 1)"
    )
    parser.add_argument("--media-workers", type=int, default=1, help="processes serving video to viewers")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.app import RunOptions
    from bot.app.serve import serve
    from bot.rules import default_rules_dir
    from media.config import ServerSettings

    rules_dir = args.rules or default_rules_dir()
    try:
        rulebook = load_rulebook(rules_dir)
    except RuleErrors as exc:
        for line in exc.render("zh-CN"):
            print(line, file=sys.stderr)
        print(
            f"规则有误，无法启动 rules are broken, not starting ({len(exc.errors)} problem(s))",
            file=sys.stderr,
        )
        return 1
    if clock_problem(args.speed) is not None:
        print(
            f"--speed 应在 {MIN_SPEED:g} 到 {MAX_SPEED:g} 之间 / must be between {MIN_SPEED:g} and {MAX_SPEED:g}",
            file=sys.stderr,
        )
        return 2
    settings = ServerSettings.from_env(host=args.host, port=args.port)
    options = RunOptions(start_show=args.start_show, speed=args.speed, media_workers=args.media_workers)
    asyncio.run(serve(rulebook, settings, options))
    return 0
