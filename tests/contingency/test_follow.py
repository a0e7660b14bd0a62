"""A follow from the viewer socket counts once per viewer and shows as follow_rate in `liveroom report --json`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from conftest import BaseRules

from bot.app import SHOW_RUNNER, RunOptions, build_app
from bot.cli import main
from bot.rules import load_rulebook
from media.app import HUB
from media.config import ServerSettings
from media.hub import RoomEvent


async def test_follow_once_per_viewer_and_follow_rate(
    tmp_path: Path,
    base_rules: BaseRules,
    aiohttp_client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # type: ignore[no-untyped-def]
    rules = base_rules(append={"room.yaml": "\nfollow_invite:\n  after: 1s\n  text: 点个关注吧\n"})
    url = f"sqlite+aiosqlite:///{tmp_path}/liveroom.db"
    book = load_rulebook(rules)
    app = build_app(
        book, ServerSettings(database_url=url, data_dir=str(tmp_path / "var")), RunOptions(reload_interval=60)
    )
    client = await aiohttp_client(app)
    hub = app[HUB]
    seen: list[RoomEvent] = []
    hub.subscribe(seen.append)
    await app[SHOW_RUNNER].start("s")
    ws = await client.ws_connect(f"/ws/{book.room.id}")
    notices: list[str] = []

    async def read() -> None:
        async for msg in ws:
            body = json.loads(msg.data)
            for m in body if isinstance(body, list) else [body]:
                if m.get("type") == "notice":
                    notices.append(m["text"])

    reader = asyncio.create_task(read())
    await asyncio.sleep(2.5)
    assert notices.count("点个关注吧") == 1  # invited once, privately
    await ws.send_json({"type": "follow"})
    await ws.send_json({"type": "follow"})
    await asyncio.sleep(0.5)
    assert sum(1 for e in seen if e.kind == "follow") == 1
    await ws.close()
    reader.cancel()
    await client.close()
    monkeypatch.setenv("DATABASE_URL", url)
    assert await asyncio.to_thread(main, ["report", "s", "--rules", str(rules), "--json"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index("{") :])
    assert report["follows"] == 1
    assert report["follow_rate"] == 1.0
