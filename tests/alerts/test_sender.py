"""Outbox + sender over real HTTP through python-telegram-bot against the stand-in Bot API."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.alerts.digest import Pacer, compose, tag
from bot.alerts.outbox import Outbox, Queued
from bot.alerts.rules import Alert, RoomAlerts
from bot.alerts.sender import Backoff, LogChannel, Sender, TelegramChannel
from bot.alerts.startup import TelegramSettings, check_telegram, open_bot
from bot.rules.models import AlertsFile
from media.hub.events import RoomEvent
from media.store.db import Database
from media.store.models import AlertOutbox, EventRow

from .standin import CHAT_ID, StandInBotApi

TAG = re.compile(r"#a[0-9a-f]{8}")


def alert(n: int, text: str | None = None, severity: str = "warning") -> Alert:
    return Alert(f"demo:test:{n}", "test", severity, text or f"告警 {n} 号", "demo")  # type: ignore[arg-type]


async def until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


class Running:
    def __init__(self, sender: Sender, task: asyncio.Task[None]) -> None:
        self.sender = sender
        self.task = task


@pytest.fixture
async def sending(standin: StandInBotApi, sqlite_db: Database) -> AsyncIterator[Callable[..., Running]]:
    client = open_bot(TelegramSettings(standin.token, CHAT_ID, standin.base))
    runs: list[Running] = []

    def start(**options: Any) -> Running:
        options.setdefault("backoff", Backoff(first=0.1, cap=0.5))
        options.setdefault("poll_every", 0.1)
        sender = Sender(Outbox(sqlite_db), TelegramChannel(client.bot, CHAT_ID), **options)
        run = Running(sender, asyncio.create_task(sender.run()))
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.task.cancel()
        await asyncio.gather(run.task, return_exceptions=True)
    await client.close()


def tags_in(texts: list[str]) -> list[str]:
    return [m for text in texts for m in TAG.findall(text)]


async def test_one_alert_is_sent_once_marked_and_logged(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    outbox = Outbox(sqlite_db)
    assert await outbox.put(alert(1, "推流中断：主播画面已断开 5 秒", "critical"))
    assert not await outbox.put(alert(1, "推流中断：主播画面已断开 5 秒", "critical"))  # same key
    sending()
    await until(lambda: len(standin.sent) == 1)
    await until_marked(sqlite_db, 1)
    assert standin.sent[0].chat_id == CHAT_ID
    assert standin.sent[0].text == f"🔴 推流中断：主播画面已断开 5 秒 {tag('demo:test:1')}"
    async with sqlite_db.sessions() as s:
        events = (await s.scalars(select(EventRow).where(EventRow.kind == "alert_sent"))).all()
    assert [(e.room_id, e.data) for e in events] == [("demo", {"key": "demo:test:1", "kind": "test"})]
    await asyncio.sleep(0.3)
    assert len(standin.sent) == 1
    [listed] = await outbox.recent("demo")
    assert listed["sent"] and listed["attempts"] == 1 and listed["text"].startswith("推流中断")


async def until_marked(db: Database, count: int) -> None:
    for _ in range(200):
        async with db.sessions() as s:
            rows = (await s.scalars(select(AlertOutbox).where(AlertOutbox.sent_at.is_not(None)))).all()
        if len(rows) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {len(rows)} of {count} alerts marked sent")


async def test_429_retry_after_is_honoured(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    standin.faults.extend([(429, 1), (429, 1)])
    outbox = Outbox(sqlite_db)
    await outbox.put(alert(1))
    started = asyncio.get_running_loop().time()
    run = sending()
    await until(lambda: len(standin.sent) == 1, within=8)
    assert asyncio.get_running_loop().time() - started >= 2.0  # waited retry_after twice
    assert standin.calls.count("sendMessage") == 3
    await until_marked(sqlite_db, 1)
    # the sender clears its error once it has handled the answer (just after the stand-in saw it)
    await until(lambda: run.sender.last_error is None, within=2)
    [row] = await outbox.recent("demo")
    assert row["attempts"] == 3 and row["last_error"] == "429 retry_after=1"


async def test_500_is_retried_with_backoff(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    standin.faults.extend([(500, 0)] * 3)
    await Outbox(sqlite_db).put(alert(1))
    sending()
    await until(lambda: len(standin.sent) == 1)
    assert standin.calls.count("sendMessage") == 4
    await asyncio.sleep(0.3)
    assert len(standin.sent) == 1


def show_events(t0: float, n: int) -> list[RoomEvent]:
    """A simulated show's worth of events that each raise one alert (cooldown 0)."""
    events = [RoomEvent("demo", "show_started", t0, data={"show_id": "demo", "run_id": 1, "speed": 1.0})]
    for i in range(n):
        ts = t0 + 1 + i
        if i % 3 == 0:
            events.append(RoomEvent("demo", "coupon_sold_out", ts, data={"coupon_id": f"c{i}"}))
        elif i % 3 == 1:
            events.append(
                RoomEvent("demo", "cue_missed", ts, run_id=1, data={"cue_id": f"cue-{i}", "kind": "say"})
            )
        else:
            events.append(
                RoomEvent(
                    "demo", "lottery_drawn", ts, data={"lottery_id": f"bag-{i}", "draw_id": i, "winners": []}
                )
            )
    events.append(RoomEvent("demo", "show_ended", t0 + n + 2, data={"show_id": "demo", "run_id": 1}))
    return events


