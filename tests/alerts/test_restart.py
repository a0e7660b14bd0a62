"""kill -9 of a process delivering the outbox, then a restart: each alert arrives, and once."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.alerts.digest import tag
from bot.alerts.outbox import Outbox
from bot.alerts.rules import Alert
from media.store.db import Database
from media.store.models import AlertOutbox

from .standin import StandInBotApi

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"#a[0-9a-f]{8}")
Start = Callable[[], Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def db_url(make_database_url: Callable[[str], Awaitable[str]]) -> str:
    return await make_database_url("sqlite")


@pytest.fixture
async def sender_process(standin: StandInBotApi, db_url: str) -> AsyncIterator[Start]:
    procs: list[asyncio.subprocess.Process] = []

    async def start() -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.alerts.sender_process",
            db_url,
            standin.base,
            standin.token,
            str(standin.chat_id),
            cwd=ROOT,
            env={**os.environ, "PTB_TIMEDELTA": "true"},
            stdout=asyncio.subprocess.PIPE,
        )
        procs.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert line.strip() == b"ready"
        return proc

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def fill(db_url: str, n: int) -> list[Alert]:
    db = Database.open(db_url)
    await db.migrate()
    outbox = Outbox(db)
    # ~10 alerts fit in one message, so the outbox takes several messages to drain.
    alerts = [Alert(f"demo:t:{i}", "test", "warning", f"{i:03d} " + "掉人" * 170, "demo") for i in range(n)]
    for a in alerts:
        await outbox.put(a)
    await db.close()
    return alerts


async def unsent(db_url: str) -> int:
    db = Database.open(db_url)
    async with db.sessions() as s:
        count = await s.scalar(
            select(func.count()).select_from(AlertOutbox).where(AlertOutbox.sent_at.is_(None))
        )
    await db.close()
    return int(count or 0)


async def wait_for(predicate: Callable[[], Awaitable[bool] | bool], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def tags_of(standin: StandInBotApi) -> list[str]:
    return [m for text in standin.texts for m in TAG.findall(text)]


async def kill_9(proc: asyncio.subprocess.Process) -> None:
    proc.kill()  # SIGKILL: no cleanup, no flush, nothing
    assert await proc.wait() == -9


async def test_kill_9_with_alerts_in_the_outbox_then_restart_each_alert_once(
    standin: StandInBotApi, db_url: str, sender_process: Start
) -> None:
    alerts = await fill(db_url, 40)
    proc = await sender_process()
    await wait_for(lambda: len(standin.sent) >= 1)
    standin.hold = "before"  # the next message is on its way when the process dies
    await wait_for(lambda: standin.held >= 1)
    await kill_9(proc)
    standin.release()
    assert await unsent(db_url) > 0
    await sender_process()
    await wait_for(lambda: _zero(db_url))
    await asyncio.sleep(0.3)
    counts = Counter(tags_of(standin))
    assert tags_of(standin) == [tag(a.key) for a in alerts]  # each once, in order
    assert set(counts.values()) == {1}
    joined = "\n".join(standin.texts)
    assert all(a.text in joined for a in alerts)


async def _zero(db_url: str) -> bool:
    return await unsent(db_url) == 0


async def test_kill_9_after_telegram_accepted_but_before_marking_repeats_visibly(
    standin: StandInBotApi, db_url: str, sender_process: Start
) -> None:
    """The at-least-once window: Telegram has the message, the process dies before it hears back.

    Nothing on our side can know the message arrived, so it goes again after the restart; the
    tags make the repeat recognisable, and only that one message's alerts repeat.
    """
    alerts = await fill(db_url, 40)
    proc = await sender_process()
    await wait_for(lambda: len(standin.sent) >= 1)
    standin.hold = "after"
    await wait_for(lambda: standin.held >= 1)
    in_flight = TAG.findall(standin.texts[-1])
    await kill_9(proc)
    standin.release()
    await sender_process()
    await wait_for(lambda: _zero(db_url))
    await asyncio.sleep(0.3)
    counts = Counter(tags_of(standin))
    assert set(counts) == {tag(a.key) for a in alerts}  # nothing lost
    repeated = {t for t, n in counts.items() if n > 1}
    assert repeated == set(in_flight) and all(counts[t] == 2 for t in repeated)
