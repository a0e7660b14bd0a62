"""The replay page's doors: the team signs in and comes back to the replay (never sent elsewhere);
without the team's session neither the page nor a recording is given; a run's recording is served only
from the data directory's recordings folder, whatever path the log names; unknown runs are 404."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import aiohttp
from conftest import ServeRoom

from bot.app import CREDENTIALS, SHOW_RUNNER
from media.app import HUB, SETTINGS
from media.events import RoomEvent
from media.store.events import insert_events


async def test_sign_in_returns_to_the_replay_and_only_recordings_are_served(
    serve_room: ServeRoom, tmp_path: Path
) -> None:
    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    run = await app[SHOW_RUNNER].start(sorted(served.book.shows)[0])
    started = dt.datetime.fromtimestamp(run.started_at, dt.UTC)
    inside = Path(app[SETTINGS].data_dir) / "recordings" / "inside.webm"
    inside.parent.mkdir(parents=True, exist_ok=True)
    inside.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(2048))
    outside = tmp_path / "secret.webm"
    outside.write_bytes(b"not for you")
    events = []
    for n, path in enumerate((inside, outside)):
        at = started + dt.timedelta(seconds=1 + 2 * n)
        events += [
            RoomEvent.at(at, "recording_started", None, {"stem": path.stem}, room_id=room, run_id=run.id),
            RoomEvent.at(
                at + dt.timedelta(seconds=1),
                "recording_saved",
                None,
                {"path": str(path)},
                room_id=room,
                run_id=run.id,
            ),
        ]
    async with app[HUB].db.sessions() as s, s.begin():
        await insert_events(s, events)

    page = f"/replay/{room}/{run.id}"
    async with aiohttp.ClientSession(base, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(page) as answer:  # not signed in: the sign-in form, coming back here
            text = await answer.text()
            assert answer.status == 200 and 'name="next" value="' + page + '"' in text
        async with http.get(f"{page}/video/0") as answer:
            assert answer.status == 403
        login = f"/studio/{room}/login"
        password = app[CREDENTIALS].team_password
        async with http.post(
            login, data={"password": password, "next": "https://evil.example/"}, allow_redirects=False
        ) as answer:
            assert answer.status == 303 and answer.headers["Location"] == f"/studio/{room}"
        async with http.post(
            login, data={"password": password, "next": page}, allow_redirects=False
        ) as answer:
            assert answer.status == 303 and answer.headers["Location"] == page
        async with http.get(page) as answer:
            text = await answer.text()
            assert answer.status == 200 and 'id="replay-video"' in text
            assert f'"url": "{page}/video/0"' in text and f'"url": "{page}/video/1"' not in text
        async with http.get(f"{page}/video/0", headers={"Range": "bytes=0-3"}) as answer:
            assert answer.status == 206 and await answer.read() == b"\x1a\x45\xdf\xa3"
            assert answer.headers["Content-Type"] == "video/webm"
        async with http.get(f"{page}/video/1") as answer:  # the log names a file outside recordings/
            assert answer.status == 404
        for missing in (f"/replay/{room}/999", f"/replay/{room}/x", f"/replay/{room}/{run.id}/video/7"):
            async with http.get(missing) as answer:
                assert answer.status == 404, missing
