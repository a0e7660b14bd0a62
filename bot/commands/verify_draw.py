"""`liveroom verify-draw DRAW_ID`: recompute a lottery draw from the database and say whether it holds."""

from __future__ import annotations

import argparse
import asyncio
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("verify-draw", help="复核一次抽奖 / check a lottery draw")
    parser.add_argument("draw_id", type=int, metavar="DRAW_ID", help="the draw's id (lottery_drawn.draw_id)")
    parser.add_argument("--lang", default="zh-CN", help="zh-CN (default) or en")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args.draw_id, args.lang))


async def _verify(draw_id: int, lang: str) -> int:
    from bot.show.verify import check, load_draw
    from media.i18n import t
    from media.store.db import Database, database_url_from_env

    db = Database.open(database_url_from_env())
    try:
        record = await load_draw(db, draw_id)
    finally:
        await db.close()
    if record is None:
        print(t(lang, "verify.not_found", draw_id=draw_id), file=sys.stderr)
        return 1
    print(
        t(
            lang,
            "verify.summary",
            draw_id=record.draw_id,
            lottery=record.lottery,
            prize=record.prize,
            entered=len(record.entered),
            eligible=len(record.eligible),
            winners=len(record.winners),
        )
    )
    problems = check(record)
    if problems:
        print(t(lang, "verify.failed"))
        for problem in problems:
            print(f"  - {problem.code}: {problem.render(lang)}")
        return 1
    print(t(lang, "verify.ok"))
    return 0
