"""The review lists the show's recordings (回放): the files that overlap the run, with links in the HTML.

Pairing and overlap on a hand-written log (both databases); then the whole path: a room with
`record: true`, a show run, a host publishing by WHIP, the review's table, JSON and HTML link.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import ServeRoom, until
from rich.console import Console

from bot.app import CREDENTIALS, SHOW_RUNNER
from bot.demo.publisher import publish
from bot.review.export import RunInfo, to_json
from bot.review.html import render_html
from bot.review.load import find_run, review_run
from bot.review.recordings import recordings_table, run_recordings
from bot.review.source import load_review
from bot.review.terminal import print_review
from media.app import HUB, MEDIA_SERVER, SETTINGS
from media.events import RoomEvent
from media.store.db import Database

from .seed import ROOM, seed_run

START = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(hours=1)


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def started(minutes: float, stem: str) -> RoomEvent:
    return RoomEvent.at(at(minutes), "recording_started", None, {"stem": stem})


def saved(minutes: float, path: str | None, **data: object) -> RoomEvent:
    return RoomEvent.at(at(minutes), "recording_saved", None, {"path": path, "packets": 10, **data})


async def test_recordings_that_overlap_the_run_in_order(database: Database, tmp_path: Path) -> None:
    here = tmp_path / "during.webm"
    here.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(3 * 1024 * 1024))
    events = [
        started(-120, "yesterday"),  # before the run and over before it
        saved(-100, "/elsewhere/yesterday.webm"),
        started(-3, "warmup"),  # the host went live before 开播
        saved(20, "/elsewhere/warmup.webm", dropped=4),
        started(21, "during"),  # a reconnect: a new file, saved after the run ended
        saved(65, str(here)),
        started(70, "crashed"),  # after the run; and the server died before saving it
        started(90, "later"),
    ]
    await seed_run(database, "rec", events, START, END)
    async with database.sessions() as session:
        found = await run_recordings(session, ROOM, START, END)
    assert [(r.started_at, r.saved_at) for r in found] == [(at(-3), at(20)), (at(21), at(65))]
    warmup, during = found
    assert warmup.file() is None and warmup.dropped == 4 and during.file() == here.resolve()

    table = recordings_table(found, START, "zh-CN")
    assert table.formatted() == [
        ["-03:00", "23m00s", "", "/elsewhere/warmup.webm", "本机没有这个文件；丢了 4 个包（磁盘太慢）"],
        ["21:00", "44m00s", "3.0 MB", str(here.resolve()), ""],
    ]
    english = recordings_table(found, START, "en").formatted()
    assert english[0][4] == "not on this machine; 4 packets dropped (disk too slow)"

    # The HTML report: a section with a link to the file that is here, none without recordings.
    async with database.sessions() as session:
        review = await review_run(database, await find_run(session, "rec"), None)
    html = render_html(review, RunInfo("rec", recordings=found), "zh-CN")
    assert f'<a href="{here.resolve().as_uri()}">during.webm</a>' in html
    assert html.count("<a href=") == 1 and "/elsewhere/warmup.webm" in html
    assert 'id="recordings"' not in render_html(review, RunInfo("rec"), "zh-CN")


async def test_an_unfinished_recording_is_listed_as_such(database: Database) -> None:
    await seed_run(database, "rec", [started(5, "a"), started(30, "b"), saved(40, "/x/b.webm")], START, END)
    async with database.sessions() as session:
        first, second = await run_recordings(session, ROOM, START, END)
    assert first.saved_at is None and first.seconds is None
    assert recordings_table((first,), START, "zh-CN").formatted()[0][1:] == [
        "—",
        "",
        "",
        "还没收尾（仍在录制，或服务器中途退出）",
    ]
    assert second.path == "/x/b.webm"


async def test_a_recorded_show_links_its_replay_from_the_report(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room(append={"room.yaml": "\nrecord: true\n"})
    app, base, book, room = served.app, served.base, served.book, served.room
    runner, db = app[SHOW_RUNNER], app[HUB].db
    show_id = sorted(book.shows)[0]
    await runner.start(show_id)
    session = await publish(f"{base}/whip/{room}", app[CREDENTIALS].publish_token, "host")
    media = app[MEDIA_SERVER]

    async def recorded_a_while() -> bool:
        recorder = media.recorders.get(room)
        return recorder is not None and recorder.packets > 60

    await until(recorded_a_while, 30)
    await session.close()

    async def saved_in_log() -> bool:
        async with db.sessions() as s:
            run = await find_run(s, show_id)
            found = await run_recordings(s, room, run.started_at, dt.datetime.now(dt.UTC))
            return any(r.saved_at is not None for r in found)

    await until(saved_in_log, within=15)
    loaded = await load_review(show_id, db=db, rulebook=book)
    [recording] = loaded.info.recordings
    file = recording.file()
    assert file is not None and file.suffix == ".webm" and file.stat().st_size > 10_000
    assert recording.error is None and recording.packets > 30
    assert file.parent.name == "recordings" and str(file.parent.parent) == app[SETTINGS].data_dir

    html = render_html(loaded.review, loaded.info, "zh-CN")
    assert f'<a href="{file.as_uri()}">{file.name}</a>' in html and "录像（回放）" in html
    assert "liveroom clip" in html
    console = Console(record=True, width=200)
    print_review(loaded.review, loaded.info, "zh-CN", console)
    text = console.export_text()
    assert "录像（回放）" in text and file.name in text
    [listed] = to_json(loaded.review, loaded.info)["recordings"]
    assert (
        listed["path"] == str(file) and listed["on_this_machine"] and listed["bytes"] == file.stat().st_size
    )