async def test_outage_then_recovery_every_alert_once_in_order(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    rules = RoomAlerts(
        "demo",
        AlertsFile.model_validate(
            {"rules": {k: {"cooldown": 0} for k in ("coupon_sold_out", "cue_missed", "lottery_result")}}
        ),
        tz=dt.UTC,
    )
    outbox = Outbox(sqlite_db)
    run = sending(pacer=Pacer(messages=20, per=2.0))
    t0 = dt.datetime(2026, 1, 10, 20, 0, tzinfo=dt.UTC).timestamp()
    raised: list[Alert] = []
    events = show_events(t0, 30)
    for i, event in enumerate(events):
        if i == 8:
            await until(lambda: len(standin.sent) >= 3)
            await standin.stop()  # Telegram goes away mid-show…
        if i == 24:
            await asyncio.sleep(1.0)
            assert run.sender.last_error is not None  # … the sender noticed and keeps trying
            await standin.start()  # … and comes back
        for a in rules.observe(event):
            assert await outbox.put(a)
            raised.append(a)
        await asyncio.sleep(0.05)
    assert len(raised) == 32
    await until(lambda: set(tags_in(standin.texts)) >= {tag(a.key) for a in raised}, within=20)
    await until_marked(sqlite_db, len(raised))
    await asyncio.sleep(0.3)
    got = tags_in(standin.texts)
    assert got == [tag(a.key) for a in raised]  # each once, in the order raised
    joined = "\n".join(standin.texts)
    for a in raised:
        assert a.text.splitlines()[0] in joined
    assert len(standin.sent) < len(raised)  # what piled up during the outage went out as digests


async def test_burst_of_200_in_a_minute_is_at_most_20_messages(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    # The group limit scaled ten times down: 20 messages per 6 s, 200 alerts raised over 6 s.
    per = 6.0
    outbox = Outbox(sqlite_db)
    sending(pacer=Pacer(messages=20, per=per))
    raised = [alert(i, f"观众 {i} 号的问题等人工回答：这个锅能不能用电磁炉") for i in range(200)]
    for a in raised:
        await outbox.put(a)
        await asyncio.sleep(per / 200)
    await until_marked(sqlite_db, 200)
    assert len(standin.sent) <= 20
    times = [m.at for m in standin.sent]
    assert all(b - a >= per / 20 * 0.9 for a, b in itertools.pairwise(times))
    assert len(standin.sent) <= 10  # the gap widens while they pile up: a few digests
    assert sorted(tags_in(standin.texts)) == sorted(tag(a.key) for a in raised)
    joined = "\n".join(standin.texts)
    assert all(a.text in joined for a in raised)
    assert all(len(text) <= 4096 for text in standin.texts)


async def test_a_digest_beyond_4096_characters_is_split_without_cutting_an_alert(
    standin: StandInBotApi, sqlite_db: Database, sending: Callable[..., Running]
) -> None:
    outbox = Outbox(sqlite_db)
    raised = [alert(i, f"{i:03d} " + "长" * 400) for i in range(30)]
    for a in raised:
        await outbox.put(a)
    sending(pacer=Pacer(messages=20, per=2.0))
    await until_marked(sqlite_db, 30)
    assert 3 <= len(standin.sent) <= 5
    assert all(len(text) <= 4096 for text in standin.texts)
    for a in raised:
        assert sum(a.text in text for text in standin.texts) == 1


def test_compose_single_digest_and_limit() -> None:
    now = dt.datetime(2026, 1, 10, 12, 0, 5, tzinfo=dt.UTC)
    items = [Queued(i, f"demo:k:{i}", "k", "info", f"第 {i} 条", "demo", now) for i in range(3)]
    text, n = compose(items[:1], "zh-CN")
    assert (text, n) == (f"🔵 第 0 条 {tag('demo:k:0')}", 1)
    text, n = compose(items, "en", tz=dt.UTC)
    assert n == 3 and text.startswith("📋 Alert digest: 3 alerts") and "🔵 12:00:05 第 2 条" in text
    long = Queued(9, "demo:k:9", "k", "info", "x" * 5000, "demo", now)
    text, n = compose([long, *items], "zh-CN")
    assert n == 1 and len(text) <= 4096 and text.endswith(tag("demo:k:9"))


def test_pacer_spacing_and_window() -> None:
    pacer = Pacer(messages=3, per=60.0)
    assert pacer.wait(0.0) == 0
    pacer.record(0.0)
    assert pacer.wait(1.0) == 19.0
    pacer.record(20.0)
    pacer.record(40.0)
    assert pacer.wait(45.0) == 15.0  # three in the last minute: wait for the first to age out
    assert pacer.wait(60.0) == 0


def test_pacer_widens_while_alerts_pile_up_but_not_for_urgent_ones() -> None:
    pacer = Pacer(messages=20, per=60.0)
    pacer.record(0.0, carried=5)
    assert pacer.wait(0.0) == 6.0
    assert pacer.wait(0.0, urgent=True) == 3.0
    pacer.record(6.0, carried=40)
    pacer.record(18.0, carried=40)
    pacer.record(42.0, carried=40)
    assert pacer.wait(42.0) == 30.0  # capped at half the window
    pacer.record(72.0, carried=1)
    assert pacer.wait(72.0) == 3.0


async def test_without_token_alerts_go_to_the_log(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    report = await check_telegram(TelegramSettings(None, None), None)
    assert report.mode == "log" and "TELEGRAM_BOT_TOKEN" in report.message
    outbox = Outbox(sqlite_db)
    sender = Sender(outbox, LogChannel(), poll_every=0.05)
    task = asyncio.create_task(sender.run())
    with caplog.at_level(logging.WARNING, logger="liveroom.alerts"):
        await outbox.put(alert(1, "优惠券已领光：满199减50"))
        await until_marked(sqlite_db, 1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert any("优惠券已领光：满199减50" in r.getMessage() for r in caplog.records)
    [row] = await outbox.recent("demo")
    assert row["sent"]


async def test_startup_reports_bad_token_unknown_chat_and_unreachable(standin: StandInBotApi) -> None:
    cases = [
        (TelegramSettings("999:WRONG", CHAT_ID, standin.base), "log", "TELEGRAM_BOT_TOKEN"),
        (TelegramSettings(standin.token, -42, standin.base), "log", "TELEGRAM_CHAT_ID=-42"),
        (TelegramSettings(standin.token, None, standin.base), "log", "TELEGRAM_CHAT_ID"),
        (TelegramSettings(standin.token, CHAT_ID, standin.base), "telegram", "@liveroom_bot"),
    ]
    for settings, mode, words in cases:
        client = open_bot(settings)
        try:
            report = await check_telegram(settings, client.bot)
        finally:
            await client.close()
        assert (report.mode, words in report.message) == (mode, True), report.message
    await standin.stop()
    settings = TelegramSettings(standin.token, CHAT_ID, standin.base)
    client = open_bot(settings)
    report = await check_telegram(settings, client.bot, "en")
    await client.close()
    assert report.mode == "telegram" and report.problem and "not reachable" in report.message


def test_settings_from_env() -> None:
    env = {"TELEGRAM_BOT_TOKEN": " t ", "TELEGRAM_CHAT_ID": "-100", "TELEGRAM_API_BASE": "http://h:1/"}
    assert TelegramSettings.from_env(env) == TelegramSettings("t", -100, "http://h:1")
    assert TelegramSettings.from_env(env, room_chat_id=-7).chat_id == -7
    assert TelegramSettings.from_env({}).api_base == "https://api.telegram.org"
