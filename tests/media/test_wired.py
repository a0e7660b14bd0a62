"""`liveroom run`'s app serves WHIP/WHEP: a published stream reaches a WHEP viewer, its events the log."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp import web
from conftest import ServeRoom
from sqlalchemy import select

from bot.app import CREDENTIALS
from bot.demo.publisher import publish
from media.app import HUB
from media.store.models import EventRow

from .clients import whep_play


async def _event_kinds(app: web.Application, room: str) -> list[str]:
    db = app[HUB].db
    async with db.sessions() as s:
        rows = await s.execute(select(EventRow.kind).where(EventRow.room_id == room))
        return [k for (k,) in rows]


async def test_run_app_publishes_plays_and_logs_stream_events(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    session = None
    viewer = None
    try:
        token = app[CREDENTIALS].publish_token
        session = await publish(f"{base}/whip/{room}", token, "wired")
        async with aiohttp.ClientSession() as http:
            viewer, resp, tracks = await whep_play(http, base, room)
            assert resp.status == 201, await resp.text()
            for _ in range(5):
                frame = await asyncio.wait_for(tracks[0].recv(), 15)
                assert frame.width > 0
            deadline = time.monotonic() + 10
            while "stream_started" not in await _event_kinds(app, room):
                assert time.monotonic() < deadline, "no stream_started in the events table"
                await asyncio.sleep(0.1)
            metrics = await (await http.get(f"{base}/metrics")).text()
            assert "liveroom_ws_connections" in metrics
            assert "liveroom_media_sessions_total" in metrics
            static = await http.get(f"{base}/static/publisher.js")
            assert static.status == 200
    finally:
        if viewer is not None:
            await viewer.close()
        if session is not None:
            await session.close()


async def test_host_page_gets_token_and_next_cue_media_health_is_team_only(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    creds = app[CREDENTIALS]
    async with aiohttp.ClientSession() as viewer:
        page = await (await viewer.get(f"{base}/room/{room}")).text()
        assert creds.publish_token not in page
        assert (await viewer.get(f"{base}/api/show/{room}/next")).status == 401
        assert (await viewer.get(f"{base}/api/media/{room}/health")).status == 401
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as host:
        resp = await host.post(
            f"{base}/host/{room}/login", data={"password": creds.publish_token}, allow_redirects=True
        )
        page = await resp.text()
        assert creds.publish_token in page
        assert "/static/publisher.js" in page
        assert resp.headers["Cache-Control"] == "no-store"
        cue = await host.get(f"{base}/api/show/{room}/next")
        assert cue.status == 200
        assert set(await cue.json()) == {"status", "title", "now_offset", "next", "segments", "speed"}
        assert (await host.get(f"{base}/api/media/{room}/health")).status == 403  # signed in, not the team
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as team:
        await team.post(f"{base}/studio/{room}/login", data={"password": creds.team_password})
        studio = await (await team.get(f"{base}/studio/{room}")).text()
        assert creds.publish_token not in studio
        health = await team.get(f"{base}/api/media/{room}/health")
        assert health.status == 200
        assert (await health.json())["live"] is False
