"""Co-host (连麦) over HTTP: the host (or the team) invites a guest by link, the guest publishes with the
link's token into the guest slot, and the host ends the guest's stream; strangers get JSON 401/403/404."""

from __future__ import annotations

from urllib.parse import urlsplit

import aiohttp
from conftest import ServeRoom, until

from bot.app import CREDENTIALS
from bot.demo.publisher import publish
from media.app import MEDIA_SERVER


async def _host_session(http: aiohttp.ClientSession, base: str, room: str, token: str) -> str:
    """Sign in on the host page; return its CSRF token."""
    page = await (await http.post(f"{base}/host/{room}/login", data={"password": token})).text()
    return page.split('"csrf": "')[1].split('"')[0]


async def test_host_invites_guest_publishes_and_is_ended(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    creds, media = app[CREDENTIALS], app[MEDIA_SERVER]
    api = f"{base}/api/media/{room}/guest"
    sessions = []
    try:
        async with aiohttp.ClientSession() as stranger:
            refused = await stranger.post(api)
            assert refused.status == 401 and (await refused.json())["error"] == "unauthorized"
            assert (await refused.json())["message"] == "需要主播或团队登录"
            wrong_bearer = await stranger.post(api, headers={"Authorization": "Bearer nope"})
            assert wrong_bearer.status == 401
            unknown = await stranger.post(f"{base}/api/media/nowhere/guest")
            assert unknown.status == 404 and (await unknown.json())["error"] == "unknown_room"
            assert (await stranger.delete(api)).status == 401

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as host:
            csrf = await _host_session(host, base, room, creds.publish_token)
            assert (await host.post(api)).status == 403  # a session, but no CSRF header
            made = await host.post(api, headers={"X-CSRF-Token": csrf})
            assert made.status == 201
            invite = await made.json()
            link = urlsplit(invite["link"])
            assert link.path == f"/guest/{room}" and link.fragment == f"invite={invite['token']}"
            assert invite["token"] != creds.publish_token

            page = await host.get(f"{base}{link.path}")
            assert page.status == 200
            text = await page.text()
            assert "/static/publisher.js" in text and "/static/guest.js" in text
            assert invite["token"] not in text  # the token only ever travels in the fragment

            # Host and guest publish; the guest goes into the guest slot.
            sessions.append(await publish(f"{base}/whip/{room}", creds.publish_token, "host"))
            sessions.append(await publish(f"{base}/whip/{room}", invite["token"], "guest"))
            await until(lambda: media.stream(room).slots["guest"].live)
            assert media.stream(room).slots["host"].live

            # A new invite makes the old link stop working; ending the guest stops its stream.
            again = await (await host.post(api, headers={"X-CSRF-Token": csrf})).json()
            assert again["token"] != invite["token"]
            ended = await host.delete(api, headers={"X-CSRF-Token": csrf})
            assert ended.status == 200 and (await ended.json()) == {"ended": True}
            await until(lambda: not media.stream(room).slots["guest"].live)
            assert media.stream(room).slots["host"].live
            async with aiohttp.ClientSession() as http:
                for token in (invite["token"], again["token"]):
                    late = await http.post(
                        f"{base}/whip/{room}",
                        data="v=0\r\n",
                        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"},
                    )
                    assert late.status == 401
            nothing = await host.delete(api, headers={"X-CSRF-Token": csrf})
            assert (await nothing.json()) == {"ended": False}

        # The team's password as a bearer token works too (for scripts and the studio).
        async with aiohttp.ClientSession() as team:
            by_team = await team.post(api, headers={"Authorization": f"Bearer {creds.team_password}"})
            assert by_team.status == 201
    finally:
        for session in sessions:
            await session.close()


async def test_guest_page_in_english_and_unknown_room(
    serve_room: ServeRoom,
) -> None:
    served = await serve_room(replace={"room.yaml": ("language: zh-CN", "language: en")})
    base = served.base
    async with aiohttp.ClientSession() as http:
        page = await (await http.get(f"{base}/guest/{served.room}")).text()
        assert "The host invited you on" in page and "主播邀请你连麦" not in page
        assert (await http.get(f"{base}/guest/nowhere")).status == 404
