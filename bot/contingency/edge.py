"""Contingency plans carried out in a running room: hub events → `ContingencyWatch` → room actions.

`ContingencyEdge.running()` (entered after the hub has started; the show runner and the alert
outbox are handed in) subscribes to the hub, ticks once a second with the human queue's length, and for each `PlanFiring` does its
actions in order — `say`/`pin`/`coupon`/`vote`/`lottery`/`countdown` through the hub,
`pause_cues`/`resume_cues` through the show runner, `alert` into the alert outbox — then logs
`contingency_fired {plan_id, title, condition, actions, failed}` (the studio log and the team
chat show it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot.alerts.outbox import Outbox
from bot.alerts.rules import Alert
from bot.contingency.watch import RESTORE_KINDS, ContingencyWatch, PlanFiring
from bot.rules.models import Action, Rulebook
from bot.rules.reload import RulebookHolder
from bot.show.plan import render, vote_options
from bot.show.runner import ShowError, ShowRunner
from media.hub import RoomEvent, RoomHub
from media.hub.clock import as_datetime
from media.hub.events import HubError
from media.store.events import room_events

log = logging.getLogger(__name__)

MAX_ID = 64
MAX_LOOKBACK = 24 * 3600.0  # the log read back at start for cooldowns reaches this far at most


class ContingencyEdge:
    """Feeds one room's events to the watch and carries out what it decides, one firing at a time."""

    def __init__(
        self,
        room_id: str,
        hub: RoomHub,
        holder: RulebookHolder,
        *,
        runner: ShowRunner | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.room_id = room_id
        self.hub = hub
        self.holder = holder
        self.runner = runner
        self.outbox = outbox
        self.watch = ContingencyWatch(holder.current.contingency)
        self.queue: asyncio.Queue[PlanFiring] = asyncio.Queue()
        self.fired: list[PlanFiring] = []

    @property
    def rulebook(self) -> Rulebook:
        return self.holder.current

    def on_reload(self, book: Rulebook) -> None:
        self.watch.configure(book.contingency)

    def on_event(self, event: RoomEvent) -> None:
        if event.room_id != self.room_id or event.kind == "contingency_fired":
            return
        for firing in self.watch.observe(event):
            self.queue.put_nowait(firing)

    def tick(self) -> None:
        waiting = len(self.hub.waiting_questions(self.room_id))
        for firing in self.watch.tick(self.hub.clock.time(), waiting):
            self.queue.put_nowait(firing)

    async def tick_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                self.tick()
            except Exception:
                log.exception("contingency tick failed")

    async def act_forever(self) -> None:
        while True:
            firing = await self.queue.get()
            try:
                await self.carry_out(firing)
            except Exception:
                log.exception("contingency plan %s failed", firing.plan_id)

    async def carry_out(self, firing: PlanFiring) -> dict[str, Any]:
        """Do the firing's actions in order (one failing does not stop the rest), then log it."""
        done: list[str] = []
        failed: list[dict[str, str]] = []
        for action in firing.actions:
            try:
                await self._do(firing, action)
                done.append(action.kind)
            except (HubError, ShowError) as exc:
                failed.append({"action": action.kind, "error": exc.code})
                log.warning("contingency %s: %s failed: %s", firing.plan_id, action.kind, exc.code)
            except Exception as exc:
                failed.append({"action": action.kind, "error": type(exc).__name__})
                log.exception("contingency %s: %s failed", firing.plan_id, action.kind)
        data: dict[str, Any] = {
            "plan_id": firing.plan_id,
            "title": firing.title,
            "condition": firing.condition,
            "actions": [a.kind for a in firing.actions],
            "done": done,
            "failed": failed,
            **firing.detail,
        }
        hub = self.hub
        await hub.log(hub.line(await hub.room(self.room_id), "contingency_fired", data=data))
        self.fired.append(firing)
        return data

    async def _do(self, firing: PlanFiring, action: Action) -> None:
        hub, room_id, book = self.hub, self.room_id, self.rulebook
        if action.say is not None:
            await hub.say(room_id, render(action.say, None, book))
        elif action.pin is not None:
            await hub.pin_product(room_id, action.pin)
        elif action.coupon is not None:
            coupon = book.coupon(action.coupon)
            if coupon is None:
                raise HubError("unknown_coupon", action.coupon)
            spec: dict[str, Any] = {
                "id": coupon.id,
                "title": coupon.title,
                "link": coupon.link,
                "discount": f"{coupon.discount:g}",
                "quantity": coupon.quantity,
                "valid_minutes": coupon.valid_minutes,
            }
            await hub.push_coupon(room_id, spec)
        elif action.vote is not None:
            vote = action.vote
            await hub.open_vote(
                room_id,
                self._unique(vote.id),
                vote.question,
                vote_options(vote, book),
                vote.duration,
                vote.allow_change,
            )
        elif action.lottery is not None:
            lot = action.lottery
            await hub.open_lottery(
                room_id,
                self._unique(lot.id),
                lot.prize,
                lot.winners,
                lot.keyword,
                lot.window,
                lot.eligibility.model_dump(),
                lot.prize_value,
            )
        elif action.countdown is not None:
            cd = action.countdown
            await hub.start_countdown(room_id, cd.title, cd.duration, cd.product, cd.stock)
        elif action.pause_cues:
            if self.runner is None:
                raise ShowError("no_show")
            await self.runner.pause()
        elif action.resume_cues:
            if self.runner is None:
                raise ShowError("no_show")
            await self.runner.resume()
        elif action.alert is not None:
            if self.outbox is None:
                raise ShowError("no_alerts")
            await self.outbox.put(
                Alert(
                    f"{room_id}:contingency:{firing.plan_id}:{round(firing.at * 1000)}",
                    "contingency",
                    "warning",
                    action.alert,
                    room_id,
                    {"plan_id": firing.plan_id},
                )
            )

    def _unique(self, base: str) -> str:
        """Votes and lotteries are unique per run: each firing gets its own id."""
        suffix = f"-{round(self.hub.clock.time() * 1000) % 10**9}"
        return base[: MAX_ID - len(suffix)] + suffix

    async def restore(self) -> None:
        """Cooldowns and `unless_recent` survive a restart: read back what fired and what ran."""
        now = self.hub.clock.time()
        since = as_datetime(now - min(self.watch.lookback(), MAX_LOOKBACK))
        try:
            async with self.hub.db.sessions() as s:
                events = await room_events(s, self.room_id, since=since, kinds=RESTORE_KINDS)
        except Exception:
            log.exception("contingency: could not read the cooldowns back from the event log")
            return
        self.watch.restore(events)

    @contextlib.asynccontextmanager
    async def running(self, *, tick_every: float = 1.0) -> AsyncIterator[None]:
        """Watch the hub and carry out firings until the `async with` ends (cooldowns read back first)."""
        unsubscribe = self.hub.subscribe(self.on_event)
        await self.restore()
        tasks = [
            asyncio.create_task(self.tick_forever(tick_every), name="contingency-tick"),
            asyncio.create_task(self.act_forever(), name="contingency-act"),
        ]
        try:
            yield
        finally:
            unsubscribe()
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
