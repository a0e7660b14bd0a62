"""A deterministic synthetic audience (模拟观众) for a show script: who joins and leaves when, and what each
viewer does — chat (questions from the FAQ), likes, clicks, coupon claims, orders, lottery entries, votes.

`plan_audience` is pure and seeded: the same rulebook, show, viewer count and seed give the same plan.
`room_schedule` is what the show runner makes the room do (pins, coupons, votes, lotteries). A plan is
turned into the event log the room would write by `bot.sim.synthetic.synthesize_log`; the steps are
shaped like the room protocol's viewer messages so a WebSocket driver can replay them against a server.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.review.records import CENT
from bot.rules.models import Rulebook, ShowScript, VoteOption, WinnerOf

# How likely a present viewer is to click the pinned product in a minute, by segment kind: showing the
# product in use (体验分享) and explaining it (卖点讲解) make people click.
CLICK_PER_MINUTE = {
    "暖场": 0.01,
    "产品亮相": 0.05,
    "卖点讲解": 0.08,
    "体验分享": 0.12,
    "限时优惠": 0.09,
    "互动答疑": 0.03,
    "压轴大促": 0.09,
    "收尾": 0.02,
}
# How likely a present viewer is to leave in a minute, by segment kind.
LEAVE_PER_MINUTE = {
    "暖场": 0.05,
    "产品亮相": 0.05,
    "卖点讲解": 0.06,
    "体验分享": 0.03,
    "限时优惠": 0.04,
    "互动答疑": 0.06,
    "压轴大促": 0.04,
    "收尾": 0.12,
}
OFF_FAQ_QUESTIONS = ("主播今天穿的衣服哪里买", "可以开专票吗", "能寄到国外吗", "主播几点下播")
SMALL_TALK = ("来了来了", "主播好", "666", "好看", "已拍", "想要", "冲冲冲", "哈哈哈")


@dataclass(frozen=True)
class Audience:
    """The crowd's habits; `activity` scales every per-minute chance of doing something."""

    activity: float = 1.0
    chat_per_minute: float = 0.12
    question_share: float = 0.35
    like_per_minute: float = 0.3
    gift_per_minute: float = 0.01
    follow_chance: float = 0.05
    claim_chance: float = 0.5
    enter_chance: float = 0.6
    vote_chance: float = 0.5
    order_after_click: float = 0.3
    second_tab: float = 0.1
    early: float = 1.6  # arrivals: the show's length × random()**early — the higher, the earlier people come


@dataclass(frozen=True)
class Step:
    """One thing one simulated viewer does, at `offset` script seconds from the show start."""

    offset: float
    viewer: str
    action: str  # join | leave | chat | like | gift | follow | click | claim | enter | vote | order
    connection: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoomAction:
    """What the show runner makes the room do at `offset` script seconds."""

    offset: float
    kind: str  # segment | pin | coupon | vote_open | vote_close | lottery_open | lottery_draw | cue
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Window:
    start: float
    end: float
    data: dict[str, Any]


def _resolve(product: object, script: ShowScript) -> str | None:
    """A sku, or the first product option of the vote a `winner_of` names (the simulation's assumption)."""
    if isinstance(product, str):
        return product
    if isinstance(product, WinnerOf):
        for seg in script.segments:
            for cue in seg.cues:
                if cue.vote is not None and cue.vote.id == product.winner_of:
                    for option in cue.vote.options:
                        if isinstance(option, VoteOption):
                            return option.product
    return None


