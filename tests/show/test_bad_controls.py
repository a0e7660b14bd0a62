"""Issue 19 row 1: a show control with a speed or shift that is not a usable number is a 400 in the
one JSON shape and stores nothing; a run stored with such a clock (as the old code did) is ended at
start-up and the room starts and serves. On both databases.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import RunOptions, build_app
from bot.rules import load_rulebook
from media.config import ServerSettings
from media.store.db import Database
from media.store.models import EventRow, ShowRun

from .harness import DATA

BEARER = {"Authorization": "Bearer pw", "Content-Type": "application/json"}


def _settings(database_url: str, tmp_path: Path) -> ServerSettings:
    return ServerSettings(database_url=database_url, data_dir=str(tmp_path), secret="s" * 24)


async def _post(client: Any, action: str, raw: str | bytes) -> tuple[int, dict[str, Any]]:
    response = await client.post(f"/api/show/demo/{action}", data=raw, headers=BEARER)
    return response.status, await response.json()


async def test_unusable_speeds_and_shifts_are_refused_and_stored_runs_do_not_stop_a_restart(
    aiohttp_client: Any, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEROOM_TEAM_PASSWORD", "pw")
    settings = _settings(database_url, tmp_path)
    client = await aiohttp_client(build_app(load_rulebook(DATA), settings, RunOptions()))

    # JSON as Python's and JavaScript's encoders write these numbers (NaN, Infinity, 1e400 → inf).
    for speed in ("1e-300", "1e-9", "0", "-2", "Infinity", "-Infinity", "NaN", "1e400", "1e9", '"fast"'):
        status, body = await _post(client, "start", f'{{"show": "mini", "speed": {speed}}}')
        assert status == 400, (speed, status, body)
        assert set(body) == {"error", "message"} and body["error"] == "bad_request", body
        assert "speed" in body["message"]
    status, body = await _post(client, "start", '{"show": "mini", "speed": 2, "sped": 3}')
    assert status == 400 and "sped" in body["message"]
    for raw in ("{", '"mini"', "[]", b'{"show": "\xff"}'):
        status, body = await _post(client, "start", raw)
        assert status == 400 and body["error"] == "bad_request", (raw, body)
    view = await (await client.get("/api/show/demo", headers=BEARER)).json()
    assert view["status"] == "idle"  # nothing was stored

    status, body = await _post(client, "start", '{"show": "mini", "speed": 2}')
    assert status == 200 and body["show"]["speed"] == 2.0
    for seconds in ("NaN", "Infinity", "1e308", "-1e308", "1e400", "86401", "null"):
        status, body = await _post(client, "shift", f'{{"seconds": {seconds}}}')
        assert status == 400 and body["error"] == "bad_request", (seconds, body)
    status, body = await _post(client, "shift", '{"seconds": 60}')
    assert status == 200 and body["shifted"] == 60
    view = await (await client.get("/api/show/demo", headers=BEARER)).json()
    assert view["status"] == "running" and view["shift"] == 60
    assert all(math.isfinite(c["offset"]) for c in view["cues"])
    await client.close()

    # What the old code stored on `"speed": 1e-300` (or a shift of 1e308): a running run whose clock
    # overflows. Planted directly; the next start must end it, say so, and serve.
    db = Database.open(database_url)
    async with db.sessions() as s, s.begin():
        for run in (await s.scalars(select(ShowRun))).all():
            run.status = "ended"
        s.add(
            ShowRun(
                show_id="mini",
                room_id="demo",
                started_at=datetime.now(UTC),
                speed=1e-300,
                shift_seconds=1e308,
                status="running",
            )
        )
    await db.close()

    client = await aiohttp_client(build_app(load_rulebook(DATA), settings, RunOptions()))
    assert (await client.get("/healthz")).status == 200
    response = await client.get("/api/show/demo", headers=BEARER)
    view = await response.json()
    assert response.status == 200 and view["status"] == "ended" and view["problem"] == "bad_speed"
    status, body = await _post(client, "start", '{"show": "mini", "speed": 4}')
    assert status == 200 and body["show"]["status"] == "running" and body["show"]["speed"] == 4.0
    await client.close()

    db = Database.open(database_url)
    async with db.sessions() as s:
        ended = (
            await s.scalars(select(EventRow).where(EventRow.kind == "show_ended").order_by(EventRow.id))
        ).all()
    await db.close()
    assert [e.data["reason"] for e in ended if e.data.get("reason")] == ["invalid"]
    assert ended[-1].data["speed"] == "1e-300"
