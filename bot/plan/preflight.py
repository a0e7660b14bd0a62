"""The pre-show checklist (开播前检查): decisions over the rulebook, then the edges (database, Telegram,
LLM, publish token). Every check gives a line with ✔, ✘ or – (not configured, skipped)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.rules.models import Rulebook, ShowScript, VoteOption, WinnerOf
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "preflight",
    {
        "preflight.rules_ok": {"zh-CN": "规则文件有效", "en": "rules are valid"},
        "preflight.rules_bad": {"zh-CN": "规则文件有误：{error}", "en": "rules are broken: {error}"},
        "preflight.show_missing": {
            "zh-CN": "没有这场直播：{show}（已有：{known}）",
            "en": "no such show: {show} (known: {known})",
        },
        "preflight.products_ok": {
            "zh-CN": "要上架的 {count} 个商品都有链接和库存",
            "en": "all {count} pinned products have a link and stock",
        },
        "preflight.product_unknown": {
            "zh-CN": "商品 {sku} 不在 products.yaml 里",
            "en": "product {sku} is not in products.yaml",
        },
        "preflight.product_no_stock": {
            "zh-CN": "商品 {sku} 没有设置库存（stock）",
            "en": "product {sku} has no stock set",
        },
        "preflight.product_sold_out": {
            "zh-CN": "商品 {sku} 库存为 0",
            "en": "product {sku} has no stock left (0)",
        },
        "preflight.product_no_link": {"zh-CN": "商品 {sku} 没有链接", "en": "product {sku} has no link"},
        "preflight.coupons_ok": {
            "zh-CN": "要发的 {count} 张优惠券都设了数量",
            "en": "all {count} coupons pushed have a quantity",
        },
        "preflight.coupon_unknown": {
            "zh-CN": "优惠券 {coupon} 不在 coupons.yaml 里",
            "en": "coupon {coupon} is not in coupons.yaml",
        },
        "preflight.coupon_no_quantity": {
            "zh-CN": "优惠券 {coupon} 没有设置数量（quantity），可能超发",
            "en": "coupon {coupon} has no quantity: it could be over-issued",
        },
        "preflight.timeline_ok": {
            "zh-CN": "{count} 条提示都在 {length} 的直播时长内",
            "en": "all {count} cues fit in the show's {length}",
        },
        "preflight.cue_late": {
            "zh-CN": "提示 {cue}（{kind}）到 {until} 才结束，超过直播时长 {length}",
            "en": "cue {cue} ({kind}) runs until {until}, past the show's end at {length}",
        },
        "preflight.segment_overlap": {
            "zh-CN": "环节 {segment} 在上一个环节结束前就开始了",
            "en": "segment {segment} starts before the previous one ends",
        },
        "preflight.telegram_skip": {
            "zh-CN": "Telegram 未配置（TELEGRAM_BOT_TOKEN），跳过",
            "en": "Telegram not configured (TELEGRAM_BOT_TOKEN), skipped",
        },
        "preflight.telegram_ok": {"zh-CN": "Telegram 可用：@{name}", "en": "Telegram reachable: @{name}"},
        "preflight.telegram_bad": {
            "zh-CN": "Telegram 连不上：{error}",
            "en": "Telegram not reachable: {error}",
        },
        "preflight.llm_skip": {
            "zh-CN": "大模型未配置（OPENAI_API_KEY / OPENAI_BASE_URL），跳过",
            "en": "LLM not configured (OPENAI_API_KEY / OPENAI_BASE_URL), skipped",
        },
        "preflight.llm_ok": {"zh-CN": "大模型接口可用：{url}", "en": "LLM reachable: {url}"},
        "preflight.llm_bad": {
            "zh-CN": "大模型接口连不上（{url}）：{error}",
            "en": "LLM not reachable ({url}): {error}",
        },
        "preflight.db_ok": {"zh-CN": "数据库可写：{url}", "en": "database writable: {url}"},
        "preflight.db_bad": {
            "zh-CN": "数据库不可写（{url}）：{error}",
            "en": "database not writable ({url}): {error}",
        },
        "preflight.token_ok": {"zh-CN": "推流令牌已设置", "en": "publish token set"},
        "preflight.token_bad": {
            "zh-CN": "推流令牌未设置：设 LIVEROOM_PUBLISH_TOKEN，或先 liveroom run 一次生成 {path}",
            "en": "publish token not set: set LIVEROOM_PUBLISH_TOKEN, or run liveroom run once to create {path}",
        },
        "preflight.summary_ok": {"zh-CN": "全部通过，可以开播", "en": "all clear, ready to go live"},
        "preflight.summary_bad": {"zh-CN": "{count} 项未通过", "en": "{count} item(s) failed"},
    },
)

TIMEOUT = aiohttp.ClientTimeout(total=5)


@dataclass(frozen=True)
class Check:
    ok: bool | None  # None: not configured, skipped
    key: str
    params: Mapping[str, object]

    def render(self, lang: str) -> str:
        mark = "–" if self.ok is None else ("✔" if self.ok else "✘")
        return f"{mark} {t(lang, self.key, **self.params)}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _pinned(script: ShowScript) -> list[str]:
    """Every sku the show will pin: segment products, pin cues, and every product a vote could pick."""
    votes = {
        cue.vote.id: [o.product for o in cue.vote.options if isinstance(o, VoteOption)]
        for seg in script.segments
        for cue in seg.cues
        if cue.vote is not None
    }
    skus: list[str] = []
    refs = [seg.product for seg in script.segments] + [c.cue.pin for c in script.timeline()]
    for ref in refs:
        if isinstance(ref, str):
            skus.append(ref)
        elif isinstance(ref, WinnerOf):
            skus += votes.get(ref.winner_of, [])
    return list(dict.fromkeys(skus))


def rule_checks(rulebook: Rulebook, show_id: str) -> list[Check]:
    """What the rules alone can tell: products, coupons and the cue timeline of the show."""
    script = rulebook.shows.get(show_id)
    if script is None:
        return [
            Check(
                False,
                "preflight.show_missing",
                {"show": show_id, "known": ", ".join(sorted(rulebook.shows)) or "—"},
            )
        ]
    out: list[Check] = []
    skus = _pinned(script)
    bad: list[Check] = []
    for sku in skus:
        product = rulebook.product(sku)
        if product is None:
            bad.append(Check(False, "preflight.product_unknown", {"sku": sku}))
        elif not product.link:
            bad.append(Check(False, "preflight.product_no_link", {"sku": sku}))
        elif product.stock is None:
            bad.append(Check(False, "preflight.product_no_stock", {"sku": sku}))
        elif product.stock == 0:
            bad.append(Check(False, "preflight.product_sold_out", {"sku": sku}))
    out += bad or [Check(True, "preflight.products_ok", {"count": len(skus)})]

    coupons = list(dict.fromkeys(c.cue.coupon for c in script.timeline() if c.cue.coupon is not None))
    bad = []
    for coupon_id in coupons:
        coupon = rulebook.coupon(coupon_id)
        if coupon is None:
            bad.append(Check(False, "preflight.coupon_unknown", {"coupon": coupon_id}))
        elif coupon.quantity is None:
            bad.append(Check(False, "preflight.coupon_no_quantity", {"coupon": coupon_id}))
    out += bad or [Check(True, "preflight.coupons_ok", {"count": len(coupons)})]

    length = script.length
    bad = []
    previous_end = 0.0
    for start, seg in zip(script.segment_starts(), script.segments, strict=True):
        if start < previous_end:
            bad.append(Check(False, "preflight.segment_overlap", {"segment": seg.id}))
        previous_end = start + seg.duration
    timeline = script.timeline()
    for cue in timeline:
        c = cue.cue
        lasts = (
            c.vote.duration
            if c.vote
            else c.lottery.window
            if c.lottery
            else c.countdown.duration
            if c.countdown
            else 0.0
        )
        if cue.offset + lasts > length:
            bad.append(
                Check(
                    False,
                    "preflight.cue_late",
                    {
                        "cue": cue.id,
                        "kind": cue.kind,
                        "until": _clock(cue.offset + lasts),
                        "length": _clock(length),
                    },
                )
            )
    out += bad or [Check(True, "preflight.timeline_ok", {"count": len(timeline), "length": _clock(length)})]
    return out


def telegram_url(env: Mapping[str, str]) -> str | None:
    token = env.get("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    base = (env.get("TELEGRAM_API_BASE") or "https://api.telegram.org").rstrip("/")
    if not base.endswith("/bot"):
        base += "/bot"
    return f"{base}{token}/getMe"


async def check_team_chat(env: Mapping[str, str], session: aiohttp.ClientSession) -> Check:
    url = telegram_url(env)
    if url is None:
        return Check(None, "preflight.telegram_skip", {})
    try:
        async with session.get(url) as response:
            body = await response.json(content_type=None)
        if response.status == 200 and isinstance(body, dict) and body.get("ok"):
            return Check(True, "preflight.telegram_ok", {"name": body.get("result", {}).get("username", "?")})
        detail = body.get("description") if isinstance(body, dict) else None
        return Check(
            False, "preflight.telegram_bad", {"error": f"HTTP {response.status} {detail or ''}".strip()}
        )
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return Check(False, "preflight.telegram_bad", {"error": str(exc) or type(exc).__name__})


async def check_llm(env: Mapping[str, str], session: aiohttp.ClientSession) -> Check:
    if not env.get("OPENAI_API_KEY") and not env.get("OPENAI_BASE_URL"):
        return Check(None, "preflight.llm_skip", {})
    base = (env.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
    headers = {"Authorization": f"Bearer {env['OPENAI_API_KEY']}"} if env.get("OPENAI_API_KEY") else {}
    try:
        async with session.get(f"{base}/models", headers=headers) as response:
            await response.read()
        if response.status == 200:
            return Check(True, "preflight.llm_ok", {"url": base})
        return Check(False, "preflight.llm_bad", {"url": base, "error": f"HTTP {response.status}"})
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check(False, "preflight.llm_bad", {"url": base, "error": str(exc) or type(exc).__name__})


async def check_database(url: str) -> Check:
    """Write one event inside a transaction and roll it back: the log must accept writes."""
    from sqlalchemy import make_url

    from media.events import RoomEvent
    from media.store.db import Database
    from media.store.events import append_event

    shown = make_url(url).render_as_string(hide_password=True)
    try:
        async with Database.open(url) as db:
            await db.migrate()
            async with db.sessions() as session:
                await append_event(session, RoomEvent("preflight", "preflight", time.time()))
                await session.rollback()
        return Check(True, "preflight.db_ok", {"url": shown})
    except Exception as exc:  # any failure here is the answer the operator needs, not a crash
        return Check(
            False,
            "preflight.db_bad",
            {"url": shown, "error": (str(exc).splitlines() or [type(exc).__name__])[0]},
        )


def check_publish_token(env: Mapping[str, str]) -> Check:
    if env.get("LIVEROOM_PUBLISH_TOKEN"):
        return Check(True, "preflight.token_ok", {})
    path = Path(env.get("LIVEROOM_DATA_DIR") or "var") / "publish-token"
    try:
        stored = path.read_text(encoding="utf-8").strip()
    except OSError:
        stored = ""
    return Check(bool(stored), "preflight.token_ok" if stored else "preflight.token_bad", {"path": str(path)})


async def edge_checks(env: Mapping[str, str] | None = None) -> list[Check]:
    from media.store.db import database_url_from_env

    env = dict(os.environ) if env is None else env
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        telegram = await check_team_chat(env, session)
        llm = await check_llm(env, session)
    database = await check_database(database_url_from_env(dict(env)))
    return [telegram, llm, database, check_publish_token(env)]
