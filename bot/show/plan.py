"""What the show runner should do, decided as plain functions over plain data.

`firings(script)` lists every timed thing a run does (segment starts, cues, vote closes,
lottery draws, each `repeat` slot, the show's end) with a stable key; `decide(...)` says,
from what the database has recorded and the show clock, which are due (on time or late),
missed, or to be skipped; `decide_repeat` is the `repeat` rule; `render` fills a `say`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.rules.models import (
    Product,
    RepeatSpec,
    Rulebook,
    ScheduledCue,
    Segment,
    ShowScript,
    VoteSpec,
)
from bot.rules.placeholders import fill

Action = Literal["segment", "cue", "close", "draw", "repeat", "end"]
KEY_LENGTH = 64  # cue ids are stored in VARCHAR(64) columns
END_KEY = "show:end"

# Firings at the same offset happen in this order: a segment opens, what is due closes,
# then the cues, then the repeat posts; the show's end comes last.
_RANK: dict[str, int] = {"segment": 0, "close": 1, "draw": 1, "cue": 2, "repeat": 3, "end": 9}


def firing_key(*parts: str) -> str:
    """`part:part…`, shortened with a hash when longer than a stored cue id may be.

    Ids never contain ':', so a key never collides with another firing's key.
    """
    key = ":".join(parts)
    if len(key) <= KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: KEY_LENGTH - 17]}~{digest}"


@dataclass(frozen=True)
class Firing:
    """One timed thing a run does, once."""

    key: str
    action: Action
    offset: float  # show seconds from the start of the script
    cue_id: str  # the stable id carried by the room messages it causes
    kind: str  # the cue kind, or "segment" / "show"
    segment_index: int = -1
    scheduled: ScheduledCue | None = None
    slot: int | None = None  # repeat slots, from 0
    parent: str | None = None  # the firing this one depends on (a vote's close on its opening)
    until: float | None = None  # repeat: no post at or after this offset

    @property
    def rank(self) -> int:
        return _RANK[self.action]


def segment_key(segment: Segment) -> str:
    return firing_key(segment.id, "start")


def firings(script: ShowScript) -> list[Firing]:
    """Every firing of a show, in the order they happen."""
    out: list[Firing] = []
    starts = script.segment_starts()
    for index, (start, segment) in enumerate(zip(starts, script.segments, strict=True)):
        out.append(Firing(segment_key(segment), "segment", start, segment_key(segment), "segment", index))
    for sc in script.timeline():
        cue = sc.cue
        if cue.repeat is not None:
            seg_start = starts[sc.segment_index]
            end = seg_start + (cue.repeat.until if cue.repeat.until is not None else sc.segment.duration)
            slots = max(0, math.ceil((end - sc.offset) / cue.repeat.every))
            for slot in range(slots):
                at = sc.offset + slot * cue.repeat.every
                if at >= end:
                    break
                out.append(
                    Firing(
                        firing_key(sc.id, str(slot)),
                        "repeat",
                        at,
                        sc.id,
                        "repeat",
                        sc.segment_index,
                        sc,
                        slot=slot,
                        until=end,
                    )
                )
            continue
        out.append(Firing(firing_key(sc.id), "cue", sc.offset, sc.id, sc.kind, sc.segment_index, sc))
        if cue.vote is not None:
            out.append(
                Firing(
                    firing_key(sc.id, "close"),
                    "close",
                    sc.offset + cue.vote.duration,
                    sc.id,
                    "vote",
                    sc.segment_index,
                    sc,
                    parent=firing_key(sc.id),
                )
            )
        if cue.lottery is not None:
            out.append(
                Firing(
                    firing_key(sc.id, "draw"),
                    "draw",
                    sc.offset + cue.lottery.window,
                    sc.id,
                    "lottery",
                    sc.segment_index,
                    sc,
                    parent=firing_key(sc.id),
                )
            )
    out.append(Firing(END_KEY, "end", script.length, END_KEY, "show"))
    order = {f.key: i for i, f in enumerate(out)}
    return sorted(out, key=lambda f: (f.offset, f.rank, order[f.key]))


# ---- what is due -------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    firing: Firing
    late: bool
    overdue: float  # show seconds past its time


@dataclass(frozen=True)
class Plan:
    due: list[Due] = field(default_factory=list)  # fire now, in this order
    missed: list[Due] = field(default_factory=list)  # too late: record as missed, raise an alert
    skip: list[Firing] = field(default_factory=list)  # depends on something that never happened
    pending: list[Firing] = field(default_factory=list)  # later, in order

    @property
    def next(self) -> Firing | None:
        return self.pending[0] if self.pending else None


SETTLED = frozenset({"done", "missed", "skipped", "firing"})
NOT_HAPPENED = frozenset({"missed", "skipped"})


def decide(
    all_firings: Sequence[Firing],
    recorded: Mapping[str, str],
    now: float,
    *,
    grace: float,
    late_after: float,
    not_before: Mapping[str, float] | None = None,
) -> Plan:
    """Split the firings not yet recorded into due (on time or late), missed, skip and pending.

    `recorded` maps keys to their state in the database; `now` is the show clock's offset;
    `grace` and `late_after` are in show seconds; `not_before` holds firings put off (a
    `repeat` paced behind another bot message). The show's end is never missed.
    """
    not_before = not_before or {}
    plan = Plan()
    for f in all_firings:
        if f.key in recorded:
            continue
        if f.parent is not None and recorded.get(f.parent) in NOT_HAPPENED:
            plan.skip.append(f)
            continue
        at = max(f.offset, not_before.get(f.key, f.offset))
        if at > now:
            plan.pending.append(f)
            continue
        overdue = now - f.offset
        if f.action == "repeat" and f.until is not None and now >= f.until:
            plan.skip.append(f)  # a repeat slot whose window closed is not worth an alert
        elif overdue > grace and f.action != "end":
            plan.missed.append(Due(f, late=True, overdue=overdue))
        else:
            plan.due.append(Due(f, late=overdue > late_after, overdue=overdue))
    order = {f.key: i for i, f in enumerate(all_firings)}

    def when(f: Firing) -> tuple[float, int, int]:
        return (max(f.offset, not_before.get(f.key, f.offset)), f.rank, order[f.key])

    plan.pending.sort(key=when)
    plan.due.sort(key=lambda d: when(d.firing))
    return plan


def clamp_shift(seconds: float, next_pending: float | None, now: float) -> float:
    """A shift earlier (negative) never pulls the next pending firing into the past."""
    if seconds >= 0 or next_pending is None:
        return seconds
    return max(seconds, min(0.0, now - next_pending))


# ---- repeat --------------------------------------------------------------------

RepeatVerdict = Literal["post", "quiet", "twice_in_a_row", "paced"]


@dataclass(frozen=True)
class RepeatFacts:
    """What the room looked like at a repeat slot."""

    chat_lines: (
        int  # viewer lines since this repeat last posted (before its first post: in the last interval)
    )
    last_line_is_own: bool  # the room's latest line is this repeat's own post
    since_bot_message: float | None  # show seconds since any bot message; None = none yet


def decide_repeat(spec: RepeatSpec, facts: RepeatFacts, pace: float) -> RepeatVerdict:
    """Post only after enough chat, never twice in a row, never right on another bot message."""
    if facts.chat_lines < spec.min_chat_lines:
        return "quiet"
    if facts.last_line_is_own:
        return "twice_in_a_row"
    if facts.since_bot_message is not None and facts.since_bot_message < pace:
        return "paced"
    return "post"


# ---- products and texts ----------------------------------------------------------


def show_product(rulebook: Rulebook, script: ShowScript, sku: str | None) -> Product | None:
    """The product as this show sells it (the show's `prices` override `live_price`)."""
    if sku is None:
        return None
    product = rulebook.product(sku)
    if product is None:
        return None
    price = script.prices.get(sku)
    return product.model_copy(update={"live_price": price}) if price is not None else product


def winner_sku(vote: VoteSpec, winner: int | None) -> str | None:
    """The product a closed vote chose. No ballots: the first product option (the planner's first pick)."""
    products = [(i, o.product) for i, o in enumerate(vote.options) if not isinstance(o, str)]
    if not products:
        return None
    for i, sku in products:
        if i == winner:
            return sku
    return products[0][1]


def vote_options(vote: VoteSpec, rulebook: Rulebook) -> list[str]:
    out: list[str] = []
    for option in vote.options:
        if isinstance(option, str):
            out.append(option)
        else:
            product = rulebook.product(option.product)
            out.append(product.name if product else option.product)
    return out


def render(text: str, product: Product | None, rulebook: Rulebook) -> str:
    """A `say`/`repeat` text with {name} {price} {live_price} {stock} {coupon:<id>} filled in."""
    return fill(text, product, rulebook)


def vote_specs(script: ShowScript) -> dict[str, VoteSpec]:
    return {sc.cue.vote.id: sc.cue.vote for sc in script.timeline() if sc.cue.vote is not None}


def keys_of(all_firings: Sequence[Firing], cue_or_key: str) -> list[str]:
    """The firings a team `skip` covers: one firing by its key, or a cue with all it leads to."""
    for f in all_firings:
        if f.key == cue_or_key and f.action != "cue":
            return [f.key]
    return [f.key for f in all_firings if f.cue_id == cue_or_key]
