"""Cues and contingency plans in plain words, for the show brief and the studio timeline."""

from __future__ import annotations

from bot.rules.models import Action, ContingencyPlan, Cue, Product, Rulebook, VoteOption, WinnerOf
from bot.rules.placeholders import fill_for_people
from media.i18n import CATALOGUE, t

CATALOGUE.add(
    "words",
    {
        "words.say": {"zh-CN": "机器人说：“{text}”", "en": "bot says: “{text}”"},
        "words.pin": {"zh-CN": "挂讲解卡：{product}", "en": "pin product card: {product}"},
        "words.pin_winner": {
            "zh-CN": "挂讲解卡：投票“{vote}”胜出的商品",
            "en": "pin the winner of vote “{vote}”",
        },
        "words.coupon": {"zh-CN": "发券：{title}（{quantity}）", "en": "push coupon: {title} ({quantity})"},
        "words.quantity": {"zh-CN": "限量 {n} 张", "en": "{n} available"},
        "words.unlimited": {"zh-CN": "不限量", "en": "unlimited"},
        "words.vote": {
            "zh-CN": "发起投票“{question}”：{options}，{duration}后揭晓",
            "en": "vote “{question}”: {options}, closes after {duration}",
        },
        "words.lottery": {
            "zh-CN": "福袋抽奖：{prize} × {winners} 人，{entry}，{window}后开奖",
            "en": "lottery: {prize} × {winners}, {entry}, drawn after {window}",
        },
        "words.keyword": {"zh-CN": "评论口令“{keyword}”参与", "en": "enter by typing “{keyword}”"},
        "words.button": {"zh-CN": "点按钮参与", "en": "enter by button"},
        "words.countdown": {
            "zh-CN": "限时秒杀“{title}”{product}，倒计时{duration}{stock}",
            "en": "flash sale “{title}”{product}, {duration} countdown{stock}",
        },
        "words.stock": {"zh-CN": "，限量 {n} 件", "en": ", {n} units"},
        "words.repeat": {
            "zh-CN": "每{every}提醒一次（期间至少 {lines} 条弹幕才发）：“{text}”",
            "en": "every {every} (only after {lines} chat lines): “{text}”",
        },
        "words.pause_cues": {"zh-CN": "暂停定时提示", "en": "pause timed cues"},
        "words.resume_cues": {"zh-CN": "恢复定时提示", "en": "resume timed cues"},
        "words.alert": {"zh-CN": "通知团队群：“{text}”", "en": "alert the team: “{text}”"},
        "words.when.stream_down": {"zh-CN": "主播断流超过{for_}", "en": "the stream is down for {for_}"},
        "words.when.stream_up": {"zh-CN": "主播恢复推流", "en": "the stream is back"},
        "words.when.stream_quality_low": {
            "zh-CN": "画质低于 {min_bitrate_kbps} kbps 或 {min_fps} 帧/秒持续{for_}",
            "en": "quality below {min_bitrate_kbps} kbps or {min_fps} fps for {for_}",
        },
        "words.when.viewers_drop": {
            "zh-CN": "在线人数{window}内下降 {percent}% 以上",
            "en": "viewers drop by {percent}% within {window}",
        },
        "words.when.chat_silent": {"zh-CN": "弹幕冷场{for_}", "en": "chat silent for {for_}"},
        "words.when.queue_longer": {
            "zh-CN": "待人工回答的问题超过 {than} 个",
            "en": "more than {than} questions waiting",
        },
        "words.when.coupon_sold_out": {"zh-CN": "优惠券{coupon}领完", "en": "coupon {coupon} sold out"},
        "words.when.product_out_of_stock": {
            "zh-CN": "商品{product}售罄",
            "en": "product {product} out of stock",
        },
        "words.plan": {
            "zh-CN": "当{when}：{actions}（冷却{cooldown}）",
            "en": "when {when}: {actions} (cooldown {cooldown})",
        },
        "words.unless": {
            "zh-CN": "；{minutes}内已有{what}则跳过",
            "en": "; skipped if a {what} ran within {minutes}",
        },
        "words.any": {"zh-CN": "（任意）", "en": " (any)"},
        "words.what.lottery": {"zh-CN": "抽奖", "en": "lottery"},
        "words.what.coupon": {"zh-CN": "发券", "en": "coupon"},
        "words.what.vote": {"zh-CN": "投票", "en": "vote"},
    },
)


def _product(rulebook: Rulebook, sku: str) -> str:
    product = rulebook.product(sku)
    return f"{product.name}（{sku}）" if product else sku


