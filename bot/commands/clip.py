"""`liveroom clip RECORDING --start T --end T [-o OUT]`: cut a clip (切片) out of a show recording, no re-encode."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "clip.cmd",
    {
        "clip.cmd.keyframe_start": {
            "zh-CN": "从 {at} 的关键帧开始（要求 {asked}）",
            "en": "starting at the keyframe at {at} (asked for {asked})",
        },
        "clip.cmd.wrote": {
            "zh-CN": "已写入 {path}：时长 {duration}，{size}",
            "en": "wrote {path}: {duration} long, {size}",
        },
    },
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "clip", help="从录像剪切片（不重新编码） / cut a clip out of a recording (no re-encode)"
    )
    parser.add_argument(
        "recording", metavar="RECORDING", help="a recording under var/recordings/ (.webm or .mkv)"
    )
    parser.add_argument(
        "--start", required=True, metavar="T", help="SS, MM:SS or HH:MM:SS from the recording's start"
    )
    parser.add_argument(
        "--end", required=True, metavar="T", help="SS, MM:SS or HH:MM:SS from the recording's start"
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help="default: <stem>-clip-SSSS-SSSS next to the recording",
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"], help="zh-CN (default) or en")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.review.clips import ClipError, cut, default_clip_path, format_size, format_time, parse_time

    lang: str = args.lang
    try:
        start = parse_time(args.start, "--start")
        end = parse_time(args.end, "--end")
        src = Path(args.recording)
        dst = Path(args.output) if args.output else default_clip_path(src, start, end)
        result = cut(src, dst, start, end, overwrite=args.force)
    except ClipError as exc:
        print(exc.render(lang), file=sys.stderr)
        return 2
    if format_time(result.start_s) != format_time(start):
        print(t(lang, "clip.cmd.keyframe_start", at=format_time(result.start_s), asked=format_time(start)))
    print(
        t(
            lang,
            "clip.cmd.wrote",
            path=result.path,
            duration=format_time(result.duration_s),
            size=format_size(result.size_bytes),
        )
    )
    return 0
