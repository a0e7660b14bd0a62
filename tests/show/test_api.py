"""The studio's show endpoints on the whole `liveroom run` app: timeline and team controls, team only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import RunOptions, build_app
from bot.rules import load_rulebook
from media.config import ServerSettings

from .harness import DATA

BEARER = {"Authorization": "Bearer pw"}


async def test_timeline_and_controls(
    aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVEROOM_TEAM_PASSWORD", "pw")
    settings = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", data_dir=str(tmp_path), secret="s" * 24
    )
    app = build_app(load_rulebook(DATA), settings, RunOptions(start_show="mini", speed=2.0))
    client = await aiohttp_client(app)

    assert (await client.get("/api/show/demo")).status == 401  # who are you
    assert (await client.get("/api/show/demo", headers={"Authorization": "Bearer wrong"})).status == 401
    assert (await client.get("/api/show/nope", headers=BEARER)).status == 404

    view = await (await client.get("/api/show/demo", headers=BEARER)).json()
    assert view["status"] == "running" and view["show_id"] == "mini" and view["speed"] == 2.0
    states = {c["key"]: c["state"] for c in view["cues"]}
    assert states["hello"] == "fired" and states["show:end"] == "pending"
    assert view["next"]["key"] == "pin-pan"
    assert all({"scheduled_at", "offset", "state", "cue_id"} <= set(c) for c in view["cues"])

    async def post(action: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        resp = await client.post(f"/api/show/demo/{action}", json=body or {}, headers=BEARER)
        return resp.status, await resp.json()

    status, body = await post("pause")
    assert status == 200 and body["show"]["status"] == "paused"
    status, body = await post("pause")
    assert status == 409 and body["error"] == "show_paused" and "暂停" in body["message"]
    status, body = await post("resume")
    assert status == 200 and body["show"]["status"] == "running"
    status, body = await post("skip", {"cue": "bag"})
    assert body["skipped"] == ["bag", "bag:draw"]
    status, body = await post("shift", {"seconds": 600})
    assert status == 200 and body["shifted"] == 600
    status, body = await post("fire")
    assert status == 200 and body["fired"] == "pin-pan"
    status, body = await post("skip", {"cue": "nope"})
    assert status == 409 and body["error"] == "unknown_cue"
    status, body = await post("start", {"show": "mini"})
    assert status == 200 and body["run_id"] == view["run_id"]  # the run in progress, not a new one
    resp = await client.post("/api/show/demo/shift", data="not json", headers=BEARER)
    assert resp.status == 400
    # no credentials at all: who are you
    assert (await client.post("/api/show/demo/pause")).status == 401
    # the studio: signed in with the team password, its CSRF token lets it act
    login = await client.post("/studio/demo/login", data={"password": "pw"}, allow_redirects=False)
    assert login.status == 303
    assert (await client.get("/api/show/demo")).status == 200
    page = await (await client.get("/studio/demo")).text()
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert (await client.post("/api/show/demo/pause", json={})).status == 403
    resp = await client.post("/api/show/demo/pause", json={}, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200 and (await resp.json())["show"]["status"] == "paused"
