"""`liveroom run --start` as real processes: kill -9 mid-show and restart; two processes on one PostgreSQL.

Everything is asserted from the database's event log and firing records.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.rules import load_rulebook
from bot.show.plan import firings
from media.store.db import Database
from media.store.models import CueFiring, EventRow, ShowRun

from .harness import DATA

LIVEROOM = str(Path(sys.executable).with_name("liveroom"))
SPEED = 20.0  # the 4-minute show plays in 12 s
FIRING_EVENTS = ("cue_fired", "segment_started", "cue_missed", "show_ended")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, tmp: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "LIVEROOM_DATA_DIR": str(tmp),
        "LIVEROOM_SECRET": "restart-test-secret",
        "LIVEROOM_TEAM_PASSWORD": "pw",
    }
    with (tmp / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [
                LIVEROOM,
                "run",
                "--rules",
                str(DATA),
                "--start",
                "mini",
                "--speed",
                str(SPEED),
                "--port",
                str(_port()),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _logs(tmp: Path) -> str:
    return "\n".join(f.read_text(errors="replace")[-3000:] for f in sorted(tmp.glob("*.log")))


async def _wait(
    db: Database, what: str, check: object, within: float, procs: list[subprocess.Popen[bytes]], tmp: Path
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        for p in procs:
            if p.poll() is not None:
                logs = _logs(tmp)
                raise AssertionError(f"liveroom run exited ({p.returncode}) waiting for {what}:\n{logs}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _run(db: Database) -> ShowRun | None:
    async with db.sessions() as s:
        return await s.scalar(select(ShowRun).order_by(ShowRun.id).limit(1))


async def _fired(db: Database) -> int:
    async with db.sessions() as s:
        return len((await s.scalars(select(EventRow.id).where(EventRow.kind == "cue_fired"))).all())


async def _ended(db: Database) -> bool:
    async with db.sessions() as s:
        return (await s.scalar(select(EventRow.id).where(EventRow.kind == "show_ended"))) is not None


async def _assert_exactly_once(db: Database) -> tuple[list[CueFiring], list[EventRow]]:
    """Every firing recorded once and logged once; no room message of a cue twice."""
    async with db.sessions() as s:
        runs = (await s.scalars(select(ShowRun))).all()
        records = list((await s.scalars(select(CueFiring))).all())
        events = list((await s.scalars(select(EventRow).order_by(EventRow.id))).all())
    assert len(runs) == 1, "a restart resumes the run, it does not start another"
    assert runs[0].status == "ended"
    assert sum(1 for e in events if e.kind == "show_started") == 1
    plan = {f.key: f for f in firings(load_rulebook(DATA).shows["mini"])}
    states = {r.cue_id: r.state for r in records}
    assert set(states) == set(plan), "none lost"
    assert all(state in ("done", "skipped", "missed") for state in states.values()), states
    logged = Counter(
        e.data.get("firing")
        or (f"{e.data['segment_id']}:start" if e.kind == "segment_started" else "show:end")
        for e in events
        if e.kind in FIRING_EVENTS
    )
    acted = {k for k, state in states.items() if state in ("done", "missed")}
    assert set(logged) == acted and all(n == 1 for n in logged.values()), logged
    # room messages: one per cue and kind (a lottery says its rules and its winners: two lines)
    messages = Counter(
        (e.kind, e.data.get("cue"))
        for e in events
        if e.data.get("cue")
        and e.kind in ("chat", "pin", "coupon_pushed", "vote_opened", "lottery_opened", "countdown_started")
    )
    for (kind, cue), n in messages.items():
        assert n == (2 if (kind, cue) == ("chat", "bag") else 1), (kind, cue, n)
    return records, events


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_kill_9_mid_show_and_restart(kind: str, make_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = await make_database_url(kind)
    db = Database.open(url)
    await db.migrate()
    first = _start(url, tmp_path, "first")
    procs = [first]
    try:
        await _wait(db, "the show to start", lambda: _run(db), 30, procs, tmp_path)
        await _wait(db, "a few cues", lambda: _count_at_least(db, 6), 30, procs, tmp_path)
        os.kill(first.pid, signal.SIGKILL)  # mid-show, no goodbye
        first.wait(timeout=5)
        killed_at = time.time()
        await asyncio.sleep(2.0)  # 40 s of show pass while nobody runs it
        second = _start(url, tmp_path, "second")
        procs = [second]
        await _wait(db, "the show to end", lambda: _ended(db), 40, procs, tmp_path)
        _stop(second)
        records, events = await _assert_exactly_once(db)
        late = [r for r in records if r.late]
        marked = {
            e.data.get("firing") or f"{e.data.get('segment_id')}:start" for e in events if e.data.get("late")
        }
        assert {r.cue_id for r in late} == marked, "the log marks them late too"
        assert late, "cues due while the process was dead fire late once"
        assert all(r.scheduled_at.timestamp() >= killed_at - 1.5 and r.state == "done" for r in late), [
            (r.cue_id, r.scheduled_at, killed_at) for r in late
        ]
    finally:
        for p in procs:
            _stop(p, signal.SIGKILL)
        await db.close()


async def _count_at_least(db: Database, n: int) -> bool:
    return await _fired(db) >= n


@pytest.mark.postgres
async def test_two_processes_on_one_postgresql_never_both_fire(make_database_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = await make_database_url("postgresql")
    db = Database.open(url)
    await db.migrate()
    a = _start(url, tmp_path, "a")
    procs = [a]
    try:
        await _wait(db, "the show to start", lambda: _run(db), 30, procs, tmp_path)
        b = _start(url, tmp_path, "b")  # the same command: it joins the run in progress
        procs.append(b)
        await _wait(db, "the show to end", lambda: _ended(db), 40, procs, tmp_path)
        records, _ = await _assert_exactly_once(db)
        instances = Counter(r.detail.get("instance") for r in records if r.state == "done")
        assert len(instances) >= 1
        print("firings per process:", dict(instances))
    finally:
        for p in procs:
            _stop(p)
        await db.close()
