"""The shop's side: `POST /api/orders` (HMAC-signed webhook) and `GET /go/{room}/{sku}` (tracked link)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from media.hub.clock import as_datetime
from media.hub.events import HubError
from media.hub.hub import RoomHub
from media.hub.identity import VIEWER_COOKIE
from media.hub.protocol import Key, first_problem
from media.hub.state import Counted
from media.i18n import t
from media.signing import same
from media.store.events import insert_events
from media.store.orders import MAX_QUANTITY, record_order
from media.web.api import api_error, refuse
from media.web.clients import client_address

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Liveroom-Signature"
VIEWER_PARAM = "lr_viewer"  # the viewer id added to product links, for the shop to send back


# An id the shop sends back: printable, no control characters (PostgreSQL cannot store NUL).
ShopText = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]


class OrderIn(BaseModel):
    """The webhook's body; other fields the shop sends are ignored."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    order_id: ShopText
    room: Key
    sku: Key
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    viewer_id: ShopText | None = None
    coupon_id: Key | None = None


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a body: `sha256=<hex HMAC-SHA256>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    return bool(header) and same(str(header).strip(), sign(secret, body))


async def orders_webhook(request: web.Request, hub: RoomHub) -> web.Response:
    body = await request.read()
    if not signature_ok(hub.secret, body, request.headers.get(SIGNATURE_HEADER)):
        raise refuse(None, 401, "bad_signature")
    try:
        order = OrderIn.model_validate_json(body)
    except ValidationError as exc:
        raise api_error(400, "invalid", t(None, "api.error.bad_request", detail=first_problem(exc))) from None
    settings = hub.directory.get(order.room)
    if settings is None:
        raise refuse(None, 404, "unknown_room")
    if settings.product(order.sku) is None:
        raise refuse(settings.language, 400, "unknown_product", sku=order.sku)
    room = await hub.room(order.room)
    now = as_datetime(hub.clock.time())
    data: dict[str, Any] = {
        "order_id": order.order_id,
        "sku": order.sku,
        "quantity": order.quantity,
        "amount": f"{order.amount:.2f}",
    }
    if order.coupon_id:
        data["coupon_id"] = order.coupon_id
    async with hub.db.sessions() as s, s.begin():
        recorded = await record_order(
            s,
            order.order_id,
            order.room,
            order.sku,
            order.quantity,
            order.amount,
            run_id=room.state.run_id,
            viewer_id=order.viewer_id,
            ts=now,
        )
        stored = recorded.row  # on a retry, the order as first stored
        sku, run_id, same_room = stored.sku, stored.run_id, stored.room_id == order.room
        events = [hub.line(room, "order", viewer_id=order.viewer_id, data=data, ts=now.timestamp())]
        if order.coupon_id and order.viewer_id:
            used = {"coupon_id": order.coupon_id, "order_id": order.order_id}
            events.append(
                hub.line(room, "coupon_used", viewer_id=order.viewer_id, data=used, ts=now.timestamp())
            )
        if recorded.created:
            await insert_events(s, events)
    if recorded.created:
        hub.announce(*events)
        await hub.dispatch(room, Counted(counter="orders", amount=float(order.amount)))
    # After the commit, so of orders racing for the last units the last to check sees them all;
    # again on a retry, in case the first delivery stopped before this (the check is idempotent).
    if same_room:
        await hub.check_stock(room, sku, run_id)
    if not recorded.created:
        return web.json_response({"status": "duplicate", "order_id": order.order_id}, status=200)
    return web.json_response({"status": "recorded", "order_id": order.order_id}, status=201)


def with_viewer(link: str, viewer_id: str | None) -> str:
    if not viewer_id:
        return link
    parts = urlsplit(link)
    query = [*parse_qsl(parts.query, keep_blank_values=True), (VIEWER_PARAM, viewer_id)]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def tracked_link(request: web.Request, hub: RoomHub) -> web.StreamResponse:
    room_id, sku = request.match_info["room"], request.match_info["sku"]
    settings = hub.directory.get(room_id)
    product = settings.product(sku) if settings else None
    if settings is None or product is None:
        raise web.HTTPNotFound(text=t(settings.language if settings else None, "hub.error.unknown_product"))
    if urlsplit(product.link).scheme not in ("http", "https"):
        raise web.HTTPNotFound(text=t(settings.language, "hub.error.unknown_product"))
    viewer_id = hub.ids.verify(request.cookies.get(VIEWER_COOKIE))
    source: Literal["card", "link"] = "card" if request.query.get("src") == "card" else "link"
    try:
        await hub.record_click(room_id, sku, viewer_id, source, client_address(request))
    except HubError:
        raise web.HTTPNotFound() from None
    raise web.HTTPFound(with_viewer(product.link, viewer_id))
