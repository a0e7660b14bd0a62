"""Alert decisions: room events + alerts.yaml + the time → `Alert`s for the team chat.

Pure: no I/O and no clock of its own. `observe` takes each event (its `ts` is the time);
`tick(now, waiting)` handles what depends on time passing (a stream down for `after`
seconds, a cue coming up, the digest of waiting questions). Thresholds, cooldowns and
quiet hours are applied here, so what comes out is exactly what goes to the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import bot.alerts.texts  # noqa: F401  (registers the texts)
from bot.rules.models import AlertRule, AlertsFile, ScheduledCue, ShowScript
from media.hub.events import RoomEvent
from media.i18n import t

# Contingency plans have their own cooldowns; each firing is news for the team once.
CONTINGENCY_RULE = AlertRule(cooldown=0.0)

Severity = Literal["critical", "warning", "info", "reply"]  # reply: to a team command

# A drop from fewer viewers than this is noise (3 → 2 is -33 %), whatever `percent` says.
MIN_DROP_BASE = 10
# Presence is logged per instance every 5 s; an instance silent this long has no viewers left.
PRESENCE_STALE_S = 30.0
# Stops the host meant (not outages): no "stream down" for these.
DELIBERATE_STOPS = frozenset({"deleted", "ended_by_host", "server_shutdown"})
MAX_ERROR_LINES = 10
MAX_QUESTION_CHARS = 80


@dataclass(frozen=True)
class Alert:
    """One message for the team; `key` is its idempotency key (the outbox's unique key)."""

    key: str
    kind: str
    severity: Severity
    text: str
    room_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitingQuestion:
    """A viewer question waiting for a human (the hub's queue); `number` is its chat message id."""

    number: int
    nickname: str
    text: str
    since: float


@dataclass(frozen=True)
class StreamHealth:
    live: bool
    bitrate_kbps: float | None = None
    fps: float | None = None
    at: float | None = None


def in_quiet_hours(spec: str | None, moment: dt.datetime) -> bool:
    """`"01:00-09:00"` style; a range may wrap midnight (`"22:00-07:00"`)."""
    if not spec:
        return False
    start_s, end_s = spec.split("-")
    start = int(start_s[:2]) * 60 + int(start_s[3:])
    end = int(end_s[:2]) * 60 + int(end_s[3:])
    minute = moment.hour * 60 + moment.minute
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def _ms(ts: float) -> int:
    return round(ts * 1000)


def _minutes(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _health_sample(data: Mapping[str, Any]) -> tuple[float, float] | None:
    """(bitrate, fps) of the host from a flat sample (docs/events.md) or media's per-slot snapshot."""
    sample: Any = data
    if "bitrate_kbps" not in data:
        sample = data.get("host")
    if not isinstance(sample, Mapping):
        return None
    try:
        return float(sample["bitrate_kbps"]), float(sample["fps"])
    except (KeyError, TypeError, ValueError):
        return None


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass
class _Run:
    """What a show run has seen so far: for cue_upcoming and the five-line summary."""

    run_id: int | None
    show_id: str
    title: str
    started: float
    speed: float
    schedule: list[tuple[float, ScheduledCue]] = field(default_factory=list)
    done_cues: set[str] = field(default_factory=set)  # fired or missed
    announced: set[str] = field(default_factory=set)  # cue_upcoming already decided
    peak: int = 0
    viewers: set[str] = field(default_factory=set)
    chats: int = 0
    likes: int = 0
    clicks: int = 0
    claims: int = 0
    orders: int = 0
    gmv: Decimal = Decimal(0)


class RoomAlerts:
    """The alert rules of one room, with the little state they need between events."""

    def __init__(
        self,
        room_id: str,
        alerts: AlertsFile,
        *,
        lang: str = "zh-CN",
        shows: Mapping[str, ShowScript] | None = None,
        tz: dt.tzinfo | None = None,
        products: Mapping[str, str] | None = None,
    ) -> None:
        self.room_id = room_id
        self.tz = tz
        self.configure(alerts, lang=lang, shows=shows, products=products)
        self._last: dict[tuple[str, str], float] = {}
        self._down_since: float | None = None
        self._down_decided = False  # the "down" alert was decided on (sent or held back)
        self._down_alerted = False  # … and sent, so "back up" follows it
        self._low_since: float | None = None
        self._low_alerted = False
        self.health = StreamHealth(live=False)
        self._presence: dict[str, tuple[float, int]] = {}
        self._totals: deque[tuple[float, int]] = deque()
        self.peak = 0
        self.online = 0
        self._coupons: dict[str, dict[str, Any]] = {}
        self._low_coupons: set[str] = set()
        self._nicknames: dict[str, str] = {}
        self.run: _Run | None = None
        self._last_digest: float | None = None

    def configure(
        self,
        alerts: AlertsFile,
        *,
        lang: str = "zh-CN",
        shows: Mapping[str, ShowScript] | None = None,
        products: Mapping[str, str] | None = None,
    ) -> None:
        """Take a (re)loaded alerts.yaml (and the shows, and product names by sku); state (what is down,
        peaks, cooldowns) carries over."""
        self.file = alerts
        self.rules = alerts.rules
        self.lang = lang
        self.shows = dict(shows or {})
        self.products = dict(products or {})

    # -- the gate every alert passes: enabled, quiet hours, cooldown

    def _gate(
        self,
        rule_name: str,
        rule: AlertRule,
        severity: Severity,
        now: float,
        key: str,
        text: str,
        *,
        subject: str = "",
        kind: str | None = None,
        data: dict[str, Any] | None = None,
        cooldown: float | None = None,
    ) -> list[Alert]:
        if not rule.enabled:
            return []
        quiet = rule.quiet_hours if rule.quiet_hours is not None else self.file.quiet_hours
        if severity != "critical" and in_quiet_hours(quiet, dt.datetime.fromtimestamp(now, self.tz)):
            return []
        wait = rule.cooldown if cooldown is None else cooldown
        last = self._last.get((rule_name, subject))
        if last is not None and now - last < wait:
            return []
        self._last[(rule_name, subject)] = now
        payload = {"room": self.room_id, "rule": rule_name, "ts": now, **(data or {})}
        return [Alert(f"{self.room_id}:{key}", kind or rule_name, severity, text, self.room_id, payload)]

    def _t(self, key: str, **params: Any) -> str:
        return t(self.lang, f"alerts.{key}", **params)

    # -- events

    def observe(self, event: RoomEvent) -> list[Alert]:
        """The alerts this event raises now (often none)."""
        kind, data, ts = event.kind, event.data, event.ts
        self._count(event)
        match kind:
            case "stream_stopped" | "stream_down":
                return self._stream_stopped(data, ts, outage=kind == "stream_down")
            case "stream_started":
                return self._stream_started(data, ts)
            case "stream_health":
                return self._stream_health(data, ts)
            case "presence":
                return self._presence_sample(data, ts)
            case "coupon_pushed":
                coupon_id = str(data.get("coupon_id"))
                self._coupons[coupon_id] = dict(data)
                self._low_coupons.discard(coupon_id)
                return []
            case "coupon_claimed":
                return self._coupon_claimed(data, ts)
            case "coupon_sold_out":
                return self._coupon_sold_out(data, ts)
            case "lottery_drawn":
                return self._lottery_drawn(data, ts)
            case "cue_missed":
                return self._cue_missed(event)
            case "rules_reload_failed":
                return self._reload_failed(data, ts)
            case "show_started":
                return self._show_started(event)
            case "show_ended":
                return self._show_ended(event)
            case "contingency_fired":
                return self._contingency_fired(data, ts)
            case "restream_failed":
                return self._restream_failed(data, ts)
            case "product_out_of_stock":
                return self._product_out_of_stock(data, ts)
            case "credentials_refused":
                return self._credentials_refused(data, ts)
            case _:
                return []

    def _count(self, event: RoomEvent) -> None:
        data = event.data
        if event.kind == "viewer_joined" and event.viewer_id:
            self._nicknames[event.viewer_id] = str(data.get("nickname", ""))
        run = self.run
        if run is None:
            return
        match event.kind:
            case "viewer_joined" if event.viewer_id:
                run.viewers.add(event.viewer_id)
            case "chat" if data.get("role") == "viewer":
                run.chats += 1
            case "like":
                run.likes += int(data.get("count", 1))
            case "click":
                run.clicks += 1
            case "coupon_claimed":
                run.claims += 1
            case "order":
                run.orders += 1
                run.gmv += _money(data.get("amount"))
            case "cue_fired" | "cue_missed":
                run.done_cues.add(str(data.get("cue_id")))

    def _stream_stopped(self, data: Mapping[str, Any], ts: float, *, outage: bool) -> list[Alert]:
        if (data.get("stream") or data.get("slot") or "host") != "host":
            return []
        self.health = StreamHealth(live=False, at=ts)
        if not outage and data.get("reason") in DELIBERATE_STOPS:
            return []
        if self._down_since is None:
            self._down_since = ts
            self._down_decided = self._down_alerted = False
        return []

    def _stream_started(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        if (data.get("stream") or data.get("slot") or "host") != "host":
            return []
        self.health = StreamHealth(live=True, at=ts)
        since, alerted = self._down_since, self._down_alerted
        self._down_since, self._down_decided, self._down_alerted = None, False, False
        self._low_since, self._low_alerted = None, False
        if since is None or not alerted:
            return []
        seconds = round(ts - since)
        return self._gate(
            "stream_down",
            self.rules.stream_down,
            "critical",
            ts,
            f"stream_up:{_ms(ts)}",
            self._t("stream_up", seconds=seconds),
            kind="stream_up",
            data={"down_seconds": seconds},
            cooldown=0.0,  # "back up" answers a "down" that was sent; never hold it back
        )

    def _stream_health(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        sample = _health_sample(data)
        if sample is None:
            return []
        bitrate, fps = sample
        self.health = StreamHealth(live=True, bitrate_kbps=bitrate, fps=fps, at=ts)
        rule = self.rules.stream_quality_low
        if bitrate >= rule.min_bitrate_kbps and fps >= rule.min_fps:
            self._low_since, self._low_alerted = None, False
            return []
        if self._low_since is None:
            self._low_since = ts
        if self._low_alerted or ts - self._low_since < rule.for_:
            return []
        self._low_alerted = True
        seconds = round(ts - self._low_since)
        return self._gate(
            "stream_quality_low",
            rule,
            "warning",
            ts,
            f"stream_quality_low:{_ms(self._low_since)}",
            self._t(
                "stream_quality_low",
                bitrate=round(bitrate),
                min_bitrate=rule.min_bitrate_kbps,
                fps=round(fps, 1),
                min_fps=rule.min_fps,
                seconds=seconds,
            ),
            data={"bitrate_kbps": bitrate, "fps": fps},
        )

    def _presence_sample(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        instance = str(data.get("instance", ""))
        self._presence[instance] = (ts, int(data.get("online", 0)))
        total = sum(n for seen, n in self._presence.values() if ts - seen <= PRESENCE_STALE_S)
        self.online = total
        out: list[Alert] = []

        drop = self.rules.viewers_drop
        while self._totals and ts - self._totals[0][0] > drop.window:
            self._totals.popleft()
        before = max((n for _, n in self._totals), default=0)
        self._totals.append((ts, total))
        if before >= MIN_DROP_BASE and total * 100 <= before * (100 - drop.percent):
            percent = round((before - total) * 100 / before)
            out += self._gate(
                "viewers_drop",
                drop,
                "warning",
                ts,
                f"viewers_drop:{_ms(ts)}",
                self._t("viewers_drop", before=before, now=total, percent=percent, window=round(drop.window)),
                data={"before": before, "now": total},
            )

        if total > self.peak:
            self.peak = total
            if self.run is not None:
                self.run.peak = max(self.run.peak, total)
            if total >= self.rules.new_peak.min_viewers:
                run = self.run.run_id if self.run else None
                out += self._gate(
                    "new_peak",
                    self.rules.new_peak,
                    "info",
                    ts,
                    f"new_peak:{run}:{total}",
                    self._t("new_peak", online=total),
                    data={"online": total},
                )
        return out

    def _coupon_title(self, coupon_id: str) -> str:
        return str(self._coupons.get(coupon_id, {}).get("title") or coupon_id)

    def _coupon_claimed(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        coupon_id = str(data.get("coupon_id"))
        quantity = self._coupons.get(coupon_id, {}).get("quantity")
        remaining = data.get("remaining")
        if not isinstance(quantity, int) or not isinstance(remaining, int) or quantity <= 0:
            return []
        rule = self.rules.coupon_low
        if remaining <= 0 or remaining * 100 > quantity * rule.remaining_percent:
            return []
        if coupon_id in self._low_coupons:
            return []
        self._low_coupons.add(coupon_id)
        return self._gate(
            "coupon_low",
            rule,
            "info",
            ts,
            f"coupon_low:{coupon_id}:{_ms(ts)}",
            self._t(
                "coupon_low", title=self._coupon_title(coupon_id), remaining=remaining, quantity=quantity
            ),
            subject=coupon_id,
            data={"coupon_id": coupon_id, "remaining": remaining},
        )

    def _coupon_sold_out(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        coupon_id = str(data.get("coupon_id"))
        return self._gate(
            "coupon_sold_out",
            self.rules.coupon_sold_out,
            "warning",
            ts,
            f"coupon_sold_out:{coupon_id}:{_ms(ts)}",
            self._t("coupon_sold_out", title=self._coupon_title(coupon_id)),
            subject=coupon_id,
            data={"coupon_id": coupon_id},
        )

    def _credentials_refused(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        rule = self.rules.credential_guessing
        # Attempts: wrong ones plus those refused unread during a backoff (a guesser's real rate).
        total = int(data.get("total", 0) or 0) + int(data.get("throttled", 0) or 0)
        if total < rule.failures:
            return []
        failures = data.get("failures") or {}
        where = (
            "、".join(f"{k} {v}" for k, v in failures.items() if v) if isinstance(failures, Mapping) else ""
        )
        return self._gate(
            "credential_guessing",
            rule,
            "warning",
            ts,
            f"credential_guessing:{_ms(ts)}",
            self._t(
                "credential_guessing",
                total=total,
                checks=where,
                clients=int(data.get("clients", 0) or 0),
                top=str(data.get("top_client", "")),
                top_failures=int(data.get("top_failures", 0) or 0),
            ),
            data={"total": total, "clients": data.get("clients", 0)},
        )

    def _restream_failed(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        target = str(data.get("target", ""))
        return self._gate(
            "restream_failed",
            self.rules.restream_failed,
            "warning",
            ts,
            f"restream_failed:{_ms(ts)}",
            self._t(
                "restream_failed",
                target=target,
                error=str(data.get("error", "")),
                failures=data.get("failures", 1),
                retry=round(float(data.get("retry_in_s", 0))),
            ),
            subject=target,
            data={"target": target, "failures": data.get("failures", 1)},
        )

    def _product_out_of_stock(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        sku = str(data.get("sku", ""))
        name = self.products.get(sku)
        return self._gate(
            "product_out_of_stock",
            self.rules.product_out_of_stock,
            "warning",
            ts,
            f"product_out_of_stock:{sku}:{_ms(ts)}",
            self._t(
                "product_out_of_stock",
                product=self._t("product_named", name=name, sku=sku) if name else sku,
                sold=data.get("sold", "?"),
                stock=data.get("stock", "?"),
            ),
            subject=sku,
            data={"sku": sku, "sold": data.get("sold"), "stock": data.get("stock")},
        )

    def _lottery_drawn(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        winners = [str(w) for w in data.get("winners", [])]
        names = [self._nicknames.get(w) or w[-8:] for w in winners[:10]]
        if len(winners) > 10:
            names.append("…")
        return self._gate(
            "lottery_result",
            self.rules.lottery_result,
            "info",
            ts,
            f"lottery_result:{data.get('draw_id')}",
            self._t(
                "lottery_result",
                lottery=data.get("lottery_id"),
                count=len(winners),
                entrants=data.get("entrants", "?"),
                draw_id=data.get("draw_id"),
                winners="、".join(names) if self.lang != "en" else ", ".join(names),
            )
            + self._short_draw(data, len(winners)),
            subject=str(data.get("lottery_id")),
            data={"draw_id": data.get("draw_id")},
        )

    def _short_draw(self, data: Mapping[str, Any], drawn: int) -> str:
        """A draw with fewer winners than promised (fewer eligible entrants than prizes), for the team."""
        promised, eligible = data.get("promised"), data.get("eligible")
        if not isinstance(promised, int) or not isinstance(eligible, int) or drawn >= promised:
            return ""
        text = self._t("lottery_short", promised=promised, eligible=eligible, missing=promised - drawn)
        return "\n" + text

    def _cue_missed(self, event: RoomEvent) -> list[Alert]:
        data = event.data
        at = data.get("scheduled_at")
        when = at if isinstance(at, str) else ""
        if isinstance(at, int | float):
            when = dt.datetime.fromtimestamp(at, self.tz).strftime("%H:%M:%S")
        cue_id = str(data.get("cue_id"))
        return self._gate(
            "cue_missed",
            self.rules.cue_missed,
            "warning",
            event.ts,
            f"cue_missed:{event.run_id}:{cue_id}",
            self._t("cue_missed", cue=cue_id, kind=data.get("kind", "?"), at=when),
            subject=cue_id,
            data={"cue_id": cue_id},
        )

    def _reload_failed(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        errors = [str(e) for e in data.get("errors", [])]
        lines = [self._t("rules_reload_failed"), *errors[:MAX_ERROR_LINES]]
        if len(errors) > MAX_ERROR_LINES:
            lines.append(self._t("more_errors", count=len(errors) - MAX_ERROR_LINES))
        return self._gate(
            "rules_reload_failed",
            self.rules.rules_reload_failed,
            "warning",
            ts,
            f"rules_reload_failed:{_ms(ts)}",
            "\n".join(lines),
            data={"errors": errors[:MAX_ERROR_LINES]},
        )

    def _contingency_fired(self, data: Mapping[str, Any], ts: float) -> list[Alert]:
        plan_id = str(data.get("plan_id", ""))
        actions = data.get("actions") or []
        return self._gate(
            "contingency_fired",
            CONTINGENCY_RULE,
            "warning",
            ts,
            f"contingency_fired:{plan_id}:{_ms(ts)}",
            self._t(
                "contingency_fired",
                title=data.get("title") or plan_id,
                actions=", ".join(str(a) for a in actions) if isinstance(actions, list) else "",
            ),
            subject=plan_id,
            data={"plan_id": plan_id},
        )

    def _show_started(self, event: RoomEvent) -> list[Alert]:
        data = event.data
        show_id = str(data.get("show_id"))
        run_id = data.get("run_id", event.run_id)
        speed = float(data.get("speed") or 1.0)
        script = self.shows.get(show_id)
        run = _Run(
            run_id if isinstance(run_id, int) else None,
            show_id,
            script.title if script else show_id,
            event.ts,
            speed,
        )
        run.peak = self.online
        if script is not None:
            kinds = set(self.rules.cue_upcoming.kinds)
            run.schedule = [
                (event.ts + cue.offset / speed, cue) for cue in script.timeline() if cue.kind in kinds
            ]
        self.run = run
        return self._gate(
            "show_started",
            self.rules.show_started,
            "info",
            event.ts,
            f"show_started:{run.run_id}:{show_id}",
            self._t("show_started", title=run.title, show=show_id),
            data={"show_id": show_id, "run_id": run.run_id},
        )

    def _show_ended(self, event: RoomEvent) -> list[Alert]:
        run = self.run
        show_id = str(event.data.get("show_id"))
        if run is None or run.show_id != show_id:
            run = _Run(None, show_id, show_id, event.ts, 1.0)
        self.run = None
        return self._gate(
            "show_ended",
            self.rules.show_ended,
            "info",
            event.ts,
            f"show_ended:{event.data.get('run_id', run.run_id)}:{show_id}",
            self._t(
                "show_ended",
                title=run.title,
                show=show_id,
                duration=_minutes(event.ts - run.started),
                peak=run.peak,
                viewers=len(run.viewers),
                chats=run.chats,
                likes=run.likes,
                clicks=run.clicks,
                claims=run.claims,
                orders=run.orders,
                gmv=f"{run.gmv:.2f}",
            ),
            data={"show_id": show_id, "run_id": run.run_id},
        )

    # -- time passing

    def tick(self, now: float, waiting: Sequence[WaitingQuestion] = ()) -> list[Alert]:
        """The alerts due at `now`: a stream down long enough, a cue coming up, a question digest."""
        out: list[Alert] = []
        down = self.rules.stream_down
        if self._down_since is not None and not self._down_decided and now - self._down_since >= down.after:
            self._down_decided = True
            seconds = round(now - self._down_since)
            out += self._gate(
                "stream_down",
                down,
                "critical",
                now,
                f"stream_down:{_ms(self._down_since)}",
                self._t("stream_down", seconds=seconds),
            )
            # Held back by the cooldown: then no "back up" either.
            self._down_alerted = bool(out)
        out += self._upcoming(now)
        out += self._questions(now, waiting)
        return out

    def _upcoming(self, now: float) -> list[Alert]:
        run = self.run
        if run is None:
            return []
        rule = self.rules.cue_upcoming
        out: list[Alert] = []
        for due, cue in run.schedule:
            if cue.id in run.done_cues or cue.id in run.announced or due <= now:
                continue
            left_show_seconds = (due - now) * run.speed
            if left_show_seconds > rule.before:
                continue
            run.announced.add(cue.id)
            minutes = max(1, round(left_show_seconds / 60))
            out += self._gate(
                "cue_upcoming",
                rule,
                "info",
                now,
                f"cue_upcoming:{run.run_id}:{cue.id}",
                self._t("cue_upcoming", what=self._cue_words(cue), minutes=minutes, cue=cue.id),
                subject=cue.id,
                data={"cue_id": cue.id, "cue_kind": cue.kind},
            )
        return out

    def _cue_words(self, cue: ScheduledCue) -> str:
        c = cue.cue
        title: str
        if c.countdown is not None:
            title = c.countdown.title
        elif c.lottery is not None:
            title = c.lottery.prize
        elif c.coupon is not None:
            title = c.coupon
        elif c.vote is not None:
            title = c.vote.question
        elif c.say is not None:
            title = c.say[:30]
        elif c.repeat is not None:
            title = c.repeat.text[:30]
        else:
            title = str(c.pin)
        return self._t(f"cue.{cue.kind}", title=title)

    def _questions(self, now: float, waiting: Sequence[WaitingQuestion]) -> list[Alert]:
        rule = self.rules.questions_waiting
        if not waiting:
            return []
        ordered = sorted(waiting, key=lambda q: q.since)
        oldest_wait = now - ordered[0].since
        if len(ordered) < rule.min_count and oldest_wait < rule.digest_every:
            return []
        spacing = max(rule.digest_every, rule.cooldown)
        if self._last_digest is not None and now - self._last_digest < spacing:
            return []
        lines = [self._t("questions_waiting", count=len(ordered), oldest_wait=_minutes(oldest_wait))]
        for q in ordered[: rule.oldest]:
            text = q.text if len(q.text) <= MAX_QUESTION_CHARS else q.text[:MAX_QUESTION_CHARS] + "…"
            lines.append(
                self._t(
                    "question_line",
                    number=q.number,
                    nickname=q.nickname,
                    text=text,
                    wait=_minutes(now - q.since),
                )
            )
        alerts = self._gate(
            "questions_waiting",
            rule,
            "warning",
            now,
            f"questions_waiting:{_ms(now)}",
            "\n".join(lines),
            data={"count": len(ordered), "numbers": [q.number for q in ordered[: rule.oldest]]},
            cooldown=0.0,  # spacing above already covers the cooldown
        )
        if alerts:
            self._last_digest = now
        return alerts

    # -- for /status and /start

    def pick_show(self, now: float) -> str | None:
        """The show `/start` means without a name: the one planned nearest to now."""
        if not self.shows:
            return None
        return min(sorted(self.shows), key=lambda s: abs(self.shows[s].starts_at.timestamp() - now))

    def position(self, now: float) -> tuple[str | None, str | None]:
        """(segment under way, next cue) of the running show, on the script's clock."""
        run = self.run
        script = self.shows.get(run.show_id) if run else None
        if run is None or script is None:
            return None, None
        offset = (now - run.started) * run.speed
        segment = None
        for start, seg in zip(script.segment_starts(), script.segments, strict=True):
            if start <= offset < start + seg.duration:
                segment = f"{seg.id}（{seg.kind}）" if self.lang != "en" else f"{seg.id} ({seg.kind})"
        upcoming = [c for c in script.timeline() if c.offset >= offset and c.id not in run.done_cues]
        if not upcoming:
            return segment, None
        cue = upcoming[0]
        return segment, f"{cue.id} ({cue.kind}, +{_minutes((cue.offset - offset) / run.speed)})"
