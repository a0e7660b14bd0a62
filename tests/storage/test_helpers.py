"""Cue firings move out of `firing` once, ballots change only when allowed, the alert outbox drains."""

from datetime import UTC, datetime, timedelta

from media.store.alerts import enqueue_alert, mark_alert_failed, mark_alert_sent, pending_alerts
from media.store.cues import cue_firings, finish_cue_firing, record_cue_firing
from media.store.db import Database
from media.store.lotteries import enter_lottery, lottery_entrants
from media.store.models import Lottery, ShowRun, Vote
from media.store.votes import cast_ballot, tally

NOW = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)


async def test_a_cue_is_finished_once(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        session.add(ShowRun(id=1, show_id="sat", room_id="r1", started_at=NOW))
        await session.flush()
        assert (await record_cue_firing(session, 1, "b", scheduled_at=NOW + timedelta(minutes=2))).created
        assert (await record_cue_firing(session, 1, "a", scheduled_at=NOW)).created
    fired = NOW + timedelta(seconds=3)
    async with database.sessions() as session, session.begin():
        assert await finish_cue_firing(session, 1, "a", "done", fired_at=fired, late=True, detail={"msg": 1})
        assert not await finish_cue_firing(session, 1, "a", "missed")
        assert not await finish_cue_firing(session, 1, "zzz", "done")
    async with database.sessions() as session:
        firings = await cue_firings(session, 1)
    assert [(f.cue_id, f.state) for f in firings] == [("a", "done"), ("b", "firing")]
    assert (firings[0].fired_at, firings[0].late, firings[0].detail) == (fired, True, {"msg": 1})


async def test_ballots_change_only_when_replacing(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        session.add(
            Vote(id=1, room_id="r1", run_id=1, vote_key="v", question="?", options=["a", "b"], closes_at=NOW)
        )
        await session.flush()
        await cast_ballot(session, 1, "v1", 0)
        await cast_ballot(session, 1, "v2", 0)
        kept = await cast_ballot(session, 1, "v1", 1)
        assert (kept.created, kept.row.option) == (False, 0)
        assert await tally(session, 1) == {0: 2}
        changed = await cast_ballot(session, 1, "v2", 1, replace=True, ts=NOW)
        assert (changed.created, changed.row.option, changed.row.ts) == (False, 1, NOW)
    async with database.sessions() as session:
        assert await tally(session, 1) == {0: 1, 1: 1}


async def test_lottery_entrants_are_sorted(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        lottery = Lottery(
            room_id="r1",
            run_id=1,
            lottery_key="l",
            prize="p",
            winners=1,
            seed="s",
            seed_hash="h",
            closes_at=NOW,
        )
        session.add(lottery)
        await session.flush()
        for viewer in ("v3", "v1", "v2", "v1"):
            await enter_lottery(session, lottery.id, viewer)
        assert await lottery_entrants(session, lottery.id) == ["v1", "v2", "v3"]


async def test_the_alert_outbox_drains(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        first = (await enqueue_alert(session, "down:1", "stream_down", "high", "断流")).row
        second = (await enqueue_alert(session, "sold:c1", "coupon_sold_out", "info", "券已抢光")).row
    async with database.sessions() as session, session.begin():
        await mark_alert_failed(session, first.id, "timeout")
        assert await mark_alert_sent(session, second.id, sent_at=NOW)
        assert not await mark_alert_sent(session, second.id)
    async with database.sessions() as session:
        pending = await pending_alerts(session)
    assert [(a.key, a.attempts, a.last_error) for a in pending] == [("down:1", 1, "timeout")]
