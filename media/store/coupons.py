"""Coupon stock and claims: pushing a coupon, and claiming one without ever overselling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from media.store.models import CouponClaim, CouponStock
from media.store.once import dialect_insert
from media.store.types import utcnow


class ClaimStatus(StrEnum):
    CLAIMED = "claimed"
    ALREADY_CLAIMED = "already_claimed"
    SOLD_OUT = "sold_out"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ClaimResult:
    status: ClaimStatus
    remaining: int | None  # coupons left after this call; None when unlimited or unknown

    @property
    def claimed(self) -> bool:
        return self.status is ClaimStatus.CLAIMED


async def push_coupon(
    session: AsyncSession,
    room_id: str,
    coupon_id: str,
    *,
    title: str,
    link: str,
    quantity: int | None = None,
    run_id: int | None = None,
    pushed_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> CouponStock:
    """Create the coupon's stock row, or refresh it when the coupon is pushed again.

    A refresh keeps the claims already made; a smaller `quantity` than already claimed
    is raised to the claimed count (the stock can run out, never go negative). The
    caller commits.
    """
    insert = dialect_insert(session, CouponStock)
    new = insert.excluded
    statement = (
        insert.values(
            room_id=room_id,
            coupon_id=coupon_id,
            run_id=run_id,
            title=title,
            link=link,
            quantity=quantity,
            claimed=0,
            pushed_at=pushed_at or utcnow(),
            expires_at=expires_at,
        )
        .on_conflict_do_update(
            index_elements=["room_id", "coupon_id"],
            set_={
                "run_id": new.run_id,
                "title": new.title,
                "link": new.link,
                "quantity": case(
                    (new.quantity < CouponStock.claimed, CouponStock.claimed), else_=new.quantity
                ),
                "pushed_at": new.pushed_at,
                "expires_at": new.expires_at,
            },
        )
        .returning(CouponStock)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one()


async def claim_coupon(
    sessions: async_sessionmaker[AsyncSession],
    room_id: str,
    coupon_id: str,
    viewer_id: str,
    run_id: int | None = None,
    now: datetime | None = None,
) -> ClaimResult:
    """Claim one coupon for a viewer, atomically, in a transaction of its own.

    The stock is taken with a conditional UPDATE (only while some are left and the
    coupon has not expired) and the claim row inserted in the same transaction; the
    UNIQUE(room_id, coupon_id, viewer_id) constraint refuses a second claim, and the
    rollback gives the taken coupon back.
    """
    now = now or utcnow()
    take = (
        update(CouponStock)
        .where(
            CouponStock.room_id == room_id,
            CouponStock.coupon_id == coupon_id,
            or_(CouponStock.quantity.is_(None), CouponStock.claimed < CouponStock.quantity),
            or_(CouponStock.expires_at.is_(None), CouponStock.expires_at > now),
        )
        .values(claimed=CouponStock.claimed + 1)
        .returning(CouponStock.quantity, CouponStock.claimed)
        .execution_options(synchronize_session=False)
    )
    async with sessions() as session:
        try:
            async with session.begin():
                taken = (await session.execute(take)).one_or_none()
                if taken is None:
                    return await _refusal(session, room_id, coupon_id, viewer_id, now)
                session.add(
                    CouponClaim(
                        room_id=room_id, coupon_id=coupon_id, viewer_id=viewer_id, run_id=run_id, ts=now
                    )
                )
                await session.flush()
                quantity, claimed = taken
                return ClaimResult(ClaimStatus.CLAIMED, None if quantity is None else quantity - claimed)
        except IntegrityError:
            async with session.begin():
                if await _has_claim(session, room_id, coupon_id, viewer_id):
                    stock = await session.get(CouponStock, (room_id, coupon_id))
                    return ClaimResult(ClaimStatus.ALREADY_CLAIMED, _remaining(stock))
            raise


async def _refusal(
    session: AsyncSession, room_id: str, coupon_id: str, viewer_id: str, now: datetime
) -> ClaimResult:
    """Why the conditional UPDATE took nothing."""
    stock = await session.get(CouponStock, (room_id, coupon_id))
    if stock is None:
        return ClaimResult(ClaimStatus.UNKNOWN, None)
    remaining = _remaining(stock)
    if await _has_claim(session, room_id, coupon_id, viewer_id):
        return ClaimResult(ClaimStatus.ALREADY_CLAIMED, remaining)
    if stock.expires_at is not None and stock.expires_at <= now:
        return ClaimResult(ClaimStatus.EXPIRED, remaining)
    return ClaimResult(ClaimStatus.SOLD_OUT, remaining)


async def _has_claim(session: AsyncSession, room_id: str, coupon_id: str, viewer_id: str) -> bool:
    found = await session.scalar(
        select(CouponClaim.id).where(
            CouponClaim.room_id == room_id,
            CouponClaim.coupon_id == coupon_id,
            CouponClaim.viewer_id == viewer_id,
        )
    )
    return found is not None


def _remaining(stock: CouponStock | None) -> int | None:
    if stock is None or stock.quantity is None:
        return None
    return stock.quantity - stock.claimed
