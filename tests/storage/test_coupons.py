"""Coupons never oversell and a viewer claims each coupon once, under concurrency, on both databases."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from media.store.coupons import ClaimResult, ClaimStatus, claim_coupon, push_coupon
from media.store.db import Database
from media.store.models import CouponClaim, CouponStock

NOW = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)


async def _push(
    database: Database, quantity: int | None, *, expires_at: datetime | None = None, run_id: int | None = None
) -> CouponStock:
    async with database.sessions() as session, session.begin():
        return await push_coupon(
            session, "r1", "c1", title="满200减30", link="https://shop/c1",
            quantity=quantity, expires_at=expires_at, run_id=run_id,
        )  # fmt: skip


async def _claims(database: Database) -> tuple[int, int]:
    async with database.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(CouponClaim))
        stock = await session.get(CouponStock, ("r1", "c1"))
    assert rows is not None and stock is not None
    return rows, stock.claimed


async def test_a_viewers_second_claim_is_refused(database: Database) -> None:
    await _push(database, quantity=10)
    first = await claim_coupon(database.sessions, "r1", "c1", "v1", now=NOW)
    second = await claim_coupon(database.sessions, "r1", "c1", "v1", now=NOW)
    assert first == ClaimResult(ClaimStatus.CLAIMED, remaining=9)
    assert second == ClaimResult(ClaimStatus.ALREADY_CLAIMED, remaining=9)
    assert await _claims(database) == (1, 1)


async def test_concurrent_claims_by_one_viewer_give_one_coupon(database: Database) -> None:
    await _push(database, quantity=10)
    results = await asyncio.gather(*(claim_coupon(database.sessions, "r1", "c1", "v1") for _ in range(20)))
    assert Counter(r.status for r in results) == {ClaimStatus.CLAIMED: 1, ClaimStatus.ALREADY_CLAIMED: 19}
    assert await _claims(database) == (1, 1)


async def test_500_concurrent_claims_on_100_coupons_give_exactly_100(database: Database) -> None:
    await _push(database, quantity=100)
    results = await asyncio.gather(
        *(claim_coupon(database.sessions, "r1", "c1", f"viewer-{n}") for n in range(500))
    )
    statuses = Counter(r.status for r in results)
    assert statuses == {ClaimStatus.CLAIMED: 100, ClaimStatus.SOLD_OUT: 400}
    assert sorted(r.remaining for r in results if r.claimed) == list(range(100))
    assert await _claims(database) == (100, 100)


async def test_sold_out_expired_unknown_and_unlimited(database: Database) -> None:
    await _push(database, quantity=1, expires_at=NOW + timedelta(minutes=10))
    assert (await claim_coupon(database.sessions, "r1", "c1", "v1", now=NOW)).claimed
    assert await claim_coupon(database.sessions, "r1", "c1", "v2", now=NOW) == ClaimResult(
        ClaimStatus.SOLD_OUT, 0
    )
    # Sold out, but this viewer has one: tell them so.
    assert (
        await claim_coupon(database.sessions, "r1", "c1", "v1", now=NOW)
    ).status is ClaimStatus.ALREADY_CLAIMED
    late = NOW + timedelta(minutes=10)
    await _push(database, quantity=5, expires_at=late)
    assert await claim_coupon(database.sessions, "r1", "c1", "v3", now=late) == ClaimResult(
        ClaimStatus.EXPIRED, 4
    )
    assert await claim_coupon(database.sessions, "r1", "nope", "v3") == ClaimResult(ClaimStatus.UNKNOWN, None)

    await _push(database, quantity=None)
    result = await claim_coupon(database.sessions, "r1", "c1", "v3", now=late)
    assert result == ClaimResult(ClaimStatus.CLAIMED, None)


async def test_a_repush_refreshes_the_coupon_but_keeps_its_claims(database: Database) -> None:
    await _push(database, quantity=3)
    for viewer in ("v1", "v2"):
        assert (await claim_coupon(database.sessions, "r1", "c1", viewer)).claimed
    stock = await _push(database, quantity=1, run_id=7)
    assert (stock.quantity, stock.claimed, stock.run_id) == (2, 2, 7)  # never below what was claimed
    assert (await claim_coupon(database.sessions, "r1", "c1", "v3")).status is ClaimStatus.SOLD_OUT
    stock = await _push(database, quantity=10)
    assert (stock.quantity, stock.claimed) == (10, 2)
    assert (await claim_coupon(database.sessions, "r1", "c1", "v3")) == ClaimResult(ClaimStatus.CLAIMED, 7)
