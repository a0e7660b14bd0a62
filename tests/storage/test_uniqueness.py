"""Each "at most once" rule is enforced by the database itself, and the helpers report repeats."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.alerts import enqueue_alert
from media.store.cues import record_cue_firing
from media.store.db import Database
from media.store.follows import follow
from media.store.lotteries import enter_lottery, record_draw
from media.store.models import (
    AlertOutbox,
    Ballot,
    Base,
    CouponClaim,
    CouponStock,
    CueFiring,
    Draw,
    Follow,
    Lottery,
    LotteryEntry,
    Order,
    ShowRun,
    Vote,
)
from media.store.orders import record_order
from media.store.votes import cast_ballot

NOW = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)


async def _parents(session: AsyncSession) -> None:
    """The rows the constrained tables point at: run 1, vote 1, lottery 1, coupon c1."""
    session.add(ShowRun(id=1, show_id="sat", room_id="r1", started_at=NOW))
    session.add(
        Vote(id=1, room_id="r1", run_id=1, vote_key="v", question="哪个?", options=["a", "b"], closes_at=NOW)
    )
    session.add(
        Lottery(
            id=1, room_id="r1", run_id=1, lottery_key="l", prize="杯子", winners=1,
            seed="s", seed_hash="h", closes_at=NOW,
        )
    )  # fmt: skip
    session.add(CouponStock(room_id="r1", coupon_id="c1", title="满减", link="https://x", quantity=10))
    await session.flush()


DUPLICATES: dict[str, Callable[[], Base]] = {
    "coupon claim": lambda: CouponClaim(room_id="r1", coupon_id="c1", viewer_id="v1"),
    "lottery entry": lambda: LotteryEntry(lottery_id=1, viewer_id="v1"),
    "ballot": lambda: Ballot(vote_id=1, viewer_id="v1", option=0),
    "cue firing": lambda: CueFiring(run_id=1, cue_id="c-10", state="firing", scheduled_at=NOW),
    "order id": lambda: Order(order_id="o-1", room_id="r1", sku="s", quantity=1, amount=Decimal("9.90")),
    "alert key": lambda: AlertOutbox(key="k", kind="stream_down", severity="high", text="断流"),
    "follow": lambda: Follow(room_id="r1", viewer_id="v1"),
    "draw": lambda: Draw(lottery_id=1, seed="s", algorithm="sha256", entrants=["v1"], winners=["v1"]),
    "vote key in a run": lambda: Vote(
        room_id="r1", run_id=1, vote_key="v", question="?", options=[], closes_at=NOW
    ),
    "lottery key in a run": lambda: Lottery(
        room_id="r1", run_id=1, lottery_key="l", prize="p", winners=1, seed="s", seed_hash="h", closes_at=NOW
    ),
}


@pytest.mark.parametrize("rule", DUPLICATES)
async def test_database_refuses_the_second_row(database: Database, rule: str) -> None:
    make = DUPLICATES[rule]
    async with database.sessions() as session, session.begin():
        await _parents(session)  # already holds the first vote and lottery of run 1
        if rule not in ("vote key in a run", "lottery key in a run"):
            session.add(make())
    async with database.sessions() as session:
        session.add(make())
        with pytest.raises(IntegrityError):
            await session.flush()
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(type(make()))) == 1


async def test_null_run_id_is_not_unique_constrained(database: Database) -> None:
    """Documented limit: outside a run (run_id NULL) the same vote key may be opened twice."""
    async with database.sessions() as session, session.begin():
        for _ in range(2):
            session.add(
                Vote(room_id="r1", run_id=None, vote_key="v", question="?", options=[], closes_at=NOW)
            )
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Vote)) == 2


async def test_helpers_report_the_first_row_on_a_repeat(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        await _parents(session)

    later = NOW + timedelta(minutes=5)
    async with database.sessions() as session, session.begin():
        first = [
            await record_cue_firing(session, 1, "c-10", scheduled_at=NOW, detail={"n": 1}),
            await enter_lottery(session, 1, "v1", ts=NOW),
            await cast_ballot(session, 1, "v1", 0, ts=NOW),
            await record_order(session, "o-1", "r1", "s", 1, Decimal("9.90"), ts=NOW),
            await enqueue_alert(session, "k", "stream_down", "high", "断流", created_at=NOW),
            await follow(session, "r1", "v1", ts=NOW),
            await record_draw(
                session, 1, seed="s", algorithm="a", entrants=["v1"], winners=["v1"], drawn_at=NOW
            ),
        ]
    async with database.sessions() as session, session.begin():
        again = [
            await record_cue_firing(session, 1, "c-10", scheduled_at=later, state="done", detail={"n": 2}),
            await enter_lottery(session, 1, "v1", ts=later),
            await cast_ballot(session, 1, "v1", 1, ts=later),
            await record_order(session, "o-1", "r1", "other", 5, Decimal("1.00"), ts=later),
            await enqueue_alert(session, "k", "other", "low", "别的", created_at=later),
            await follow(session, "r1", "v1", ts=later),
            await record_draw(
                session, 1, seed="t", algorithm="b", entrants=["v2"], winners=["v2"], drawn_at=later
            ),
        ]
    assert all(r.created for r in first)
    assert not any(r.created for r in again)
    for before, after in zip(first, again, strict=True):
        assert type(after.row) is type(before.row)
    # The stored rows are the first ones, untouched by the repeats.
    firing, entry, ballot, order, alert, followed, draw = (r.row for r in again)
    assert (firing.state, firing.scheduled_at, firing.detail) == ("firing", NOW, {"n": 1})
    assert entry.ts == NOW
    assert (ballot.option, ballot.ts) == (0, NOW)
    assert (order.sku, order.quantity, order.amount) == ("s", 1, Decimal("9.90"))
    assert (alert.kind, alert.text) == ("stream_down", "断流")
    assert followed.ts == NOW
    assert (draw.seed, draw.winners) == ("s", ["v1"])


async def test_a_repeat_does_not_spoil_the_callers_transaction(database: Database) -> None:
    """On PostgreSQL a failed INSERT would abort the transaction; the helpers never fail that way."""
    async with database.sessions() as session, session.begin():
        await _parents(session)
        await follow(session, "r1", "v1")
        assert not (await follow(session, "r1", "v1")).created
        await follow(session, "r1", "v2")
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Follow)) == 2
