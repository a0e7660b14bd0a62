"""When a contingency plan fires: room events + the waiting-questions count + the time → `PlanFiring`s.

Pure: no I/O and no clock of its own. `observe(event)` takes each hub `RoomEvent` (its `ts`
is the time); `tick(now, waiting)` handles what depends on time passing (a stream down for
`for` seconds, a silent chat, the human queue). `cooldown` and `unless_recent` are applied
here, so every `PlanFiring` that comes out is meant to be carried out.

Conditions and the events they read:

- `stream_down {for}`: a `stream_down` (or a non-deliberate `stream_stopped`) of the host,
  with no `stream_started` for `for` seconds; once per outage.
- `stream_up`: the host's `stream_started` after a `stream_down` plan fired for that outage.
- `stream_quality_low {min_bitrate_kbps, min_fps, for}`: `stream_health` samples below either
  floor for `for` seconds; once per low spell.
- `viewers_drop {percent, window, min_viewers}`: `presence` samples (summed over instances):
  the count fell by `percent` from the highest count within `window`, which was ≥ `min_viewers`.
- `chat_silent {for}`: viewers are present and no viewer chat line for `for` seconds.
- `queue_longer {than}`: more than `than` questions wait for a human (the `tick` count);
  once each time the queue grows past it.
- `coupon_sold_out {coupon?}`: a `coupon_sold_out` event (of that coupon, if named).
- `product_out_of_stock {product?}`: a `product_out_of_stock` event `{sku}` (of that product).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.rules.models import Action, ContingencyPlan
from media.hub.events import RoomEvent

# Stops the host meant (not outages).
DELIBERATE_STOPS = frozenset({"deleted", "ended_by_host", "server_shutdown"})
# Presence is logged per instance every 5 s; an instance silent this long has no viewers left.
PRESENCE_STALE_S = 30.0
# What `unless_recent` looks back for, by the event that says it happened.
RECENT_KINDS = {"lottery_opened": "lottery", "coupon_pushed": "coupon", "vote_opened": "vote"}
# What `restore` reads back from the log after a restart.
RESTORE_KINDS = ("contingency_fired", *RECENT_KINDS)


@dataclass(frozen=True)
class PlanFiring:
    """A plan to carry out now: its id and its actions, in order."""

    plan_id: str
    actions: tuple[Action, ...]
    title: str = ""
    condition: str = ""
    at: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


def _is_host(data: Mapping[str, Any]) -> bool:
    return (data.get("stream") or data.get("slot") or "host") == "host"


def _health(data: Mapping[str, Any]) -> tuple[float, float] | None:
    sample: Any = data if "bitrate_kbps" in data else data.get("host")
    if not isinstance(sample, Mapping):
        return None
    try:
        return float(sample["bitrate_kbps"]), float(sample["fps"])
    except (KeyError, TypeError, ValueError):
        return None


class ContingencyWatch:
    """The contingency plans of one room, with the little state they need between events."""

    def __init__(self, plans: Sequence[ContingencyPlan] = ()) -> None:
        self.plans: tuple[ContingencyPlan, ...] = tuple(plans)
        self._last_fired: dict[str, float] = {}
        self._recent: dict[str, float] = {}  # lottery / coupon / vote → when one last ran
        self._down_since: float | None = None
        self._down_fired: set[str] = set()  # stream_down plans decided in this outage
        self._down_acted = False  # one of them actually fired (stream_up answers only that)
        self._low_since: float | None = None
        self._low_fired: set[str] = set()
        self._presence: dict[str, tuple[float, int]] = {}
        self._totals: deque[tuple[float, int]] = deque()
        self.viewers = 0
        self._quiet_since: float | None = None  # viewers present, no viewer chat since
        self._queue = 0
        self._queue_fired: set[str] = set()

    def configure(self, plans: Sequence[ContingencyPlan]) -> None:
        """Take (re)loaded plans; what is down, the cooldowns and the recent things carry over."""
        self.plans = tuple(plans)

    def lookback(self) -> float:
        """How far back in the log `restore` must read: the plans' longest cooldown or `unless_recent`."""
        windows = [p.cooldown for p in self.plans]
        for plan in self.plans:
            recent = plan.unless_recent
            windows += [w for w in (recent.lottery, recent.coupon, recent.vote) if w is not None]
        return max(windows, default=0.0)

    def restore(self, events: Iterable[RoomEvent]) -> None:
        """After a restart, take the cooldowns back from the log: when each plan last fired
        (`contingency_fired`) and when a lottery, coupon or vote last ran (their own events)."""
        for event in events:
            if event.kind == "contingency_fired":
                plan_id = str(event.data.get("plan_id", ""))
                if plan_id:
                    self._last_fired[plan_id] = max(event.ts, self._last_fired.get(plan_id, event.ts))
            elif event.kind in RECENT_KINDS:
                thing = RECENT_KINDS[event.kind]
                self._recent[thing] = max(event.ts, self._recent.get(thing, event.ts))

    def _of(self, kind: str) -> list[ContingencyPlan]:
        return [p for p in self.plans if p.when.kind == kind]

    # -- the gate every firing passes: cooldown, unless_recent

    def _gate(self, plan: ContingencyPlan, now: float, **detail: Any) -> list[PlanFiring]:
        last = self._last_fired.get(plan.id)
        if last is not None and now - last < plan.cooldown:
            return []
        recent = plan.unless_recent
        for thing in ("lottery", "coupon", "vote"):
            within: float | None = getattr(recent, thing)
            seen = self._recent.get(thing)
            if within is not None and seen is not None and now - seen < within:
                return []
        self._last_fired[plan.id] = now
        return [PlanFiring(plan.id, tuple(plan.do), plan.title, plan.when.kind, now, dict(detail))]

    # -- events

    def observe(self, event: RoomEvent) -> list[PlanFiring]:
        """The plans this event fires now (often none), then whatever its time makes due."""
        kind, data, ts = event.kind, event.data, event.ts
        out: list[PlanFiring] = []
        if kind in RECENT_KINDS:
            self._recent[RECENT_KINDS[kind]] = ts
        match kind:
            case "stream_down":
                if _is_host(data):
                    self._went_down(ts)
            case "stream_stopped":
                if _is_host(data) and data.get("reason") not in DELIBERATE_STOPS:
                    self._went_down(ts)
            case "stream_started":
                if _is_host(data):
                    out += self._came_back(ts)
            case "stream_health":
                out += self._stream_health(data, ts)
            case "presence":
                out += self._presence_sample(data, ts)
            case "chat" if event.is_viewer_chat:
                self._quiet_since = ts
            case "coupon_sold_out":
                coupon_id = str(data.get("coupon_id", ""))
                for plan in self._of("coupon_sold_out"):
                    want = plan.when.coupon_sold_out
                    if want is not None and want.coupon in (None, coupon_id):
                        out += self._gate(plan, ts, coupon_id=coupon_id)
            case "product_out_of_stock":
                sku = str(data.get("sku") or data.get("product") or "")
                for plan in self._of("product_out_of_stock"):
                    stock = plan.when.product_out_of_stock
                    if stock is not None and stock.product in (None, sku):
                        out += self._gate(plan, ts, sku=sku)
            case _:
                pass
        return out + self._due(ts)

    def _went_down(self, ts: float) -> None:
        if self._down_since is None:
            self._down_since = ts
            self._down_fired, self._down_acted = set(), False

    def _came_back(self, ts: float) -> list[PlanFiring]:
        since, acted = self._down_since, self._down_acted
        self._down_since, self._down_fired, self._down_acted = None, set(), False
        self._low_since, self._low_fired = None, set()
        if since is None or not acted:
            return []
        out: list[PlanFiring] = []
        for plan in self._of("stream_up"):
            out += self._gate(plan, ts, down_seconds=round(ts - since))
        return out

    def _stream_health(self, data: Mapping[str, Any], ts: float) -> list[PlanFiring]:
        sample = _health(data)
        if sample is None:
            return []
        bitrate, fps = sample
        out: list[PlanFiring] = []
        any_low = False
        for plan in self._of("stream_quality_low"):
            want = plan.when.stream_quality_low
            assert want is not None
            if bitrate >= want.min_bitrate_kbps and fps >= want.min_fps:
                self._low_fired.discard(plan.id)
                continue
            any_low = True
            if self._low_since is None:
                self._low_since = ts
            if plan.id in self._low_fired or ts - self._low_since < want.for_:
                continue
            self._low_fired.add(plan.id)
            out += self._gate(plan, ts, bitrate_kbps=bitrate, fps=fps)
        if not any_low:
            self._low_since = None
        return out

    def _presence_sample(self, data: Mapping[str, Any], ts: float) -> list[PlanFiring]:
        instance = str(data.get("instance", ""))
        count = data.get("viewers", data.get("online", 0))
        try:
            self._presence[instance] = (ts, int(count))
        except (TypeError, ValueError):
            return []
        total = sum(n for seen, n in self._presence.values() if ts - seen <= PRESENCE_STALE_S)
        if total > 0 and self.viewers == 0 and self._quiet_since is None:
            self._quiet_since = ts
        self.viewers = total
        if total == 0:
            self._quiet_since = None
        out: list[PlanFiring] = []
        longest = max(
            (p.when.viewers_drop.window for p in self._of("viewers_drop") if p.when.viewers_drop), default=0.0
        )
        while self._totals and ts - self._totals[0][0] > longest:
            self._totals.popleft()
        for plan in self._of("viewers_drop"):
            want = plan.when.viewers_drop
            assert want is not None
            before = max((n for seen, n in self._totals if ts - seen <= want.window), default=0)
            if before > 0 and before >= want.min_viewers and total * 100 <= before * (100 - want.percent):
                out += self._gate(plan, ts, before=before, viewers=total)
        self._totals.append((ts, total))
        return out

    # -- time passing

    def tick(self, now: float, waiting: int = 0) -> list[PlanFiring]:
        """The plans that are due at `now` with `waiting` questions in the human queue."""
        out: list[PlanFiring] = []
        for plan in self._of("queue_longer"):
            want = plan.when.queue_longer
            assert want is not None
            if waiting <= want.than:
                self._queue_fired.discard(plan.id)
            elif plan.id not in self._queue_fired:
                self._queue_fired.add(plan.id)
                out += self._gate(plan, now, waiting=waiting)
        self._queue = waiting
        return out + self._due(now)

    def _due(self, now: float) -> list[PlanFiring]:
        out: list[PlanFiring] = []
        if self._down_since is not None:
            for plan in self._of("stream_down"):
                want = plan.when.stream_down
                assert want is not None
                if plan.id in self._down_fired or now - self._down_since < want.for_:
                    continue
                fired = self._gate(plan, now, down_seconds=round(now - self._down_since))
                self._down_fired.add(plan.id)
                self._down_acted = self._down_acted or bool(fired)
                out += fired
        if self._quiet_since is not None and self.viewers > 0:
            for plan in self._of("chat_silent"):
                silent = plan.when.chat_silent
                assert silent is not None
                since = max(self._quiet_since, self._last_fired.get(plan.id, self._quiet_since))
                if now - since >= silent.for_:
                    out += self._gate(plan, now, silent_seconds=round(now - self._quiet_since))
        return out
