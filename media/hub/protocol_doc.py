"""docs/protocol.md, generated from the protocol models with one checked example per message.

    .venv/bin/python -m media.hub.protocol_doc > docs/protocol.md

A test re-renders it and compares, and validates every example against its model.
"""

from __future__ import annotations

import json
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from media.hub.protocol import OPERATOR_MODELS, OUT_MODELS, VIEWER_MODELS

_CHAT = {
    "type": "chat",
    "id": 1042,
    "role": "viewer",
    "nickname": "快乐观众3f2a",
    "text": "多久发货",
    "ts": 1767168000.5,
}

EXAMPLES: dict[str, dict[str, Any]] = {
    # viewer → room
    "Chat": {"type": "chat", "text": "多久发货"},
    "Like": {"type": "like", "count": 3},
    "SendGift": {"type": "gift", "gift_id": "rose"},
    "CastVote": {"type": "vote", "vote_id": "next-product", "option": 1},
    "EnterLottery": {"type": "enter_lottery", "lottery_id": "lucky-bag-1"},
    "ClaimCoupon": {"type": "claim_coupon", "coupon_id": "c199-50"},
    "ClickProduct": {"type": "click_product", "sku": "PAN-01"},
    "FollowRoom": {"type": "follow"},
    "WatchPath": {"type": "playback", "path": "hls", "fallback": True},
    # operator / bot → room
    "Say": {"type": "say", "text": "欢迎来到直播间！", "cue": "open-hello"},
    "PinProduct": {"type": "pin_product", "sku": "PAN-01", "cue": "pin-pan"},
    "PushCoupon": {
        "type": "push_coupon",
        "coupon": {
            "id": "c199-50",
            "title": "满199减50",
            "link": "https://shop.example.com/c/199-50",
            "discount": "¥50",
            "quantity": 100,
            "valid_minutes": 30,
        },
        "cue": "coupon-1",
    },
    "OpenVote": {
        "type": "open_vote",
        "vote_id": "next-product",
        "question": "下一款想看哪个？",
        "options": ["铸铁锅", "烧水壶"],
        "duration_s": 60,
        "allow_change": False,
    },
    "CloseVote": {"type": "close_vote", "vote_id": "next-product"},
    "OpenLottery": {
        "type": "open_lottery",
        "lottery_id": "lucky-bag-1",
        "prize": "户外保温杯",
        "winners": 3,
        "keyword": "我要保温杯",
        "window_s": 180,
        "eligibility": {"min_watch_seconds": 120, "present": True, "require": ["claimed_coupon"]},
    },
    "DrawLottery": {"type": "draw_lottery", "lottery_id": "lucky-bag-1"},
    "StartCountdown": {
        "type": "start_countdown",
        "title": "铸铁锅秒杀",
        "duration_s": 300,
        "sku": "PAN-01",
        "stock": 50,
    },
    "Mute": {"type": "mute", "viewer_id": "v5d1c0e7a9b3f2a6c4e8d1f3a", "muted": True},
    "DeleteMessage": {"type": "delete_message", "message_id": 1042},
    "AnswerQuestion": {
        "type": "answer_question",
        "message_id": 1042,
        "text": "可以开电子发票，下单后在订单页申请",
        "faq_id": "invoice",
    },
    "DismissQuestion": {"type": "dismiss_question", "message_id": 1043},
    # room → client
    "Welcome": {
        "type": "welcome",
        "viewer_id": "v5d1c0e7a9b3f2a6c4e8d1f3a",
        "nickname": "快乐观众3f2a",
        "role": "viewer",
        "muted": False,
        "room": {"id": "demo", "title": "山野好物 · 冬季囤货节", "language": "zh-CN", "bot_name": "小山助理"},
        "gifts": [{"id": "rose", "name": "玫瑰", "icon": "🌹"}],
        "snapshot": {
            "messages": [_CHAT],
            "pinned": None,
            "coupons": [],
            "vote": None,
            "lottery": None,
            "last_draw": None,
            "countdown": None,
            "stats": {"type": "stats", "online": 812, "peak": 950, "likes": 10234},
            "questions": [],
        },
    },
    "ChatLine": {**_CHAT, "reply_to": None, "quote": None, "cue": None},
    "ChatDeleted": {"type": "chat_deleted", "message_id": 1042},
    "Pinned": {
        "type": "pin_product",
        "product": {
            "sku": "PAN-01",
            "name": "铸铁锅 24cm",
            "price": 299.0,
            "live_price": 199.0,
            "stock": 50,
            "description": "",
            "link": "/go/demo/PAN-01?src=card",
            "sold_out": False,
        },
        "cue": "pin-pan",
    },
    "ProductSoldOut": {"type": "product_sold_out", "sku": "PAN-01", "run_id": 12},
    "ProductStock": {"type": "product_stock", "sku": "PAN-01", "left": 37, "run_id": 12},
    "CouponOut": {
        "type": "coupon",
        "coupon_id": "c199-50",
        "title": "满199减50",
        "discount": "¥50",
        "quantity": 100,
        "remaining": 87,
        "expires_at": 1767169800.0,
        "sold_out": False,
        "claimed": False,
    },
    "CouponStockOut": {"type": "coupon_stock", "coupon_id": "c199-50", "remaining": 0, "sold_out": True},
    "CouponClaimReply": {
        "type": "coupon_claim",
        "coupon_id": "c199-50",
        "ok": True,
        "remaining": 86,
        "link": "https://shop.example.com/c/199-50",
    },
    "VoteOpened": {
        "type": "vote_open",
        "vote_id": "next-product",
        "question": "下一款想看哪个？",
        "options": ["铸铁锅", "烧水壶"],
        "closes_at": 1767168060.0,
        "allow_change": False,
        "tallies": [0, 0],
    },
    "VoteUpdate": {"type": "vote_update", "vote_id": "next-product", "tallies": [41, 58]},
    "VoteClosed": {
        "type": "vote_close",
        "vote_id": "next-product",
        "tallies": [41, 58],
        "winner": 1,
        "winner_text": "烧水壶",
    },
    "VoteReply": {
        "type": "vote_ack",
        "vote_id": "next-product",
        "option": 1,
        "ok": False,
        "reason": "already_voted",
    },
    "LotteryOpened": {
        "type": "lottery_open",
        "lottery_id": "lucky-bag-1",
        "prize": "户外保温杯",
        "winners": 3,
        "keyword": "我要保温杯",
        "seed_hash": "9f2c" + "0" * 60,
        "closes_at": 1767168180.0,
        "eligibility": {"min_watch_seconds": 120, "present": True, "require": ["claimed_coupon"]},
        "entrants": 0,
        "entered": False,
    },
    "LotteryUpdate": {"type": "lottery_update", "lottery_id": "lucky-bag-1", "entrants": 233},
    "LotteryEntryReply": {"type": "lottery_entered", "lottery_id": "lucky-bag-1", "ok": True},
    "LotteryResult": {
        "type": "lottery_result",
        "lottery_id": "lucky-bag-1",
        "draw_id": 7,
        "prize": "户外保温杯",
        "seed": "5b1e" + "0" * 60,
        "seed_hash": "9f2c" + "0" * 60,
        "algorithm": "sha256-ctr-fisher-yates-v1",
        "entrants": 233,
        "eligible": 201,
        "winners": [{"viewer_id": "v5d1c0e7a9b3f2a6c4e8d1f3a", "nickname": "快乐观众3f2a"}],
        "promised": 1,
    },
    "Countdown": {
        "type": "countdown",
        "title": "铸铁锅秒杀",
        "deadline": 1767168300.0,
        "sku": "PAN-01",
        "stock": 50,
    },
    "GiftSent": {"type": "gift", "nickname": "快乐观众3f2a", "gift_id": "rose", "name": "玫瑰", "icon": "🌹"},
    "Notice": {"type": "notice", "text": "你已被管理员禁言", "level": "warn"},
    "Stats": {
        "type": "stats",
        "online": 812,
        "peak": 950,
        "likes": 10234,
        "viewers": 790,
        "clicks": 311,
        "claims": 95,
        "orders": 23,
        "gmv": 3657.0,
    },
    "ErrorReply": {"type": "error", "code": "rate_limit", "message": "发言太快了，请稍后再试"},
    "MuteChanged": {"type": "mute", "viewer_id": "v5d1c0e7a9b3f2a6c4e8d1f3a", "muted": True, "by": "运营"},
    "Question": {
        "type": "question",
        "message_id": 1042,
        "viewer_id": "v5d1c0e7a9b3f2a6c4e8d1f3a",
        "nickname": "快乐观众3f2a",
        "text": "能开发票吗",
        "ts": 1767168000.5,
        "reason": "suggest",
        "proposal": {"faq_id": "invoice", "text": "可以开电子发票，下单后在订单页申请", "score": 0.61},
    },
    "QuestionAnswered": {
        "type": "question_answered",
        "message_id": 1042,
        "answer_message_id": 1050,
        "by": "小李",
    },
    "QuestionDismissed": {"type": "question_dismissed", "message_id": 1043, "by": "小李"},
}

