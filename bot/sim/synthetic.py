"""The event log a room would write for a simulated audience (docs/events.md), without running the room:
for benchmarks, and for tests and demos that want a show's numbers without a server."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from typing import Any

from bot.rules.models import Rulebook
from bot.sim.simulate import Step, room_schedule
from media.events import RoomEvent

_ROOM_FIRST = 0
_VIEWER = 1


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha1(":".join(map(str, parts)).encode()).digest()[:4], "big")


def synthesize_log(
    rulebook: Rulebook,
    show_id: str,
    steps: list[Step],
    start: dt.datetime,
    speed: float = 1.0,
    run_id: int | None = None,
) -> list[RoomEvent]:
    """The room's and the runner's events for `steps`, in time order, on a clock `speed` times faster."""
    script = rulebook.shows[show_id]
    faq = {q for entry in rulebook.faq for q in entry.q}
    faq_id = {q: entry.id for entry in rulebook.faq for q in entry.q}
    quantities = {c.id: c.quantity for c in rulebook.coupons}
    timed: list[tuple[float, int, int, str, str | None, dict[str, Any]]] = []

    def add(offset: float, rank: int, kind: str, viewer: str | None, data: dict[str, Any]) -> None:
        timed.append((offset, rank, len(timed), kind, viewer, data))

    add(0.0, _ROOM_FIRST, "show_started", None, {"show_id": show_id, "run_id": run_id, "speed": speed})
    ballots: dict[str, Counter[int]] = {}
    entrants: dict[str, list[str]] = {}
    claims: Counter[str] = Counter()
    claimed: set[tuple[str, str]] = set()
    sold_out: set[str] = set()
    # The viewers' steps first, so votes and draws below know their ballots and entrants.
    message = 0
    for step in steps:
        o, v, d = step.offset, step.viewer, step.data
        connection = f"{v}:{step.connection}"
        match step.action:
            case "join":
                add(
                    o,
                    _VIEWER,
                    "viewer_joined",
                    v,
                    {"nickname": v, "connection_id": connection, "instance": "sim"},
                )
            case "leave":
                add(o, _VIEWER, "viewer_left", v, {"connection_id": connection, "watched_seconds": None})
            case "chat":
                message += 1
                mid = f"m{message}"
                add(
                    o,
                    _VIEWER,
                    "chat",
                    v,
                    {"message_id": mid, "role": "viewer", "nickname": v, "text": d["text"]},
                )
                if d.get("question"):
                    known = d["text"] in faq
                    decision = "answered" if known else "escalated"
                    add(
                        o + 0.5,
                        _VIEWER,
                        "faq_decision",
                        v,
                        {
                            "message_id": mid,
                            "decision": decision,
                            "faq_id": faq_id.get(d["text"]),
                            "score": 0.9 if known else 0.1,
                        },
                    )
                    if not known:
                        wait = 20 + _digest(mid, v) % 100
                        add(
                            o + wait,
                            _VIEWER,
                            "question_answered",
                            v,
                            {"message_id": mid, "answer_message_id": f"{mid}r", "by": "team"},
                        )
            case "like":
                add(o, _VIEWER, "like", v, {"count": d["count"]})
            case "gift":
                add(o, _VIEWER, "gift", v, {"gift_id": d["gift_id"], "name": d["gift_id"]})
            case "follow":
                add(o, _VIEWER, "follow", v, {})
            case "click":
                add(o, _VIEWER, "click", v, {"sku": d["sku"], "source": "card"})
            case "claim":
                cid = d["coupon_id"]
                limit = quantities.get(cid)
                if limit is not None and claims[cid] >= limit:
                    add(o, _VIEWER, "coupon_claim_refused", v, {"coupon_id": cid, "reason": "sold_out"})
                    continue
                claims[cid] += 1
                claimed.add((v, cid))
                remaining = None if limit is None else limit - claims[cid]
                add(o, _VIEWER, "coupon_claimed", v, {"coupon_id": cid, "remaining": remaining})
                if remaining == 0 and cid not in sold_out:
                    sold_out.add(cid)
                    add(o, _VIEWER, "coupon_sold_out", None, {"coupon_id": cid})
            case "enter":
                lid = d["lottery_id"]
                if d.get("keyword"):
                    message += 1
                    add(
                        o,
                        _VIEWER,
                        "chat",
                        v,
                        {"message_id": f"m{message}", "role": "viewer", "nickname": v, "text": d["keyword"]},
                    )
                add(
                    o,
                    _VIEWER,
                    "lottery_entry",
                    v,
                    {"lottery_id": lid, "via": "keyword" if d.get("keyword") else "button"},
                )
                entrants.setdefault(lid, []).append(v)
            case "vote":
                add(o, _VIEWER, "ballot", v, {"vote_id": d["vote_id"], "option": d["option"]})
                ballots.setdefault(d["vote_id"], Counter())[d["option"]] += 1
            case "order":
                data = dict(d)
                coupon = data.get("coupon_id")
                if coupon and (v, coupon) not in claimed:
                    data.pop("coupon_id")
                    coupon = None
                add(o, _VIEWER, "order", v, data)
                if coupon:
                    add(o, _VIEWER, "coupon_used", v, {"coupon_id": coupon, "order_id": data["order_id"]})

    for action in room_schedule(rulebook, script):
        o, d = action.offset, action.data
        match action.kind:
            case "segment":
                add(o, _ROOM_FIRST, "segment_started", None, dict(d))
            case "pin":
                add(o, _ROOM_FIRST, "pin", None, {"sku": d["sku"], "cue": d.get("cue")})
            case "cue":
                scheduled = (start + dt.timedelta(seconds=o / speed)).isoformat()
                add(
                    o,
                    _ROOM_FIRST,
                    "cue_fired",
                    None,
                    {"cue_id": d["cue_id"], "kind": d["kind"], "scheduled_at": scheduled, "late": 0.0},
                )
            case "coupon":
                add(
                    o,
                    _ROOM_FIRST,
                    "coupon_pushed",
                    None,
                    {k: d[k] for k in ("coupon_id", "title", "quantity", "cue")},
                )
            case "vote_open":
                add(
                    o,
                    _ROOM_FIRST,
                    "vote_opened",
                    None,
                    {
                        "vote_id": d["vote_id"],
                        "question": d["question"],
                        "options": d["options"],
                        "allow_change": False,
                    },
                )
            case "vote_close":
                tally = ballots.get(d["vote_id"], Counter())
                winner = min(tally, key=lambda option: (-tally[option], option)) if tally else None
                add(
                    o,
                    _ROOM_FIRST,
                    "vote_closed",
                    None,
                    {"vote_id": d["vote_id"], "tallies": dict(tally), "winner": winner},
                )
            case "lottery_open":
                add(
                    o,
                    _ROOM_FIRST,
                    "lottery_opened",
                    None,
                    {k: d[k] for k in ("lottery_id", "prize", "winners", "keyword")},
                )
            case "lottery_draw":
                pool = sorted(set(entrants.get(d["lottery_id"], [])))
                rng = random.Random(f"draw:{d['lottery_id']}:{len(pool)}")
                winners = rng.sample(pool, min(d["winners"], len(pool)))
                add(
                    o,
                    _ROOM_FIRST,
                    "lottery_drawn",
                    None,
                    {"lottery_id": d["lottery_id"], "winners": winners, "entrants": len(pool)},
                )
    add(
        script.length, _VIEWER + 1, "show_ended", None, {"show_id": show_id, "run_id": run_id, "speed": speed}
    )
    timed.sort(key=lambda e: (e[0], e[1], e[2]))
    return [
        RoomEvent.at(start + dt.timedelta(seconds=offset / speed), kind, viewer, data)
        for offset, _, _, kind, viewer, data in timed
    ]
