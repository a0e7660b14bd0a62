"""Team commands: parsing (pure), then each command sent as an update through the stand-in Bot API
and its effect seen in the room by a WebSocket client; the same command from another chat does nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient

from bot.alerts.commands import Answer, Help, Next, Pause, Report, Resume, Say, Start, Status, parse_command
from bot.alerts.service import AlertOptions
from bot.app import ALERTS
from bot.app.api import BotApi
from bot.app.build import add_alerts
from bot.app.credentials import load_credentials
from bot.app.roomsettings import room_settings
from bot.rules import RuleError
from bot.rules.reload import RulebookHolder
from media.app import GUARD, create_app
from media.config import ServerSettings
from media.hub import RoomHub
from media.rooms import RoomDirectory
from media.store.db import Database
from media.web.routes import setup_room

from .books import rules_without_quiet_hours
from .standin import CHAT_ID, StandInBotApi

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_parse_commands() -> None:
    assert parse_command("/status") == Status()
    assert parse_command("/status@liveroom_bot", "liveroom_bot") == Status()
    assert parse_command("/status@other_bot", "liveroom_bot") is None
    assert parse_command("/pause") == Pause() and parse_command("/resume") == Resume()
    assert parse_command("/say 3-2-1 上链接！") == Say("3-2-1 上链接！")
    assert parse_command("/say") == Help("usage_say")
    assert parse_command("/answer 42 今天下单明天发") == Answer(42, "今天下单明天发")
    assert parse_command("/answer #42 好的") == Answer(42, "好的")
    assert parse_command("/answer x 好的") == Help("usage_answer")
    assert parse_command("/answer 42") == Help("usage_answer")
    assert parse_command("/next") == Next() and parse_command("/report") == Report()
    assert parse_command("/start") == Start() and parse_command("/start weekend") == Start("weekend")
    assert parse_command("/unknown") == Help()
    assert parse_command("大家好") is None


@dataclass
class Recorder:
    """Stands in for the show runner / FAQ responder until they are wired; records, and for /next
    posts the cue to the room the way the runner does (so the room sees it)."""

    hub: RoomHub | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def pause(self) -> None:
        self.calls.append(("pause", None))

    def resume(self) -> None:
        self.calls.append(("resume", None))

    async def fire_now(self, cue_or_key: str | None = None) -> str:
        self.calls.append(("fire_now", cue_or_key))
        assert self.hub is not None
        await self.hub.say("demo", "限时秒杀开始啦！", cue="flash-1")
        return "flash-1"

    async def start(self, show_id: str) -> None:
        self.calls.append(("start", show_id))

    def snapshot(self) -> dict[str, Any]:
        return {
            "online": 12,
            "peak": 30,
            "unique_viewers": 41,
            "clicks": 9,
            "ctr": 0.22,
            "coupons_claimed": 5,
            "orders": 3,
            "gmv": "477.00",
        }


@dataclass
class Studio:
    client: TestClient[web.Request, web.Application]
    hub: RoomHub
    holder: RulebookHolder
    recorder: Recorder
    password: str


MakeStudio = Callable[..., Awaitable[Studio]]


@pytest.fixture
async def make_studio(
    aiohttp_client: Any, make_database_url: Callable[[str], Awaitable[str]], tmp_path: Path
) -> AsyncIterator[MakeStudio]:
    dbs: list[Database] = []
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make(env: dict[str, str]) -> Studio:
        book = rules_without_quiet_hours()
        credentials = load_credentials(book, tmp_path)
        db = Database.open(await make_database_url("sqlite"))
        await db.migrate()
        dbs.append(db)
        app = create_app(
            ServerSettings(secret=credentials.secret), RoomDirectory([room_settings(book, credentials)])
        )
        hub = setup_room(app, db)
        holder = RulebookHolder(book)
        recorder = Recorder(hub)
        options = AlertOptions(
            env=env, tick_every=0.1, poll_timeout=1.0, pausables=[recorder], show=recorder, kpis=recorder
        )
        BotApi(app[GUARD], alerts=add_alerts(app, hub, db, holder, options)).register(app)
        client = await aiohttp_client(app)
        clients.append(client)
        return Studio(client, hub, holder, recorder, credentials.team_password)

    yield make
    for client in clients:
        await client.close()
    for db in dbs:
        await db.close()


def telegram_env(standin: StandInBotApi) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": standin.token,
        "TELEGRAM_CHAT_ID": str(CHAT_ID),
        "TELEGRAM_API_BASE": standin.base,
    }


async def eventually(predicate: Callable[[], bool], within: float = 8.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.03)


@dataclass
class Viewer:
    received: list[dict[str, Any]] = field(default_factory=list)

    def chats(self) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("type") == "chat"]


async def open_viewer(studio: Studio) -> tuple[Viewer, asyncio.Task[None], Any]:
    ws = await studio.client.ws_connect("/ws/demo")
    viewer = Viewer()

    async def read() -> None:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = msg.json()
                viewer.received.extend(data if isinstance(data, list) else [data])

    task = asyncio.create_task(read())
    await eventually(lambda: any(m.get("type") == "welcome" for m in viewer.received))
    return viewer, task, ws


async def test_each_command_from_the_team_chat_acts_on_the_room(
    standin: StandInBotApi, make_studio: MakeStudio
) -> None:
    studio = await make_studio(telegram_env(standin))
    viewer, reader, ws = await open_viewer(studio)
    await ws.send_json({"type": "chat", "text": "这个锅能用电磁炉吗"})
    await eventually(lambda: any(c.get("text") == "这个锅能用电磁炉吗" for c in viewer.chats()))
    question_id = next(c["id"] for c in viewer.chats() if c.get("text") == "这个锅能用电磁炉吗")
    await studio.hub.escalate("demo", question_id)

    def reply_containing(words: str) -> Callable[[], bool]:
        return lambda: any(words in text for text in standin.texts)

    # /say: posted to the room as the bot
    standin.command("/say 3-2-1 上链接！")
    await eventually(lambda: any(c.get("text") == "3-2-1 上链接！" for c in viewer.chats()))
    said = next(c for c in viewer.chats() if c.get("text") == "3-2-1 上链接！")
    assert said["role"] == "bot"
    await eventually(reply_containing("已在直播间发出"))

    # /status: online, peak, segment, next cue, stream, waiting questions (#id of the viewer's question)
    standin.command("/status@liveroom_bot")
    await eventually(reply_containing("等人工回答"))
    status = next(text for text in standin.texts if "等人工回答" in text)
    assert f"#{question_id}" in status and "未推流" in status and "在线" in status

    # /answer N: posted to the room as a reply to that viewer (quoted, with @), and the question leaves the queue
    standin.command(f"/answer {question_id} 可以的，电磁炉燃气灶都能用")

    def answered(c: dict[str, Any]) -> bool:
        return c.get("reply_to") == question_id and str(c.get("text", "")).endswith(
            " 可以的，电磁炉燃气灶都能用"
        )

    await eventually(lambda: any(answered(c) for c in viewer.chats()))
    answer = next(c for c in viewer.chats() if answered(c))
    assert answer["text"].startswith("@") and answer["quote"]
    assert answer["reply_to"] == question_id and answer["role"] == "team"
    assert answer["nickname"] == "运营小王"  # who answered, from Telegram
    await eventually(lambda: studio.hub.waiting_questions("demo") == [])

    # /next: the runner fires the next cue now; the room sees it
    standin.command("/next")
    await eventually(lambda: any(c.get("cue") == "flash-1" for c in viewer.chats()))
    await eventually(reply_containing("已执行下一个提示：flash-1"))

    # /pause, /resume, /start, /report
    standin.command("/pause")
    standin.command("/resume")
    standin.command("/start weekend")
    standin.command("/report")
    await eventually(reply_containing("成交额 ¥477.00"))
    assert [c for c in studio.recorder.calls if c[0] != "fire_now"] == [
        ("pause", None),
        ("resume", None),
        ("start", "weekend"),
    ]
    assert reply_containing("机器人已暂停")() and reply_containing("开播：weekend")()

    await ws.close()
    await reader


async def test_commands_from_another_chat_are_ignored_and_logged(
    standin: StandInBotApi, make_studio: MakeStudio, caplog: pytest.LogCaptureFixture
) -> None:
    studio = await make_studio(telegram_env(standin))
    viewer, reader, ws = await open_viewer(studio)
    with caplog.at_level(logging.WARNING):
        standin.command("/say 不该出现的话", chat_id=-100999)
        standin.command("/pause", chat_id=555)
        marker = standin.command("/say 团队群的话")
        await eventually(lambda: any(c.get("text") == "团队群的话" for c in viewer.chats()))
    assert marker
    assert not any(c.get("text") == "不该出现的话" for c in viewer.chats())
    assert studio.recorder.calls == []
    service = studio.client.app[ALERTS]
    assert service.poller is not None and service.poller.ignored == 2
    assert sum("ignored a message from chat" in r.getMessage() for r in caplog.records) == 2
    assert len(standin.sent) == 1  # only the team chat's command got a reply
    await ws.close()
    await reader


async def test_409_from_a_second_poller_is_reported_not_fatal(
    standin: StandInBotApi, make_studio: MakeStudio, caplog: pytest.LogCaptureFixture
) -> None:
    standin.conflict = True
    with caplog.at_level(logging.ERROR):
        studio = await make_studio(telegram_env(standin))
        service = studio.client.app[ALERTS]
        await eventually(lambda: service.poller is not None and service.poller.conflict)
    assert any("409" in r.getMessage() for r in caplog.records)
    health = await (await studio.client.get("/healthz")).json()
    assert health["alerts"]["commands_conflict"] is True  # the room runs on, and says so
    standin.conflict = False
    viewer, reader, ws = await open_viewer(studio)
    standin.command("/say 又能收命令了")
    await eventually(lambda: any(c.get("text") == "又能收命令了" for c in viewer.chats()), within=10)
    assert service.poller is not None and not service.poller.conflict
    await ws.close()
    await reader


async def test_alerts_reach_the_group_and_the_studio_api(
    standin: StandInBotApi, make_studio: MakeStudio
) -> None:
    studio = await make_studio(telegram_env(standin))
    await studio.holder.fail([RuleError("faq.yaml", 12, "a", "required")])
    await eventually(lambda: any("faq.yaml:12" in text for text in standin.texts))
    assert (await studio.client.get("/api/alerts/demo")).status == 401
    response = await studio.client.get(
        "/api/alerts/demo", headers={"Authorization": f"Bearer {studio.password}"}
    )
    body = await response.json()
    assert body["channel"] == "telegram" and "@liveroom_bot" in body["telegram"]
    [listed] = [a for a in body["alerts"] if a["kind"] == "rules_reload_failed"]
    assert "faq.yaml:12" in listed["text"]
    for _ in range(50):
        body = await (
            await studio.client.get(
                "/api/alerts/demo", headers={"Authorization": f"Bearer {studio.password}"}
            )
        ).json()
        if body["alerts"][0]["sent"]:
            break
        await asyncio.sleep(0.05)
    assert body["alerts"][0]["sent"]


async def test_without_token_startup_says_so_and_alerts_go_to_log_and_studio(
    make_studio: MakeStudio, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        studio = await make_studio({})
        await studio.holder.fail([RuleError("room.yaml", 3, "title", "required")])
        await eventually(lambda: any("room.yaml:3" in r.getMessage() for r in caplog.records))
    assert any("TELEGRAM_BOT_TOKEN" in r.getMessage() for r in caplog.records)
    body = await (
        await studio.client.get("/api/alerts/demo", headers={"Authorization": f"Bearer {studio.password}"})
    ).json()
    assert body["channel"] == "log" and "TELEGRAM_BOT_TOKEN" in body["telegram"]
    assert "room.yaml:3" in body["alerts"][0]["text"]


async def test_bad_token_is_reported_at_startup_and_the_room_runs(
    standin: StandInBotApi, make_studio: MakeStudio, caplog: pytest.LogCaptureFixture
) -> None:
    env = {**telegram_env(standin), "TELEGRAM_BOT_TOKEN": "1:WRONG"}
    with caplog.at_level(logging.ERROR):
        studio = await make_studio(env)
    assert any(
        "rejected TELEGRAM_BOT_TOKEN" in r.getMessage() or "拒绝了" in r.getMessage() for r in caplog.records
    )
    assert (await studio.client.get("/healthz")).status == 200
    _viewer, reader, ws = await open_viewer(studio)
    await ws.close()
    await reader
    assert "getUpdates" not in standin.calls


class Refuses:
    def pause(self) -> None:
        raise _ShowError("no_show")

    def resume(self) -> None:
        raise _ShowError("no_show")


class _ShowError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = ""


async def test_pause_reaches_every_part_and_a_refusal_is_worded() -> None:
    from bot.alerts.commands import TeamDesk
    from bot.alerts.rules import RoomAlerts
    from bot.rules.models import AlertsFile

    recorder = Recorder()
    alerts = RoomAlerts("demo", AlertsFile())
    desk = TeamDesk("demo", None, alerts, pausables=[Refuses(), recorder])  # type: ignore[arg-type]
    assert await desk.run(Pause(), "ops") == "机器人已暂停（不回复、不执行提示）"
    assert recorder.calls == [("pause", None)]
    only_refusing = TeamDesk("demo", None, alerts, pausables=[Refuses()])  # type: ignore[arg-type]
    assert await only_refusing.run(Resume(), "ops") == "没做成：现在没有正在进行的直播"
    assert await only_refusing.run(Next(), "ops") == "现在用不了：show runner 没有运行"