INTRO = """# Room protocol (WebSocket `/ws/{room}`)

<!-- Generated by `python -m media.hub.protocol_doc` from media/hub/protocol.py; a test keeps it in step. -->

Every message is a JSON object `{"type": ..., ...}`. The room may send several messages as
one JSON array (chat is batched every ~100 ms); clients must accept both. Viewers connect
as they are (a signed id comes from the `lr_viewer` cookie or `?token=`, and `?nick=` sets
a nickname); the studio adds `?role=team&csrf=…` with its session cookie, the host page
`?role=host&csrf=…`, and a bot outside the process `?role=bot` with
`Authorization: Bearer <team password>`.

Claims, lottery entries and votes are per person, not per socket: a viewer socket that comes
without a valid viewer id (no `lr_viewer` cookie, no `?token=`) is given a new id for itself and
may chat and like, but its `claim_coupon`, `enter_lottery` (button or 口令) and `vote` get
`reason: "no_token"` (the viewer page sets the cookie before it connects, so a browser never
sees this). One address is given at most `limits.new_viewers_per_minute` new ids a minute
(the page and the socket answer 429 `too_many_new_viewers` past it) and may take at most
`limits.claims_per_coupon` claims of a coupon and `limits.entries_per_lottery` entries into a
lottery (`reason: "limit"`); see docs/security.md.

A frame that is not valid gets an `error` (`malformed`, `unknown_type`, `invalid`,
`too_large` above 4 KiB, `binary`, `forbidden`, `rate_limit`, …) on that socket only, and so
does a refused chat line (`blocked_word`, `rate_limit`, `too_long`, `link`, `muted`, `empty`);
20 errors within 30 s (refused chat lines included) close the socket with 1008 (after an
`error` `abuse`), frames above 64 KiB with 1009. A link in an operator message (a pushed
coupon's `link`) must be `http://` or `https://` with a host (`invalid` otherwise: no
`javascript:`, `data:` or scheme-relative links reach a viewer's page).
Fields marked *staff* are sent to the team, the host and bots only; messages marked
*staff only* never reach viewers. Times are seconds since the epoch.

## The HTTP API's errors

Every `/api/…` route (the room's: orders, media health, co-host guests; the bot's: rulebook,
show, FAQ switch, alerts) refuses in one shape, the message in the room's language:

```json
{"error": "unauthorized", "message": "需要登录：团队密码（Bearer）或中控台登录"}
```

| status | `error` | meaning |
|---|---|---|
| 401 | `unauthorized`, `bad_signature` | who are you: no credentials, wrong ones, or an order without a valid HMAC |
| 429 | `too_many_failures` | this client gave wrong passwords or tokens too often lately: wait `Retry-After` seconds (docs/security.md) |
| 403 | `forbidden`, `csrf` | not allowed: signed in, but not as the team (a host session on a team route), or a change without the session's `X-CSRF-Token` |
| 404 | `unknown_room`, `not_found`, `no_media` | no such room, no such route, no media server |
| 405 | `method_not_allowed` | wrong method for the route |
| 400 / 409 | `bad_request`, `invalid`, or the show's own codes (`show_paused`, `unknown_cue`, …) | the body is wrong, or the show cannot do it now |
| 500 | `internal` | a bug; the room goes on |

Team routes take `Authorization: Bearer <team password>` or the studio's session cookie; a
request that changes something with the cookie also needs its `X-CSRF-Token` header. Routes
marked host-or-team (`GET /api/show/{room}/next`, `POST`/`DELETE /api/media/{room}/guest`)
also take the host page's session. One guard (`media/web/api.py` `ApiGuard`) decides for all.
"""


