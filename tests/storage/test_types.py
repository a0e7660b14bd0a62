"""Times come back tz-aware in UTC and money comes back exact, on both databases."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from media.store.db import Database
from media.store.models import Order, RoomRow

BEIJING = timezone(timedelta(hours=8))


async def test_utc_datetime_round_trips_tz_aware(database: Database) -> None:
    created = datetime(2025, 3, 8, 20, 0, 0, 123456, tzinfo=BEIJING)
    async with database.sessions() as session, session.begin():
        session.add(RoomRow(id="r1", title="room", created_at=created))
    async with database.sessions() as session:
        back = await session.scalar(select(RoomRow.created_at).where(RoomRow.id == "r1"))
    assert back == created
    assert back is not None and back.tzinfo is not None
    assert back.utcoffset() == timedelta(0)
    assert back == datetime(2025, 3, 8, 12, 0, 0, 123456, tzinfo=UTC)


async def test_time_comparisons_use_the_instant_not_the_wall_clock(database: Database) -> None:
    async with database.sessions() as session, session.begin():
        session.add(RoomRow(id="r1", title="room", created_at=datetime(2025, 3, 8, 12, 0, tzinfo=UTC)))
    async with database.sessions() as session:
        # 19:30 in Beijing is 11:30 UTC: before the room was created.
        before = datetime(2025, 3, 8, 19, 30, tzinfo=BEIJING)
        assert (
            await session.scalar(select(func.count()).select_from(RoomRow).where(RoomRow.created_at > before))
            == 1
        )


async def test_naive_datetimes_are_refused(database: Database) -> None:
    async with database.sessions() as session:
        session.add(RoomRow(id="r1", title="room", created_at=datetime(2025, 3, 8, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()


async def test_money_round_trips_exactly(database: Database) -> None:
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("9999999999.99"), Decimal("199.9")]
    async with database.sessions() as session, session.begin():
        for number, amount in enumerate(amounts):
            session.add(
                Order(
                    order_id=f"o{number}",
                    room_id="r1",
                    sku="s",
                    quantity=1,
                    amount=amount,
                    ts=datetime.now(UTC),
                )
            )
    async with database.sessions() as session:
        stored = (await session.scalars(select(Order.amount).order_by(Order.order_id))).all()
        total = await session.scalar(select(func.sum(Order.amount)).where(Order.order_id.in_(["o0", "o1"])))
    assert stored == [Decimal("0.10"), Decimal("0.20"), Decimal("9999999999.99"), Decimal("199.90")]
    assert all(isinstance(amount, Decimal) for amount in stored)
    assert total == Decimal("0.30")
