"""The hub's user-facing texts (zh-CN and en): chat refusals, socket errors, notices, role names."""

from __future__ import annotations

from media.i18n import CATALOGUE

CATALOGUE.add(
    "hub",
    {
        # chat refusals
        "hub.chat.blocked_word": {
            "zh-CN": "消息包含违禁词，未发送",
            "en": "Your message contains a blocked word",
        },
        "hub.chat.rate_limit": {"zh-CN": "发言太快了，请稍后再试", "en": "You are sending messages too fast"},
        "hub.chat.too_long": {"zh-CN": "消息太长了", "en": "Your message is too long"},
        "hub.chat.link": {"zh-CN": "聊天中不能发送链接", "en": "Links are not allowed in chat"},
        "hub.chat.muted": {"zh-CN": "你已被禁言", "en": "You are muted"},
        "hub.chat.empty": {"zh-CN": "消息为空", "en": "The message is empty"},
        # socket errors
        "hub.error.malformed": {"zh-CN": "消息格式错误", "en": "Malformed message"},
        "hub.error.unknown_type": {"zh-CN": "未知的消息类型", "en": "Unknown message type"},
        "hub.error.invalid": {"zh-CN": "消息内容不合法", "en": "Invalid message"},
        "hub.error.too_large": {"zh-CN": "消息过大", "en": "Message too large"},
        "hub.error.binary": {"zh-CN": "只接受文本消息", "en": "Only text messages are accepted"},
        "hub.error.forbidden": {"zh-CN": "没有权限执行此操作", "en": "You may not do that"},
        "hub.error.rate_limit": {"zh-CN": "操作太频繁，请稍后再试", "en": "Too many actions, slow down"},
        "hub.error.unknown_gift": {"zh-CN": "没有这个礼物", "en": "No such gift"},
        "hub.error.unknown_product": {"zh-CN": "没有这个商品", "en": "No such product"},
        "hub.error.unknown_message": {"zh-CN": "找不到这条消息", "en": "No such message"},
        "hub.error.unknown_vote": {"zh-CN": "没有这个投票", "en": "No such vote"},
        "hub.error.unknown_lottery": {"zh-CN": "没有这个抽奖", "en": "No such lottery"},
        "hub.error.unknown_room": {"zh-CN": "没有这个直播间", "en": "No such room"},
        "hub.error.empty": {"zh-CN": "消息为空", "en": "The message is empty"},
        "hub.error.blocked_word": {
            "zh-CN": "机器人的消息包含违禁词，未发送",
            "en": "The bot's line contains a blocked word; not posted",
        },
        "hub.error.internal": {"zh-CN": "服务器忙，请重试", "en": "Server busy, please retry"},
        "hub.error.abuse": {"zh-CN": "错误消息过多，连接已关闭", "en": "Too many bad messages; closing"},
        # notices
        "hub.notice.muted": {"zh-CN": "你已被管理员禁言", "en": "A moderator muted you"},
        "hub.notice.unmuted": {"zh-CN": "你已被解除禁言", "en": "You may chat again"},
        "hub.lottery.short": {
            "zh-CN": "原定抽 {promised} 位，但开奖时只有 {eligible} 位参与者符合条件（共 {entrants} 人参与），"
            "所以这一轮只抽出 {winners} 位。",
            "en": "{promised} winners were promised, but only {eligible} of the {entrants} entrants met the "
            "conditions at the draw, so {winners} were drawn this time.",
        },
        "hub.role.team": {"zh-CN": "运营", "en": "Team"},
        "hub.role.host": {"zh-CN": "主播", "en": "Host"},
        "hub.role.viewer": {"zh-CN": "观众", "en": "Viewer"},
        "hub.role.bot": {"zh-CN": "助理", "en": "Assistant"},
    },
)