def _type_name(annotation: Any) -> str:
    """`str or null`, `"a" / "b"`, `list of str` — readable, and no `|` to break the table."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _type_name(args[0])
    if origin in (Union, UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is Literal:
        return " / ".join(json.dumps(a, ensure_ascii=False) for a in args)
    if origin is list:
        return "list of " + _type_name(args[0])
    if origin is dict:
        return "object"
    return getattr(annotation, "__name__", str(annotation))


def _fields(model: type[BaseModel]) -> list[str]:
    staff: frozenset[str] = getattr(model, "STAFF_FIELDS", frozenset())
    rows = []
    for name, info in model.model_fields.items():
        if name == "type":
            continue
        kind = _type_name(info.annotation)
        required = "required" if info.is_required() else "optional"
        note = ", *staff*" if name in staff else ""
        rows.append(f"| `{name}` | `{kind}` | {required}{note} |")
    return rows


def _section(title: str, models: tuple[type[BaseModel], ...]) -> list[str]:
    lines = [f"## {title}", ""]
    for model in models:
        example = EXAMPLES[model.__name__]
        lines.append(f"### `{example['type']}` ({model.__name__})")
        lines.append("")
        doc = (model.__doc__ or "").strip()
        if doc and not doc.startswith(("A message the room sends", "!!! abstract")):
            lines += [" ".join(doc.split()), ""]
        if getattr(model, "STAFF_ONLY", False):
            lines += ["*Staff only.*", ""]
        rows = _fields(model)
        if rows:
            lines += ["| field | type | |", "|---|---|---|", *rows, ""]
        lines += ["```json", json.dumps(example, ensure_ascii=False), "```", ""]
    return lines


def render() -> str:
    lines = [INTRO]
    lines += _section("Viewer → room", VIEWER_MODELS)
    lines += _section("Operator / bot → room (team login, host `say`/`chat` only)", OPERATOR_MODELS)
    lines += _section("Room → client", OUT_MODELS)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