def human_duration(seconds: float, lang: str = "zh-CN") -> str:
    """`2分30秒` / `2 min 30 s`, for sentences (clock times use `format_duration`)."""
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    units = (("小时", "h"), ("分钟", "min"), ("秒", "s"))
    parts = []
    for value, (zh, en) in zip((hours, minutes, secs), units, strict=True):
        if value:
            parts.append(
                f"{value} {en}" if lang == "en" else f"{value}{zh if zh != '分钟' or not secs else '分'}"
            )
    return (" " if lang == "en" else "").join(parts) or ("0 s" if lang == "en" else "0秒")


def describe(
    action: Cue | Action,
    rulebook: Rulebook,
    lang: str = "zh-CN",
    product: Product | None = None,
    winner_of: str | None = None,
) -> str:
    """One cue or contingency action as a sentence, its text filled with `product` (the segment's, as
    the runner fills it; `winner_of`: the vote that will choose it)."""

    def filled(text: str) -> str:
        return fill_for_people(text, product, rulebook, lang, winner_of)

    if action.say is not None:
        return t(lang, "words.say", text=filled(action.say))
    if action.pin is not None:
        if isinstance(action.pin, WinnerOf):
            return t(lang, "words.pin_winner", vote=action.pin.winner_of)
        return t(lang, "words.pin", product=_product(rulebook, action.pin))
    if action.coupon is not None:
        coupon = rulebook.coupon(action.coupon)
        title = coupon.title if coupon else action.coupon
        quantity = (
            t(lang, "words.quantity", n=coupon.quantity)
            if coupon and coupon.quantity
            else t(lang, "words.unlimited")
        )
        return t(lang, "words.coupon", title=title, quantity=quantity)
    if action.vote is not None:
        options = " / ".join(
            _product(rulebook, o.product) if isinstance(o, VoteOption) else o for o in action.vote.options
        )
        return t(
            lang,
            "words.vote",
            question=action.vote.question,
            options=options,
            duration=human_duration(action.vote.duration, lang),
        )
    if action.lottery is not None:
        lot = action.lottery
        entry = t(lang, "words.keyword", keyword=lot.keyword) if lot.keyword else t(lang, "words.button")
        return t(
            lang,
            "words.lottery",
            prize=lot.prize,
            winners=lot.winners,
            entry=entry,
            window=human_duration(lot.window, lang),
        )
    if action.countdown is not None:
        cd = action.countdown
        featured = f"（{_product(rulebook, cd.product)}）" if cd.product else ""
        stock = t(lang, "words.stock", n=cd.stock) if cd.stock is not None else ""
        return t(
            lang,
            "words.countdown",
            title=cd.title,
            product=featured,
            duration=human_duration(cd.duration, lang),
            stock=stock,
        )
    if isinstance(action, Cue) and action.repeat is not None:
        rp = action.repeat
        return t(
            lang,
            "words.repeat",
            every=human_duration(rp.every, lang),
            lines=rp.min_chat_lines,
            text=filled(rp.text),
        )
    if isinstance(action, Action):
        if action.pause_cues:
            return t(lang, "words.pause_cues")
        if action.resume_cues:
            return t(lang, "words.resume_cues")
        if action.alert is not None:
            return t(lang, "words.alert", text=filled(action.alert))
    return action.kind


def describe_plan(plan: ContingencyPlan, rulebook: Rulebook, lang: str = "zh-CN") -> str:
    """A contingency plan as one sentence: when …: do …, … (cooldown …)."""
    kind = plan.when.kind
    spec = getattr(plan.when, kind)
    params: dict[str, object] = {}
    for name, value in spec.model_dump().items():
        params[name] = human_duration(value, lang) if name in ("for_", "window") else value
    if kind == "coupon_sold_out":
        coupon = rulebook.coupon(spec.coupon) if spec.coupon else None
        params["coupon"] = f"“{coupon.title}”" if coupon else t(lang, "words.any")
    if kind == "product_out_of_stock":
        params["product"] = _product(rulebook, spec.product) if spec.product else t(lang, "words.any")
    when = t(lang, f"words.when.{kind}", **params)
    actions = "；".join(describe(a, rulebook, lang) for a in plan.do)
    text = t(lang, "words.plan", when=when, actions=actions, cooldown=human_duration(plan.cooldown, lang))
    for what in ("lottery", "coupon", "vote"):
        window = getattr(plan.unless_recent, what)
        if window is not None:
            text += t(
                lang, "words.unless", minutes=human_duration(window, lang), what=t(lang, f"words.what.{what}")
            )
    return text
