"""Issue 19 row 2: guessing is slow, the team is not locked out. Every credential check (team password as
a bearer token, the sign-in form, WHIP publish tokens, a bot socket) backs off per client, keyed on the
real client address behind a trusted proxy; the right password from another client still works; the
failures are in /metrics and reach the team's alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from bot.alerts.rules import RoomAlerts
from bot.rules.models import AlertsFile
from media.app import create_app
from media.config import ServerSettings
from media.guessing import FREE_FAILURES, CredentialBackoff
from media.hub.events import RoomEvent
from media.rooms import RoomDirectory
from media.rtc.routes import setup_media
from media.store.db import Database
from media.store.models import EventRow
from media.web.clients import parse_networks, real_client
from media.web.routes import setup_room

from .harness import PASSWORD, PUBLISH, SECRET, MakeRoomApp, demo_room

ATTACKER = {"X-Forwarded-For": "203.0.113.7"}
TEAM = {"X-Forwarded-For": "198.51.100.20"}


def bearer(password: str, via: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {password}", **via}


async def test_300_wrong_bearer_passwords_are_slowed_while_the_team_gets_in(
    make_room_app: MakeRoomApp,
) -> None:
    app = await make_room_app()
    statuses = []
    for _ in range(300):
        resp = await app.client.get("/api/media/demo/health", headers=bearer("guess", ATTACKER))
        statuses.append(resp.status)
    assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert statuses.count(429) >= 290
    resp = await app.client.get("/api/media/demo/health", headers=bearer("guess", ATTACKER))
    body = await resp.json()
    assert (
        resp.status == 429 and body["error"] == "too_many_failures" and int(resp.headers["Retry-After"]) >= 1
    )
    # The right password from the attacker's address waits too; from the team's it works at once.
    assert (await app.client.get("/api/media/demo/health", headers=bearer(PASSWORD, ATTACKER))).status == 429
    ok = await app.client.get("/api/media/demo/health", headers=bearer(PASSWORD, TEAM))
    assert ok.status != 401 and ok.status != 429
    # A teammate's typo is a 401, not a lockout.
    assert (await app.client.get("/api/media/demo/health", headers=bearer("typo", TEAM))).status == 401

    metrics = await (await app.client.get("/metrics")).text()
    # Of 303 tries, only the free ones and one each time a wait ran out (1 s, 2 s, …) were checked.
    numbers = {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in metrics.splitlines()
        if line.startswith("liveroom_cred")
    }
    checked = numbers['liveroom_credential_failures_total{check="bearer"}']
    assert FREE_FAILURES + 1 <= checked <= FREE_FAILURES + 5
    assert numbers['liveroom_credential_throttled_total{check="bearer"}'] == 303 - (checked - 1) - 1


async def test_the_sign_in_form_locks_out_only_the_guesser(make_room_app: MakeRoomApp) -> None:
    """Behind the shipped nginx every request came from 127.0.0.1: ten wrong passwords refused the right
    one to the whole team. Now the form counts per real client."""
    app = await make_room_app()
    for _ in range(12):
        resp = await app.client.post(
            "/studio/demo/login", data={"password": "guess"}, headers=ATTACKER, allow_redirects=False
        )
    assert resp.status == 429
    refused = await app.client.post(
        "/studio/demo/login", data={"password": PASSWORD}, headers=ATTACKER, allow_redirects=False
    )
    assert refused.status == 429
    signed_in = await app.client.post(
        "/studio/demo/login", data={"password": PASSWORD}, headers=TEAM, allow_redirects=False
    )
    assert signed_in.status == 303


async def test_a_bot_socket_guessing_the_password_is_slowed(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    statuses = []
    for _ in range(30):
        resp = await app.client.get("/ws/demo", params={"role": "bot"}, headers=bearer("guess", ATTACKER))
        statuses.append(resp.status)
    # each wait that runs out (1 s, 2 s, …) lets one more guess be checked
    assert statuses[:FREE_FAILURES] == [403] * FREE_FAILURES and statuses.count(429) >= 30 - FREE_FAILURES - 3
    bot = await app.client.ws_connect("/ws/demo", params={"role": "bot"}, headers=bearer(PASSWORD, TEAM))
    await bot.close()


async def test_wrong_whip_tokens_are_slowed_and_the_host_still_publishes(
    aiohttp_client: Any, make_database_url: Any
) -> None:
    db = Database.open(await make_database_url("sqlite"))
    await db.migrate()
    app = create_app(ServerSettings(secret=SECRET), RoomDirectory([demo_room()]))
    setup_room(app, db)
    setup_media(app, RoomDirectory([demo_room()]))
    client = await aiohttp_client(app)
    try:
        offer = {"Content-Type": "text/plain"}  # a right token is then refused for its body: 415
        statuses = []
        for _ in range(500):
            resp = await client.post("/whip/demo", data="x", headers={**offer, **bearer("guess", ATTACKER)})
            statuses.append(resp.status)
        assert (
            statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
            and statuses.count(429) >= 500 - FREE_FAILURES - 5
        )
        assert "Retry-After" in resp.headers
        host = await client.post("/whip/demo", data="x", headers={**offer, **bearer(PUBLISH, TEAM)})
        assert host.status == 415
        metrics = await (await client.get("/metrics")).text()
        assert 'liveroom_credential_failures_total{check="whip"} 0.0' not in metrics
    finally:
        await client.close()
        await db.close()


async def test_forwarded_headers_count_only_from_a_trusted_proxy(
    aiohttp_client: Any, make_database_url: Any
) -> None:
    trusted = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    assert real_client("127.0.0.1", ["203.0.113.7"], None, trusted) == "203.0.113.7"
    # nginx real_ip_recursive: the right-most hop that is not a proxy; what the client wrote is left of it
    assert real_client("127.0.0.1", ["1.2.3.4, 203.0.113.7, 10.1.2.3"], None, trusted) == "203.0.113.7"
    assert real_client("127.0.0.1", [], "198.51.100.9", trusted) == "198.51.100.9"
    assert real_client("198.51.100.1", ["203.0.113.7"], "1.1.1.1", trusted) == "198.51.100.1"  # not a proxy
    assert real_client("127.0.0.1", ["nonsense, 王"], None, trusted) == "127.0.0.1"
    assert real_client("::ffff:127.0.0.1", ["[2001:db8::1]:443"], None, trusted) == "2001:db8::1"

    # With no trusted proxy configured the header is ignored: every guess is the one peer's.
    db = Database.open(await make_database_url("sqlite"))
    await db.migrate()
    untrusted = create_app(ServerSettings(secret=SECRET, trusted_proxies=()), RoomDirectory([demo_room()]))
    setup_room(untrusted, db)
    client = await aiohttp_client(untrusted)
    try:
        for n in range(FREE_FAILURES + 1):
            spoofed = {"X-Forwarded-For": f"203.0.113.{n}"}
            await client.get("/api/media/demo/health", headers=bearer("guess", spoofed))
        again = await client.get(
            "/api/media/demo/health", headers=bearer("guess", {"X-Forwarded-For": "9.9.9.9"})
        )
        assert again.status == 429
    finally:
        await client.close()
        await db.close()


def test_the_backoff_doubles_forgets_and_a_success_clears_it() -> None:
    now = [1000.0]
    backoff = CredentialBackoff(clock=lambda: now[0])
    for _ in range(FREE_FAILURES):
        backoff.failed("a", "form", "demo")
    assert backoff.wait("a") == 0
    backoff.failed("a", "form", "demo")
    assert backoff.wait("a") == 1.0
    backoff.failed("a", "form", "demo")
    assert backoff.wait("a") == 2.0
    now[0] += 10
    assert backoff.wait("a") == 0 and backoff.wait("b") == 0
    backoff.failed("a", "form", "demo")
    assert backoff.wait("a") == 4.0
    backoff.succeeded("a")
    assert backoff.wait("a") == 0
    report = backoff.report("demo")
    assert report is not None and report["total"] == 8 and report["top_client"] == "a"
    assert backoff.report("demo") is None


async def test_failures_are_logged_and_alerted(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    for _ in range(40):
        await app.client.get("/api/media/demo/health", headers=bearer("guess", ATTACKER))
    await app.client.close()  # the hub reports what was refused when it stops (and once a minute)
    async with app.db.sessions() as session:
        rows = (await session.scalars(select(EventRow).where(EventRow.kind == "credentials_refused"))).all()
    [row] = rows
    data = row.data
    assert data["failures"]["bearer"] + data["throttled"] == 40 and data["throttled"] >= 30
    assert data["top_client"] == "203.0.113.7"

    rules = RoomAlerts("demo", AlertsFile.model_validate({"rules": {}}), tz=dt.UTC)
    event = RoomEvent("demo", "credentials_refused", 1_700_000_000.0, None, data, None)
    [alert] = rules.observe(event)
    assert alert.kind == "credential_guessing" and "203.0.113.7" in alert.text and "40" in alert.text
    few = {**data, "total": 3, "throttled": 0}
    quiet = RoomEvent("demo", "credentials_refused", 1_700_000_900.0, None, few, None)
    assert rules.observe(quiet) == []


async def test_a_sign_in_that_works_forgets_the_typos(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    for _ in range(FREE_FAILURES - 1):
        typo = await app.client.post(
            "/studio/demo/login", data={"password": "typo"}, headers=TEAM, allow_redirects=False
        )
        assert typo.status == 401
    ok = await app.client.post(
        "/studio/demo/login", data={"password": PASSWORD}, headers=TEAM, allow_redirects=False
    )
    assert ok.status == 303
    assert app.hub.backoff.wait("198.51.100.20") == 0 and "198.51.100.20" not in app.hub.backoff.clients
