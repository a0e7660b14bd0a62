"""Issue 19 row 5: a Telegram that answers getMe with 429 at start-up, or getChat with a reply missing
fields, leaves the channel retrying in the background (the room starts either way) and the alerts are
delivered once Telegram recovers; a team command's reply hit by 429 goes out later instead of being
dropped. Everything over HTTP to the stand-in Bot API server."""

from __future__ import annotations

from collections import deque

from bot.alerts.startup import TelegramSettings, check_telegram, open_bot
from bot.rules import RuleError

from .standin import CHAT_ID, StandInBotApi
from .test_commands import MakeStudio, eventually, make_studio, open_viewer, telegram_env

__all__ = ["make_studio"]  # the fixture, shared with test_commands


async def test_getme_429_at_startup_then_alerts_go_out_once_telegram_recovers(
    standin: StandInBotApi, make_studio: MakeStudio
) -> None:
    standin.startup_faults["getMe"] = deque([(429, 1), (429, 1)])
    standin.faults.extend([(429, 1), (429, 1)])  # sendMessage is flooded too, for a while
    studio = await make_studio(telegram_env(standin))
    await studio.holder.fail([RuleError("faq.yaml", 12, "a", "required")])
    await eventually(lambda: any("faq.yaml:12" in text for text in standin.texts), within=15)
    assert sum("faq.yaml:12" in text for text in standin.texts) == 1
    # the background check passed: team commands work, and /api/alerts says Telegram is connected
    await eventually(lambda: studio.hub is not None and "getUpdates" in standin.calls, within=15)
    body = await (
        await studio.client.get("/api/alerts/demo", headers={"Authorization": f"Bearer {studio.password}"})
    ).json()
    assert body["channel"] == "telegram" and "@liveroom_bot" in body["telegram"]
    assert all(alert["sent"] for alert in body["alerts"])


async def test_an_odd_getchat_reply_does_not_stop_the_room(
    standin: StandInBotApi, make_studio: MakeStudio
) -> None:
    standin.odd_chats = 2
    settings = TelegramSettings(standin.token, CHAT_ID, standin.base)
    client = open_bot(settings)
    try:
        report = await check_telegram(settings, client.bot, "en")
    finally:
        await client.close()
    assert report.mode == "telegram" and report.retry and "retrying" in report.message

    studio = await make_studio(telegram_env(standin))  # used to raise TypeError: the room did not start
    assert (await studio.client.get("/healthz")).status == 200
    _viewer, reader, ws = await open_viewer(studio)
    await ws.close()
    await reader
    await studio.holder.fail([RuleError("room.yaml", 3, "title", "required")])
    await eventually(lambda: any("room.yaml:3" in text for text in standin.texts), within=15)
    standin.command("/status")
    await eventually(lambda: any("在线" in text for text in standin.texts), within=15)


async def test_a_command_reply_hit_by_429_is_sent_later(
    standin: StandInBotApi, make_studio: MakeStudio
) -> None:
    studio = await make_studio(telegram_env(standin))
    await eventually(lambda: "getUpdates" in standin.calls)
    standin.faults.extend([(429, 1)])
    standin.command("/say 3-2-1 上链接！")
    await eventually(lambda: any("已在直播间发出" in text for text in standin.texts), within=10)
    assert sum("已在直播间发出" in text for text in standin.texts) == 1
    assert studio.password
