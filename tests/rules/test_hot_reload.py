"""A running server picks up a good rule edit within 2 s and keeps the last good rulebook on a broken one."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient
from conftest import BaseRules

from bot.app import RunOptions, build_app
from bot.rules import load_rulebook


async def _wait_for(client: TestClient, predicate, within: float = 2.0) -> dict:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while True:
        body = await (await client.get("/api/rulebook")).json()
        if predicate(body) or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.05)


async def test_good_edit_applies_and_broken_edit_keeps_last_good(
    base_rules: BaseRules, local_settings, aiohttp_client
) -> None:  # type: ignore[no-untyped-def]
    rules = base_rules()
    app = build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=0.2))
    client = await aiohttp_client(app)
    first = await (await client.get("/api/rulebook")).json()
    assert first["room"]["title"] == "测试直播间"

    room = rules / "room.yaml"
    started = time.monotonic()
    room.write_text(
        room.read_text(encoding="utf-8").replace("测试直播间", "双十二预热专场"), encoding="utf-8"
    )
    body = await _wait_for(client, lambda b: b["room"]["title"] == "双十二预热专场")
    assert body["room"]["title"] == "双十二预热专场"
    assert time.monotonic() - started < 2.0
    assert body["generation"] == first["generation"] + 1
    assert body["errors"] == []

    faq = rules / "faq.yaml"
    faq.write_text(
        faq.read_text(encoding="utf-8").replace("product: PAN-01", "product: PAN-99"), encoding="utf-8"
    )
    body = await _wait_for(client, lambda b: b["errors"] != [])
    assert body["errors"], "a broken edit must be reported"
    assert body["errors"][0].startswith(f"{rules}/faq.yaml:7: [1].product: ")
    assert "PAN-99" in body["errors"][0]
    # The last good rulebook stays in force.
    assert body["room"]["title"] == "双十二预热专场"
    assert body["generation"] == first["generation"] + 1
    assert body["counts"]["faq"] == 2

    health = await (await client.get("/healthz")).json()
    assert health["status"] == "ok"
    assert health["rulebook"]["errors"] == 1