def room_schedule(rulebook: Rulebook, script: ShowScript) -> list[RoomAction]:
    """The room side of the show, in time order: segments, pins, coupon pushes, votes, lotteries, cues."""
    out: list[RoomAction] = []
    for start, seg in zip(script.segment_starts(), script.segments, strict=True):
        product = _resolve(seg.product, script)
        out.append(RoomAction(start, "segment", {"segment_id": seg.id, "kind": seg.kind, "product": product}))
        if product:
            out.append(RoomAction(start, "pin", {"sku": product}))
    for cue in script.timeline():
        c = cue.cue
        out.append(RoomAction(cue.offset, "cue", {"cue_id": cue.id, "kind": cue.kind}))
        if c.pin is not None:
            out.append(RoomAction(cue.offset, "pin", {"sku": _resolve(c.pin, script), "cue": cue.id}))
        elif c.coupon is not None:
            coupon = rulebook.coupon(c.coupon)
            valid = (coupon.valid_minutes * 60) if coupon and coupon.valid_minutes else script.length
            out.append(
                RoomAction(
                    cue.offset,
                    "coupon",
                    {
                        "coupon_id": c.coupon,
                        "title": coupon.title if coupon else c.coupon,
                        "quantity": coupon.quantity if coupon else None,
                        "valid": valid,
                        "cue": cue.id,
                    },
                )
            )
        elif c.vote is not None:
            v = c.vote
            options = [o.product if isinstance(o, VoteOption) else o for o in v.options]
            out.append(
                RoomAction(
                    cue.offset, "vote_open", {"vote_id": v.id, "question": v.question, "options": options}
                )
            )
            out.append(RoomAction(cue.offset + v.duration, "vote_close", {"vote_id": v.id}))
        elif c.lottery is not None:
            lot = c.lottery
            data = {"lottery_id": lot.id, "prize": lot.prize, "winners": lot.winners, "keyword": lot.keyword}
            out.append(RoomAction(cue.offset, "lottery_open", data))
            out.append(RoomAction(cue.offset + lot.window, "lottery_draw", data))
    order = {"segment": 0, "pin": 1, "coupon": 2, "vote_open": 2, "lottery_open": 2, "cue": 3}
    out.sort(key=lambda a: (a.offset, order.get(a.kind, 4)))
    return out


def _windows(schedule: list[RoomAction], length: float) -> dict[str, list[_Window]]:
    """When each product was pinned, each coupon claimable, each vote and lottery open; and segment kinds."""
    out: dict[str, list[_Window]] = {"pin": [], "coupon": [], "vote": [], "lottery": [], "segment": []}
    pinned: tuple[float, str] | None = None
    segment: tuple[float, str] | None = None
    for action in schedule:
        if action.kind == "pin":
            if pinned:
                out["pin"].append(_Window(pinned[0], action.offset, {"sku": pinned[1]}))
            pinned = (action.offset, action.data["sku"]) if action.data["sku"] else None
        elif action.kind == "segment":
            if segment:
                out["segment"].append(_Window(segment[0], action.offset, {"kind": segment[1]}))
            segment = (action.offset, action.data["kind"])
        elif action.kind == "coupon":
            end = min(length, action.offset + action.data["valid"])
            out["coupon"].append(_Window(action.offset, end, action.data))
        elif action.kind == "vote_open":
            close = next(
                a.offset
                for a in schedule
                if a.kind == "vote_close" and a.data["vote_id"] == action.data["vote_id"]
            )
            out["vote"].append(_Window(action.offset, close, action.data))
        elif action.kind == "lottery_open":
            draw = next(
                a.offset
                for a in schedule
                if a.kind == "lottery_draw" and a.data["lottery_id"] == action.data["lottery_id"]
            )
            out["lottery"].append(_Window(action.offset, draw, action.data))
    if pinned:
        out["pin"].append(_Window(pinned[0], length, {"sku": pinned[1]}))
    if segment:
        out["segment"].append(_Window(segment[0], length, {"kind": segment[1]}))
    return out


def _at(windows: list[_Window], t: float) -> list[_Window]:
    return [w for w in windows if w.start <= t < w.end]


def plan_audience(
    rulebook: Rulebook, show_id: str, viewers: int, seed: int, audience: Audience | None = None
) -> list[Step]:
    """Every simulated viewer's steps, in time order. Pure: no clock, no global random state."""
    audience = audience or Audience()
    script = rulebook.shows[show_id]
    length = script.length
    windows = _windows(room_schedule(rulebook, script), length)
    questions = [q for entry in rulebook.faq for q in entry.q] or list(OFF_FAQ_QUESTIONS)
    prices = {p.sku: Decimal(str(script.prices.get(p.sku, p.selling_price))) for p in rulebook.products}
    steps: list[Step] = []
    for n in range(viewers):
        rng = random.Random(f"{seed}:{show_id}:{n}")
        steps += _viewer(f"sim{seed}-{n:05d}", rng, audience, windows, length, questions, prices, rulebook)
    steps.sort(key=lambda s: (s.offset, s.viewer, _ACTION_ORDER[s.action]))
    return steps


_ACTION_ORDER = {
    a: i
    for i, a in enumerate(
        ("join", "chat", "like", "gift", "follow", "click", "claim", "enter", "vote", "order", "leave")
    )
}


