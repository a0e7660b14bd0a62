"""A suggested question survives a restart with the bot's proposal; a dismissed one does not come back."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.app import FAQ_BOT, RunOptions, build_app
from bot.rules import load_rulebook
from media.app import HUB
from media.config import ServerSettings

from .test_room_bot import RULES, eventually, viewer


def suggest_after_sales(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    room = rules / "room.yaml"
    text = room.read_text(encoding="utf-8")
    room.write_text(
        text.replace("bot:\n", "bot:\n  autonomy:\n    tags: {售后: suggest, 物流: never}\n", 1),
        encoding="utf-8",
    )
    return rules


async def test_waiting_questions_and_their_proposals_survive_a_restart(
    tmp_path: Path, local_settings: ServerSettings, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rules = suggest_after_sales(tmp_path)
    client = await aiohttp_client(
        build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=5))
    )
    client.app[FAQ_BOT].responder.gather = 0.2
    hub = client.app[HUB]
    asker = await viewer(client, "小雨")
    suggested = await asker.chat("支持七天无理由吗")
    handed = await asker.chat("包邮吗")  # 物流: never — handed over with no proposal
    dismissed = await asker.chat("能换货吗")
    await eventually(lambda: len(hub.waiting_questions("demo")) == 3)
    await hub.dismiss_question("demo", dismissed, by="小李")
    await asyncio.sleep(0.3)  # the log is written in batches
    await asker.close()
    await client.close()

    again = await aiohttp_client(
        build_app(load_rulebook(rules), local_settings, RunOptions(reload_interval=5))
    )
    hub = again.app[HUB]
    await hub.room("demo")
    waiting = {q.message_id: q for q in hub.waiting_questions("demo")}
    assert set(waiting) == {suggested, handed}
    proposal = waiting[suggested].proposal
    assert proposal is not None and proposal.faq_id == "returns" and "七天无理由退货" in proposal.text
    assert waiting[suggested].reason == "autonomy"
    assert waiting[handed].proposal is None
