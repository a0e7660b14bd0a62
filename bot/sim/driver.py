"""Drive a seeded audience plan (`bot.sim.simulate.plan_audience`) through the real room protocol.

Each simulated viewer gets a signed viewer id the way a browser does (GET `/room/{room}` sets the
`lr_viewer` cookie), then opens its WebSocket(s) `/ws/{room}?token=…&nick=…` at its `join` step, sends
its steps as viewer messages at `offset / speed` seconds after the drive starts, and closes the socket
at its `leave` step. Sockets are bounded (`max_sockets`; a join waits for a free slot). Incoming
messages are read and counted (a socket nobody reads would stall the room's sender).

`planned_messages` is pure: the same plan gives the same messages, so the same seed sends the same
messages. Orders are not room messages: they come from the shop, so the driver plays the shop too when
it is given a signer for the room's order webhook (`sign_order`, which the caller builds from
`media.web.orders.sign` and the room's secret): it posts each order to `POST /api/orders` with the
buyer's viewer id, and with the coupon only when the room accepted that viewer's claim of it. Without a
signer orders are left out. Gifts the room does not offer (its
`welcome` lists them) are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.sim.simulate import Step

log = logging.getLogger(__name__)

VIEWER_COOKIE = "lr_viewer"


@dataclass(frozen=True)
class Planned:
    """One thing the driver does: open or close a socket, or send `message` on it."""

    at: float  # script seconds from the show start
    viewer: str
    connection: str
    kind: str  # open | send | close | order
    message: dict[str, Any] | None = None  # the viewer message; for an order, the shop's order


def step_message(step: Step) -> dict[str, Any] | None:
    """The viewer message a plan step sends, or None for steps that are not room messages."""
    d = step.data
    match step.action:
        case "chat":
            return {"type": "chat", "text": d["text"]}
        case "like":
            return {"type": "like", "count": int(d.get("count", 1))}
        case "gift":
            return {"type": "gift", "gift_id": d["gift_id"]}
        case "follow":
            return {"type": "follow"}
        case "click":
            return {"type": "click_product", "sku": d["sku"]}
        case "claim":
            return {"type": "claim_coupon", "coupon_id": d["coupon_id"]}
        case "enter":
            if d.get("keyword"):  # 口令: typing the keyword in chat is how most viewers enter
                return {"type": "chat", "text": d["keyword"]}
            return {"type": "enter_lottery", "lottery_id": d["lottery_id"]}
        case "vote":
            return {"type": "vote", "vote_id": d["vote_id"], "option": int(d["option"])}
    return None


def planned_messages(steps: list[Step]) -> list[Planned]:
    """The plan as socket operations, in time order. Pure."""
    out: list[Planned] = []
    for step in steps:
        if step.action == "order":  # the shop's, not the room's: no socket
            out.append(Planned(step.offset, step.viewer, "", "order", dict(step.data)))
        elif not step.connection:
            continue
        elif step.action == "join":
            out.append(Planned(step.offset, step.viewer, step.connection, "open"))
        elif step.action == "leave":
            out.append(Planned(step.offset, step.viewer, step.connection, "close"))
        else:
            message = step_message(step)
            if message is not None:
                out.append(Planned(step.offset, step.viewer, step.connection, "send", message))
    return out


def nickname(viewer: str) -> str:
    """A stable nickname for a simulated viewer id like `sim7-00012`: 模拟观众12."""
    tail = viewer.rsplit("-", 1)[-1].lstrip("0") or "0"
    return f"模拟观众{tail}"


@dataclass
class DriveStats:
    opened: int = 0
    closed: int = 0
    failed: int = 0
    skipped: int = 0
    orders: int = 0  # accepted by the orders webhook
    orders_failed: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        sent = ", ".join(f"{k} {v}" for k, v in sorted(self.sent.items())) or "—"
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items())) or "—"
        orders = f"; orders {self.orders}" + (
            f" ({self.orders_failed} refused)" if self.orders_failed else ""
        )
        return (
            f"sockets opened {self.opened}, closed {self.closed}, failed {self.failed}; "
            f"sent: {sent}; skipped {self.skipped}; received {sum(self.received.values())}; "
            f"errors: {errors}{orders if self.orders or self.orders_failed else ''}"
        )


class _Socket:
    """One simulated tab: a queue of operations worked through in order by its own task."""

    def __init__(self, driver: AudienceDriver, viewer: str, connection: str) -> None:
        self.driver = driver
        self.viewer = viewer
        self.connection = connection
        self.queue: asyncio.Queue[Planned | None] = asyncio.Queue()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.gifts: set[str] | None = None
        self.welcomed = asyncio.Event()
        self.task = asyncio.create_task(self._work(), name=f"sim-{viewer}-{connection}")
        self.reader: asyncio.Task[None] | None = None

    async def _work(self) -> None:
        d = self.driver
        holding = False
        try:
            while (op := await self.queue.get()) is not None:
                if op.kind == "open" and self.ws is None:
                    await d.slots.acquire()
                    holding = True
                    try:
                        await self._open()
                    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                        d.stats.failed += 1
                        log.warning("simulated viewer %s could not connect: %s", self.viewer, exc)
                        d.slots.release()
                        holding = False
                elif op.kind == "close":
                    break
                elif op.kind == "send" and op.message is not None:
                    await self._send(op.message)
        finally:
            await self._close()
            if holding:
                d.slots.release()

    async def _open(self) -> None:
        d = self.driver
        token = await d.token_for(self.viewer)
        url = f"{d.ws_base}/ws/{quote(d.room)}?token={quote(token)}&nick={quote(nickname(self.viewer))}"
        self.ws = await d.http.ws_connect(url, heartbeat=30.0, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        d.stats.opened += 1
        self.reader = asyncio.create_task(self._read(self.ws))
        with contextlib.suppress(TimeoutError):  # the room greets first; a viewer acts after that
            await asyncio.wait_for(self.welcomed.wait(), 5)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        d = self.driver
        try:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = json.loads(frame.data)
                for message in data if isinstance(data, list) else [data]:
                    kind = str(message.get("type", "?"))
                    d.stats.received[kind] += 1
                    if kind == "welcome":
                        self.gifts = {str(g.get("id")) for g in message.get("gifts", [])}
                        self.welcomed.set()
                    elif kind == "error":
                        d.stats.errors[str(message.get("code", "?"))] += 1
                    elif kind == "coupon_claim" and message.get("ok"):
                        d.claimed.add((self.viewer, str(message.get("coupon_id"))))
        finally:
            self.welcomed.set()  # closed before the greeting: nobody waits for it

    async def _send(self, message: dict[str, Any]) -> None:
        d = self.driver
        if self.ws is None or self.ws.closed:
            d.stats.skipped += 1
            return
        if message["type"] == "gift" and self.gifts is not None and message["gift_id"] not in self.gifts:
            d.stats.skipped += 1
            return
        try:
            await self.ws.send_str(json.dumps(message, ensure_ascii=False))
        except (aiohttp.ClientError, ConnectionError) as exc:
            d.stats.skipped += 1
            log.debug("send failed for %s: %s", self.viewer, exc)
            return
        d.stats.sent[message["type"]] += 1

    async def _close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError):
                await self.ws.close()
            self.driver.stats.closed += 1
            self.ws = None
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError, ValueError):
                await self.reader


class AudienceDriver:
    """Replays `steps` against the room at `base_url` (http://host:port), paced by `speed`."""

    def __init__(
        self,
        base_url: str,
        room: str,
        steps: list[Step],
        speed: float = 1.0,
        *,
        max_sockets: int = 500,
        start_offset: float = 0.0,
        sign_order: Callable[[bytes], Mapping[str, str]] | None = None,
        order_tag: str | None = None,
    ) -> None:
        """`sign_order(body)`: the signature headers of an order body, to post the plan's orders.
        `order_tag` is added to the plan's order ids: the shop numbers every order once, so a plan
        played again (a second demo run) must post new order ids, not replays the room ignores."""
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.base_url = base_url.rstrip("/")
        self.ws_base = "ws" + self.base_url[4:] if self.base_url.startswith("http") else self.base_url
        self.room = room
        self.plan = planned_messages(steps)
        self.speed = speed
        self.start_offset = start_offset
        self.slots = asyncio.Semaphore(max_sockets)
        self.stats = DriveStats()
        self.sign_order = sign_order
        self.order_tag = order_tag
        self.claimed: set[tuple[str, str]] = set()  # (simulated viewer, coupon) the room accepted
        self._orders: set[asyncio.Task[None]] = set()
        self._tokens: dict[str, str] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._http is not None, "AudienceDriver.run() opens the session"
        return self._http

    async def token_for(self, viewer: str) -> str:
        """A signed viewer token, fetched once per simulated viewer from the viewer page's cookie."""
        lock = self._token_locks.setdefault(viewer, asyncio.Lock())
        async with lock:
            if viewer not in self._tokens:
                async with self.http.get(f"{self.base_url}/room/{quote(self.room)}") as response:
                    response.raise_for_status()
                    cookie = response.cookies.get(VIEWER_COOKIE)
                    await response.read()
                if cookie is None:
                    raise aiohttp.ClientError(f"no {VIEWER_COOKIE} cookie from /room/{self.room}")
                self._tokens[viewer] = cookie.value
            return self._tokens[viewer]

    def room_viewer_id(self, viewer: str) -> str | None:
        """The room's id of a simulated viewer who has joined (a token is `id.signature`)."""
        token = self._tokens.get(viewer)
        return token.partition(".")[0] if token else None

    async def _post_order(self, op: Planned) -> None:
        """The shop reports the order: the signed webhook, as a shop's backend would call it."""
        assert op.message is not None and self.sign_order is not None
        order = dict(op.message)
        coupon = order.pop("coupon_id", None)
        viewer_id = self.room_viewer_id(op.viewer)
        if viewer_id is None:
            return  # never got into the room, so never saw the product
        body: dict[str, Any] = {"room": self.room, "viewer_id": viewer_id, **order}
        if self.order_tag:
            body["order_id"] = f"{order['order_id']}-{self.order_tag}"
        if coupon and (op.viewer, str(coupon)) in self.claimed:
            body["coupon_id"] = coupon
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **self.sign_order(raw)}
        try:
            async with self.http.post(f"{self.base_url}/api/orders", data=raw, headers=headers) as response:
                await response.read()
                ok = response.status in (200, 201)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("order %s could not be posted: %s", order.get("order_id"), exc)
            ok = False
        if ok:
            self.stats.orders += 1
        else:
            self.stats.orders_failed += 1

    async def run(self, stop: asyncio.Event | None = None) -> DriveStats:
        """Send the whole plan (or until `stop` is set), then close every socket."""
        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        sockets: dict[tuple[str, str], _Socket] = {}
        connector = aiohttp.TCPConnector(limit=0)
        self._http = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
        try:
            for op in self.plan:
                if op.at < self.start_offset:
                    continue
                due = t0 + (op.at - self.start_offset) / self.speed
                delay = due - loop.time()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    break
                if op.kind == "order":
                    if self.sign_order is not None:
                        task = asyncio.create_task(self._post_order(op))
                        self._orders.add(task)
                        task.add_done_callback(self._orders.discard)
                    continue
                key = (op.viewer, op.connection)
                sock = sockets.get(key)
                if op.kind == "open":
                    if sock is None or sock.task.done():
                        sock = sockets[key] = _Socket(self, op.viewer, op.connection)
                    sock.queue.put_nowait(op)
                elif sock is None or sock.task.done():
                    self.stats.skipped += op.kind == "send"
                else:
                    sock.queue.put_nowait(op)
            if not stop.is_set():
                # let the last messages go out before the sockets close
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            if self._orders:  # orders under way reach the shop's webhook before the sockets close
                await asyncio.wait(set(self._orders), timeout=10)
            for sock in sockets.values():
                if not sock.task.done():
                    sock.queue.put_nowait(None)
            tasks = [s.task for s in sockets.values()]
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=10)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            await self._http.close()
            self._http = None
        return self.stats
