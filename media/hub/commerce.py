"""Products, coupons and flash-sale countdowns: pin, click, push, claim."""

from __future__ import annotations

import time
from typing import Any, Literal

from sqlalchemy import select, update

from media.hub.clock import as_datetime
from media.hub.connections import Connection
from media.hub.core import HubCore, Room
from media.hub.events import HubError, RoomEvent
from media.hub.protocol import (
    Countdown,
    CouponClaimReply,
    CouponOut,
    CouponSpec,
    Pinned,
    ProductCardOut,
    ProductSoldOut,
    ProductStock,
)
from media.hub.recovery import product_card
from media.hub.state import Counted, CouponTaken
from media.store.coupons import ClaimStatus, claim_coupon
from media.store.coupons import push_coupon as store_push_coupon
from media.store.events import append_event
from media.store.models import CouponStock, ProductClick, ProductPin
from media.store.orders import record_stock_out, units_sold


class CommerceOps(HubCore):
    async def pin_product(self, room_id: str, sku: str | None, cue: str | None = None) -> Pinned:
        """Pin a product card for every viewer; `sku=None` unpins."""
        room = await self.room(room_id)
        card = None
        if sku is not None:
            card = product_card(room.state.settings, sku)
            if card is None:
                raise HubError("unknown_product", sku)
        now = as_datetime(self.clock.time())
        data: dict[str, Any] = {"sku": sku}
        if cue is not None:
            data["cue"] = cue
        async with self.db.sessions() as s, s.begin():
            await s.execute(
                update(ProductPin)
                .where(ProductPin.room_id == room_id, ProductPin.unpinned_at.is_(None))
                .values(unpinned_at=now)
            )
            if sku is not None:
                s.add(ProductPin(room_id=room_id, run_id=room.state.run_id, sku=sku, pinned_at=now, cue=cue))
            event = await append_event(s, self.line(room, "pin", data=data, ts=now.timestamp()))
        self.announce(event)
        pinned = room.state.with_sold_out(
            Pinned(product=ProductCardOut.model_validate(card) if card else None, cue=cue)
        )
        await self.dispatch(room, pinned)
        return pinned

    async def record_click(
        self,
        room_id: str,
        sku: str,
        viewer_id: str | None,
        source: Literal["card", "link"],
        address: str = "",
    ) -> None:
        """Count a product click, once per viewer (or, without one, per address) and product a minute."""
        room = await self.room(room_id)
        if room.state.settings.product(sku) is None:
            raise HubError("unknown_product", sku)
        if not self.limits.click_counts(room_id, viewer_id or f"@{address}", sku, self.clock.time()):
            return
        now = as_datetime(self.clock.time())
        data = {"sku": sku, "source": source}
        async with self.db.sessions() as s, s.begin():
            s.add(
                ProductClick(room_id=room_id, run_id=room.state.run_id, sku=sku, viewer_id=viewer_id, ts=now)
            )
            event = await append_event(
                s, self.line(room, "click", viewer_id=viewer_id, data=data, ts=now.timestamp())
            )
        self.announce(event)
        await self.dispatch(room, Counted(counter="clicks"))

    async def check_stock(self, room: Room, sku: str, run_id: int | None) -> dict[str, Any] | None:
        """Log `product_out_of_stock {sku, stock, sold}` once the orders of `sku` reach its stock.

        Called after an order is stored (and again when the shop retries it), with the order's
        run. "sold" is summed from the stored orders of that run (`None`: of all orders outside
        any run), so a retried order id never counts twice and a restart forgets nothing; the
        `stock_outs` key (room, run, sku) makes the event once per run however many orders,
        instances or retries race. Viewers hear it as `product_sold_out`: the card says 已售罄. While some
        are left, viewers hear `product_stock` with how many (the 小黄车's 剩余N件).
        Returns the event's data when this call wrote it.
        """
        product = room.state.settings.product(sku)
        if product is None or product.stock is None:
            return None
        stock = product.stock
        ts = self.clock.time()
        async with self.db.sessions() as s, s.begin():
            sold = await units_sold(s, room.id, sku, run_id)
            if sold < stock:
                marked = None
            else:
                marked = await record_stock_out(
                    s, room.id, sku, run_id, stock=stock, sold=sold, ts=as_datetime(ts)
                )
                if not marked.created:
                    return None
                data: dict[str, Any] = {"sku": sku, "stock": stock, "sold": sold}
                event = await append_event(
                    s, RoomEvent(room.id, "product_out_of_stock", ts, None, data, run_id, self.instance)
                )
        if marked is None:  # some left: the 小黄车 shows how many
            await self.dispatch(room, ProductStock(sku=sku, left=stock - sold, run_id=run_id))
            return None
        self.announce(event)
        await self.dispatch(room, ProductStock(sku=sku, left=0, run_id=run_id))
        await self.dispatch(room, ProductSoldOut(sku=sku, run_id=run_id))
        return data

    async def push_coupon(
        self, room_id: str, coupon: dict[str, Any] | CouponSpec, cue: str | None = None
    ) -> CouponOut:
        """Offer a coupon (id, title, link, discount, quantity, valid_minutes) to every viewer."""
        room = await self.room(room_id)
        spec = coupon if isinstance(coupon, CouponSpec) else CouponSpec.model_validate(coupon)
        now = self.clock.time()
        expires = now + spec.valid_minutes * 60 if spec.valid_minutes else None
        async with self.db.sessions() as s, s.begin():
            stock = await store_push_coupon(
                s,
                room_id,
                spec.id,
                title=spec.title,
                link=spec.link,
                quantity=spec.quantity,
                run_id=room.state.run_id,
                pushed_at=as_datetime(now),
                expires_at=as_datetime(expires) if expires else None,
            )
            remaining = None if stock.quantity is None else stock.quantity - stock.claimed
            data: dict[str, Any] = {
                "coupon_id": spec.id,
                "title": spec.title,
                "discount": spec.discount,
                "quantity": spec.quantity,
                "expires_at": as_datetime(expires).isoformat() if expires else None,
            }
            if cue is not None:
                data["cue"] = cue
            event = await append_event(s, self.line(room, "coupon_pushed", data=data, ts=now))
        self.announce(event)
        room.coupon_links[spec.id] = spec.link
        offer = CouponOut(
            coupon_id=spec.id,
            title=spec.title,
            discount=spec.discount,
            quantity=stock.quantity,
            remaining=remaining,
            expires_at=expires,
            sold_out=remaining is not None and remaining <= 0,
            cue=cue,
        )
        await self.dispatch(room, offer)
        return offer

    async def claim(self, room: Room, conn: Connection, coupon_id: str) -> CouponClaimReply:
        """One viewer claims one coupon; the database decides (never oversold, one per viewer).

        A socket that came without a viewer id may not claim (a new id per socket would be a claim per
        socket), nor an address past `limits.claims_per_coupon`; those refusals are counted, not logged."""
        if not conn.staff:
            limits = room.state.settings.limits
            refused: Literal["no_token", "limit"] | None = None
            if not conn.identified:
                self.limits.refused_without_token(room.id, "claims")
                refused = "no_token"
            elif not self.limits.take(room.id, "claims", coupon_id, conn.address, limits):
                refused = "limit"
            if refused is not None:
                reply = CouponClaimReply(coupon_id=coupon_id, ok=False, reason=refused)
                conn.send(reply)
                return reply
        now = self.clock.time()
        try:
            result = await claim_coupon(
                self.db.sessions, room.id, coupon_id, conn.viewer_id, room.state.run_id, as_datetime(now)
            )
        except Exception:
            self.limits.give_back(room.id, "claims", coupon_id, conn.address, room.state.settings.limits)
            raise
        if result.status is not ClaimStatus.CLAIMED:
            self.limits.give_back(room.id, "claims", coupon_id, conn.address, room.state.settings.limits)
        if result.status is ClaimStatus.CLAIMED:
            lines = [
                self.line(
                    room,
                    "coupon_claimed",
                    viewer_id=conn.viewer_id,
                    data={"coupon_id": coupon_id, "remaining": result.remaining},
                )
            ]
            if result.remaining == 0:
                lines.append(self.line(room, "coupon_sold_out", data={"coupon_id": coupon_id}))
            await self.log(*lines)
            reply = CouponClaimReply(
                coupon_id=coupon_id,
                ok=True,
                remaining=result.remaining,
                link=await self._coupon_link(room, coupon_id),
            )
            conn.send(reply)
            await self.dispatch(
                room,
                CouponTaken(coupon_id=coupon_id, viewer_id=conn.viewer_id, remaining=result.remaining),
                arrived=time.perf_counter(),
            )
            return reply
        await self.log(
            self.line(
                room,
                "coupon_claim_refused",
                viewer_id=conn.viewer_id,
                data={"coupon_id": coupon_id, "reason": result.status.value},
            )
        )
        reply = CouponClaimReply(
            coupon_id=coupon_id,
            ok=False,
            reason=result.status.value,  # type: ignore[arg-type]
            remaining=result.remaining,
        )
        conn.send(reply)
        return reply

    async def _coupon_link(self, room: Room, coupon_id: str) -> str | None:
        link = room.coupon_links.get(coupon_id)
        if link:
            return link
        async with self.db.sessions() as s:
            link = await s.scalar(
                select(CouponStock.link).where(
                    CouponStock.room_id == room.id, CouponStock.coupon_id == coupon_id
                )
            )
        if link:
            room.coupon_links[coupon_id] = link
        return link

    async def start_countdown(
        self,
        room_id: str,
        title: str,
        duration_s: float,
        sku: str | None = None,
        stock: int | None = None,
        cue: str | None = None,
    ) -> Countdown:
        """A flash-sale (秒杀) countdown every viewer sees, optionally for a product and stock."""
        room = await self.room(room_id)
        if sku is not None and room.state.settings.product(sku) is None:
            raise HubError("unknown_product", sku)
        countdown = Countdown(
            title=title, deadline=self.clock.time() + duration_s, sku=sku, stock=stock, cue=cue
        )
        await self.log(
            self.line(
                room, "countdown_started", data=countdown.model_dump(exclude={"type"}, exclude_none=True)
            )
        )
        await self.dispatch(room, countdown)
        return countdown