def _viewer(
    viewer: str,
    rng: random.Random,
    a: Audience,
    windows: dict[str, list[_Window]],
    length: float,
    questions: list[str],
    prices: dict[str, Decimal],
    rulebook: Rulebook,
) -> list[Step]:
    out: list[Step] = []
    arrive = round(length * rng.random() ** a.early, 1)  # more people come early
    out.append(Step(arrive, viewer, "join", "c1"))
    if rng.random() < a.second_tab:
        opened = round(arrive + rng.uniform(5, 120), 1)
        if opened < length:
            out.append(Step(opened, viewer, "join", "c2"))
            closed = round(opened + rng.uniform(30, 600), 1)
            if closed < length:
                out.append(Step(closed, viewer, "leave", "c2"))
    claimed: set[str] = set()
    used: set[str] = set()
    entered: set[str] = set()
    voted: set[str] = set()
    followed = False
    t = arrive
    while t < length:
        kinds = _at(windows["segment"], t)
        kind = kinds[0].data["kind"] if kinds else "暖场"
        if rng.random() < LEAVE_PER_MINUTE.get(kind, 0.05):
            leave = round(min(t + rng.uniform(1, 59), length - 0.1), 1)
            out.append(Step(leave, viewer, "leave", "c1"))
            return out
        act = a.activity

        def moment(minute: float = t) -> float:
            return round(min(minute + rng.uniform(0, 59), length - 0.2), 1)

        if rng.random() < a.chat_per_minute * act:
            if rng.random() < a.question_share:
                text = rng.choice(questions) if rng.random() < 0.85 else rng.choice(OFF_FAQ_QUESTIONS)
                out.append(Step(moment(), viewer, "chat", "c1", {"text": text, "question": True}))
            else:
                out.append(Step(moment(), viewer, "chat", "c1", {"text": rng.choice(SMALL_TALK)}))
        if rng.random() < a.like_per_minute * act:
            out.append(Step(moment(), viewer, "like", "c1", {"count": rng.randint(1, 10)}))
        if rng.random() < a.gift_per_minute * act:
            out.append(
                Step(moment(), viewer, "gift", "c1", {"gift_id": rng.choice(("heart", "rose", "rocket"))})
            )
        if not followed and rng.random() < a.follow_chance / 10:
            followed = True
            out.append(Step(moment(), viewer, "follow", "c1"))
        pinned = _at(windows["pin"], t)
        if pinned and rng.random() < CLICK_PER_MINUTE.get(kind, 0.03) * act:
            sku = pinned[0].data["sku"]
            when = moment()
            out.append(Step(when, viewer, "click", "c1", {"sku": sku}))
            if rng.random() < a.order_after_click and sku in prices:
                quantity = 1 if rng.random() < 0.8 else 2
                usable = [
                    c
                    for c in sorted(claimed)
                    if (rule := rulebook.coupon(c)) and prices[sku] * quantity >= Decimal(str(rule.min_spend))
                ]
                coupon = usable[0] if usable else None
                spec = rulebook.coupon(coupon) if coupon else None
                discount = Decimal(str(spec.discount)) if spec else Decimal(0)
                amount = max(prices[sku] * quantity - discount, CENT).quantize(CENT)
                order_id = hashlib.sha1(f"{viewer}:{when}:{sku}".encode()).hexdigest()[:16]
                data = {"sku": sku, "quantity": quantity, "amount": f"{amount:.2f}", "order_id": order_id}
                if coupon:
                    data["coupon_id"] = coupon
                    claimed.discard(coupon)
                    used.add(coupon)  # one per viewer: a used coupon is not claimed again
                out.append(Step(round(when + rng.uniform(20, 120), 1), viewer, "order", "", data))
        for w in _at(windows["coupon"], t):
            cid = w.data["coupon_id"]
            if cid not in claimed and cid not in used and rng.random() < a.claim_chance:
                claimed.add(cid)
                out.append(Step(moment(), viewer, "claim", "c1", {"coupon_id": cid}))
        for w in _at(windows["lottery"], t):
            lid = w.data["lottery_id"]
            if lid not in entered and rng.random() < a.enter_chance:
                entered.add(lid)
                keyword = w.data.get("keyword")
                data = {"lottery_id": lid, "keyword": keyword} if keyword else {"lottery_id": lid}
                out.append(Step(moment(), viewer, "enter", "c1", data))
        for w in _at(windows["vote"], t):
            vid = w.data["vote_id"]
            if vid not in voted and rng.random() < a.vote_chance:
                voted.add(vid)
                out.append(
                    Step(
                        moment(),
                        viewer,
                        "vote",
                        "c1",
                        {"vote_id": vid, "option": rng.randrange(len(w.data["options"]))},
                    )
                )
        t += 60.0
    return out
