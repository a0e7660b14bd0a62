"""Orders reported by the shop's webhook, stored once per order id however often it is retried."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Order
from media.store.once import Recorded, insert_once
from media.store.types import utcnow


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
