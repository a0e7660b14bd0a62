"""`liveroom highlights SHOW [--run N] [-o DIR]`: the run's highlights (高光切片) cut from its recordings."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "highlights",
    {
        "highlights.none": {
            "zh-CN": "“{show}”场次 {run} 里没有找到值得切的片段（没有挂过商品，订单、点赞、评论也没有高峰）",
            "en": "no highlights in '{show}' run {run} (no product pinned, no peak of orders, likes or chat)",
        },
        "highlights.no_recording": {
            "zh-CN": "这场没有录像：room.yaml 里设 record: true（make demo 默认录制）才能切片；下面是值得切的时刻",
            "en": "this run has no recording: set record: true in room.yaml (make demo records) to cut clips; "
            "the moments worth cutting are below",
        },
        "highlights.line": {
            "zh-CN": "{number:>2}. {title}　开播后 {start}–{end}（{clock}，{length}）　订单 {orders} · {gmv} · 点击 {clicks}",
            "en": "{number:>2}. {title}   {start}–{end} since start ({clock}, {length})   orders {orders} · "
            "{gmv} · clicks {clicks}",
        },
        "highlights.clip": {
            "zh-CN": "    切片 {path}（缩略图 {thumbnail}）",
            "en": "    clip {path} (thumbnail {thumbnail})",
        },
        "highlights.problem.no_recording": {
            "zh-CN": "    没有录像覆盖这一段",
            "en": "    no recording holds this moment",
        },
        "highlights.problem.other": {"zh-CN": "    切不了：{why}", "en": "    cannot cut it: {why}"},
        "highlights.wrote": {
            "zh-CN": "{count} 段切片已写入 {folder}；复盘报告（liveroom report {show} --run {run} --html …）里会列出它们",
            "en": "{count} clips written to {folder}; the report (liveroom report {show} --run {run} --html …) lists them",
        },
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "highlights",
        help="高光切片：讲解和高峰时刻，从录像里切出 / cut a show's highlights from its recording",
    )
    parser.add_argument("show", help="show id")
    parser.add_argument("--run", type=int, default=None, metavar="N", help="run id (default: the latest run)")
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="DIR",
        help="where the clips go (default: highlights/SHOW-RUN/ in the data directory)",
    )
    parser.add_argument("--rules", default=None, help="rules directory (default $LIVEROOM_RULES or ./rules)")
    parser.add_argument("--lang", default=None, choices=["zh-CN", "en"], help="default: the room's language")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.review.clips import format_time
    from bot.review.highlight_clips import clips_dir, cut_highlights, write_manifest
    from bot.review.highlights import find_highlights
    from bot.review.source import load_for_command
    from bot.review.tables import format_money

    loaded = load_for_command(args, earlier=False)
    if loaded is None:
        return 1
    lang, review, info = loaded.lang, loaded.review, loaded.info
    assert info.run_id is not None
    found = find_highlights(review, lang, info.product_names, info.money)
    if not found:
        print(t(lang, "highlights.none", show=args.show, run=info.run_id))
        return 0
    folder = Path(args.output) if args.output else clips_dir(info.show_id, info.run_id, info.recordings)
    recorded = any(r.file() is not None for r in info.recordings)
    clips = cut_highlights(found, info.recordings, review.start, folder) if recorded else []
    if not recorded:
        print(t(lang, "highlights.no_recording"), file=sys.stderr)
    by_slug = {c.highlight.slug: c for c in clips}
    for h in found:
        clip = by_slug.get(h.slug)
        start, end = (clip.start, clip.end) if clip is not None else (h.start, h.end)
        moment = info.local(review.start + dt.timedelta(seconds=start))
        print(
            t(
                lang,
                "highlights.line",
                number=h.number,
                title=h.title,
                start=format_time(start),
                end=format_time(end),
                clock=f"{moment:%H:%M:%S}",
                length=format_time(end - start),
                orders=h.orders,
                gmv=format_money(h.gmv, info.money),
                clicks=h.clicks,
            )
        )
        if clip is not None and clip.path is not None:
            print(t(lang, "highlights.clip", path=clip.path, thumbnail=clip.thumbnail or "—"))
        elif clip is not None and clip.problem == "no_recording":
            print(t(lang, "highlights.problem.no_recording"))
        elif clip is not None:
            print(t(lang, "highlights.problem.other", why=clip.problem))
    if clips:
        write_manifest(folder, info.show_id, info.run_id, clips)
        cut = sum(1 for c in clips if c.path is not None)
        print(t(lang, "highlights.wrote", count=cut, folder=folder, show=info.show_id, run=info.run_id))
    return 0
