"""Orders reported by the shop's webhook, stored once per order id however often it is retried;
units sold per run, and the one stock-out per room, run and sku."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Order, StockOut
from media.store.once import Recorded, insert_once
from media.store.types import utcnow

MAX_QUANTITY = 100_000  # units in one order the webhook accepts: far above a real one, far below overflow


async def record_order(
    session: AsyncSession,
    order_id: str,
    room_id: str,
    sku: str,
    quantity: int,
    amount: Decimal,
    *,
    run_id: int | None = None,
    viewer_id: str | None = None,
    ts: datetime | None = None,
) -> Recorded[Order]:
    """Store an order; a repeated `order_id` reports the stored one (`created=False`)."""
    values = {
        "order_id": order_id,
        "room_id": room_id,
        "sku": sku,
        "quantity": quantity,
        "amount": amount,
        "run_id": run_id,
        "viewer_id": viewer_id,
        "ts": ts or utcnow(),
    }
    return await insert_once(session, Order, values, ("order_id",))


async def units_sold(session: AsyncSession, room_id: str, sku: str, run_id: int | None) -> int:
    """The quantity ordered of `sku` in a run (`None`: all orders outside any run), each order once."""
    run = Order.run_id == run_id if run_id is not None else Order.run_id.is_(None)
    # Capped per order, so an order stored before the webhook bounded quantities cannot overflow the sum.
    units = case((Order.quantity > MAX_QUANTITY, MAX_QUANTITY), else_=Order.quantity)
    total = await session.scalar(
        select(func.coalesce(func.sum(units), 0)).where(Order.room_id == room_id, Order.sku == sku, run)
    )
    return int(total or 0)


async def stock_left(
    session: AsyncSession, room_id: str, stocks: dict[str, int], run_id: int | None
) -> dict[str, int]:
    """Units left in a run of each product with a stock (`stocks`: sku → stock) that has orders in it."""
    run = Order.run_id == run_id if run_id is not None else Order.run_id.is_(None)
    units = case((Order.quantity > MAX_QUANTITY, MAX_QUANTITY), else_=Order.quantity)
    rows = await session.execute(
        select(Order.sku, func.sum(units)).where(Order.room_id == room_id, run).group_by(Order.sku)
    )
    return {sku: max(0, stocks[sku] - int(sold or 0)) for sku, sold in rows.all() if sku in stocks and sold}


async def record_stock_out(
    session: AsyncSession,
    room_id: str,
    sku: str,
    run_id: int | None,
    *,
    stock: int,
    sold: int,
    ts: datetime | None = None,
) -> Recorded[StockOut]:
    """Mark `sku` out of stock in a run (`None`: outside any run); only the first call creates it."""
    values = {
        "room_id": room_id,
        "run_key": _run_key(run_id),
        "sku": sku,
        "stock": stock,
        "sold": sold,
        "ts": ts or utcnow(),
    }
    return await insert_once(session, StockOut, values, ("room_id", "run_key", "sku"))


async def sold_out_skus(session: AsyncSession, room_id: str, run_id: int | None) -> set[str]:
    """The skus marked out of stock in a run (`None`: outside any run)."""
    rows = await session.scalars(
        select(StockOut.sku).where(StockOut.room_id == room_id, StockOut.run_key == _run_key(run_id))
    )
    return set(rows)


def _run_key(run_id: int | None) -> int:
    return run_id if run_id is not None else 0  # see StockOut: a NULL key would never conflict
