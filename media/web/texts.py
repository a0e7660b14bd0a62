"""The pages' texts (zh-CN and en): sign-in and HTTP refusals, and the words each page's script uses."""

from __future__ import annotations

from media.i18n import CATALOGUE, normalise_language

CATALOGUE.add(
    "web",
    {
        # login
        "web.login.title": {"zh-CN": "团队登录", "en": "Team sign-in"},
        "web.login.host_title": {"zh-CN": "主播登录", "en": "Host sign-in"},
        "web.login.password": {"zh-CN": "团队密码", "en": "Team password"},
        "web.login.token": {"zh-CN": "推流令牌", "en": "Publish token"},
        "web.login.submit": {"zh-CN": "登录", "en": "Sign in"},
        "web.login.failed": {"zh-CN": "密码不正确", "en": "Wrong password"},
        "web.login.throttled": {
            "zh-CN": "尝试次数过多，请稍后再试",
            "en": "Too many attempts, try again later",
        },
        "web.http.unknown_room": {"zh-CN": "没有这个直播间", "en": "No such room"},
        "web.http.unknown_run": {"zh-CN": "没有这个场次", "en": "No such run"},
        "web.http.unknown_recording": {"zh-CN": "没有这个录像", "en": "No such recording"},
        "web.http.team_only": {"zh-CN": "请先用团队密码登录", "en": "Sign in with the team password first"},
        "web.http.too_many_new_viewers": {
            "zh-CN": "同一网络新进入的观众太多，请一分钟后再刷新",
            "en": "Too many new viewers from one network; reload in a minute",
        },
        "web.http.csrf": {
            "zh-CN": "请求来源无效，请刷新页面",
            "en": "Invalid request origin; reload the page",
        },
    },
)

# Texts the pages' scripts use, by page; sent to the browser as JSON.
PAGE_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "common": {
        "connecting": {"zh-CN": "连接中…", "en": "Connecting…"},
        "reconnecting": {"zh-CN": "连接断开，正在重连…", "en": "Disconnected, reconnecting…"},
        "online": {"zh-CN": "在线", "en": "online"},
        "likes": {"zh-CN": "点赞", "en": "likes"},
        "send": {"zh-CN": "发送", "en": "Send"},
        "chat_placeholder": {"zh-CN": "说点什么…", "en": "Say something…"},
        "bot": {"zh-CN": "助理", "en": "Bot"},
        "team": {"zh-CN": "运营", "en": "Team"},
        "host": {"zh-CN": "主播", "en": "Host"},
        "reply_to": {"zh-CN": "回复", "en": "Reply to"},
        "deleted": {"zh-CN": "消息已删除", "en": "Message deleted"},
        "sent_gift": {"zh-CN": "送出了", "en": "sent"},
        "no_video": {"zh-CN": "直播即将开始", "en": "The stream will start soon"},
    },
    "room": {
        "price": {"zh-CN": "原价", "en": "Price"},
        "live_price": {"zh-CN": "直播价", "en": "Live price"},
        "stock": {"zh-CN": "剩余库存", "en": "In stock"},
        "buy": {"zh-CN": "去购买", "en": "Buy now"},
        "product_sold_out": {"zh-CN": "已售罄", "en": "Sold out"},
        "claim": {"zh-CN": "领取", "en": "Claim"},
        "claimed": {"zh-CN": "已领取", "en": "Claimed"},
        "sold_out": {"zh-CN": "已抢光", "en": "Sold out"},
        "expired": {"zh-CN": "已过期", "en": "Expired"},
        "already_claimed": {"zh-CN": "你已经领过了", "en": "You already claimed it"},
        "no_token": {"zh-CN": "请刷新页面后再试", "en": "Reload the page and try again"},
        "limit": {"zh-CN": "同一网络领取或参与的次数已满", "en": "Too many from one network"},
        "remaining": {"zh-CN": "剩余", "en": "left"},
        "coupon": {"zh-CN": "优惠券", "en": "Coupon"},
        "use_coupon": {"zh-CN": "去使用", "en": "Use it"},
        "vote": {"zh-CN": "投票", "en": "Vote"},
        "voted": {"zh-CN": "已投票", "en": "Voted"},
        "vote_closed": {"zh-CN": "投票结束，胜出：", "en": "Vote closed, winner: "},
        "lottery": {"zh-CN": "福袋抽奖", "en": "Lucky draw"},
        "enter": {"zh-CN": "参与抽奖", "en": "Enter"},
        "entered": {"zh-CN": "已参与", "en": "Entered"},
        "keyword": {"zh-CN": "发送口令参与：", "en": "Type the keyword to enter: "},
        "entrants": {"zh-CN": "人参与", "en": "entered"},
        "winners": {"zh-CN": "中奖名单", "en": "Winners"},
        "no_winner": {"zh-CN": "本次无人中奖", "en": "No winner this time"},
        "you_won": {"zh-CN": "恭喜你中奖了！", "en": "You won!"},
        "seed_hash": {"zh-CN": "种子哈希", "en": "Seed hash"},
        "seed": {"zh-CN": "种子", "en": "Seed"},
        "proof": {"zh-CN": "公平性证明", "en": "Fairness proof"},
        "ends_in": {"zh-CN": "剩余", "en": "Ends in"},
        "countdown_over": {"zh-CN": "已结束", "en": "Ended"},
        "like": {"zh-CN": "点赞", "en": "Like"},
        "follow": {"zh-CN": "关注", "en": "Follow"},
        "followed": {"zh-CN": "已关注", "en": "Following"},
    },
    "studio": {
        "chat": {"zh-CN": "实时聊天", "en": "Live chat"},
        "questions": {"zh-CN": "待人工回复", "en": "Waiting for a human"},
        "answer": {"zh-CN": "回复", "en": "Answer"},
        "say": {"zh-CN": "以运营身份发言", "en": "Say as the team"},
        "say_bot": {"zh-CN": "以助理身份发言", "en": "Say as the bot"},
        "pin": {"zh-CN": "置顶商品", "en": "Pin product"},
        "unpin": {"zh-CN": "取消置顶", "en": "Unpin"},
        "product_sold_out": {"zh-CN": "已售罄", "en": "Sold out"},
        "push_coupon": {"zh-CN": "推送优惠券", "en": "Push coupon"},
        "open_vote": {"zh-CN": "发起投票", "en": "Open vote"},
        "close_vote": {"zh-CN": "结束投票", "en": "Close vote"},
        "open_lottery": {"zh-CN": "发起抽奖", "en": "Open lottery"},
        "draw_lottery": {"zh-CN": "开奖", "en": "Draw"},
        "countdown": {"zh-CN": "开始倒计时", "en": "Start countdown"},
        "mute": {"zh-CN": "禁言", "en": "Mute"},
        "unmute": {"zh-CN": "解除禁言", "en": "Unmute"},
        "delete": {"zh-CN": "删除", "en": "Delete"},
        "numbers": {"zh-CN": "实时数据", "en": "Live numbers"},
        "online": {"zh-CN": "在线", "en": "Online"},
        "peak": {"zh-CN": "峰值", "en": "Peak"},
        "likes": {"zh-CN": "点赞", "en": "Likes"},
        "clicks": {"zh-CN": "商品点击", "en": "Clicks"},
        "claims": {"zh-CN": "领券", "en": "Claims"},
        "orders": {"zh-CN": "订单", "en": "Orders"},
        "rulebook": {"zh-CN": "规则文件", "en": "Rulebook"},
        "rulebook_ok": {"zh-CN": "规则文件正常", "en": "Rulebook OK"},
        "stream": {"zh-CN": "推流状态", "en": "Stream health"},
        "run": {"zh-CN": "直播流程", "en": "Run of show"},
        "commands": {"zh-CN": "操作", "en": "Commands"},
        "coupon_id": {"zh-CN": "券ID", "en": "Coupon id"},
        "title": {"zh-CN": "标题", "en": "Title"},
        "link": {"zh-CN": "链接", "en": "Link"},
        "discount": {"zh-CN": "优惠", "en": "Discount"},
        "quantity": {"zh-CN": "数量", "en": "Quantity"},
        "minutes": {"zh-CN": "有效分钟", "en": "Valid minutes"},
        "question": {"zh-CN": "问题", "en": "Question"},
        "options": {"zh-CN": "选项（每行一个）", "en": "Options (one a line)"},
        "seconds": {"zh-CN": "秒", "en": "seconds"},
        "prize": {"zh-CN": "奖品", "en": "Prize"},
        "winners": {"zh-CN": "中奖人数", "en": "Winners"},
        "keyword": {"zh-CN": "口令", "en": "Keyword"},
        "min_watch": {"zh-CN": "最短观看秒数", "en": "Min. watch seconds"},
        "logout": {"zh-CN": "退出", "en": "Sign out"},
        "done": {"zh-CN": "已执行", "en": "Done"},
        "none_waiting": {"zh-CN": "暂无待回复问题", "en": "No question waiting"},
    },
    "host": {
        "next_cue": {"zh-CN": "下一个提示", "en": "Next cue"},
        "publisher": {"zh-CN": "摄像头推流", "en": "Camera"},
        "no_cue": {"zh-CN": "暂无", "en": "None yet"},
        "cohost": {"zh-CN": "连麦", "en": "Co-host"},
        "invite_guest": {"zh-CN": "邀请连麦", "en": "Invite a guest"},
        "end_guest": {"zh-CN": "结束连麦", "en": "End the guest's stream"},
        "guest_link_hint": {
            "zh-CN": "把链接发给嘉宾；再次邀请会让这个链接失效",
            "en": "Send the link to your guest; a new invite makes this link stop working",
        },
        "copy": {"zh-CN": "复制", "en": "Copy"},
        "copied": {"zh-CN": "已复制", "en": "Copied"},
        "guest_ended": {"zh-CN": "已结束连麦", "en": "Guest stream ended"},
        "guest_none": {"zh-CN": "没有连麦嘉宾", "en": "No guest"},
        "action_failed": {"zh-CN": "操作失败：", "en": "Failed: "},
    },
    "guest": {
        "guest_title": {"zh-CN": "连麦嘉宾", "en": "Guest"},
        "guest_intro": {
            "zh-CN": "主播邀请你连麦。选好摄像头和麦克风，点“开始直播”，观众会在主播旁边看到你。",
            "en": "The host invited you on. Pick your camera and microphone and press Start: viewers see you "
            "beside the host.",
        },
        "no_invite": {
            "zh-CN": "邀请链接不完整：请向主播要一个新的连麦链接",
            "en": "This invite link is incomplete: ask the host for a new one",
        },
        "publisher": {"zh-CN": "摄像头推流", "en": "Camera"},
        "guest_busy": {"zh-CN": "已有嘉宾在连麦", "en": "Another guest is on"},
        "guest_bad_token": {
            "zh-CN": "邀请链接已失效，请向主播要新的链接",
            "en": "This invite is no longer valid; ask the host for a new link",
        },
    },
}


# The video player's and the camera publisher's own words (player.js, publisher.js), given to them as `texts`.
WIDGET_TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "player": {
        "connecting": {"zh-CN": "连接中…", "en": "Connecting…"},
        "waiting": {"zh-CN": "等待主播开播…", "en": "Waiting for the host to go live…"},
        "reconnecting": {"zh-CN": "重新连接中…", "en": "Reconnecting…"},
        "unmute": {"zh-CN": "🔇 点击开启声音", "en": "🔇 Tap for sound"},
        "missing": {"zh-CN": "直播间不存在", "en": "No such room"},
        "codec": {
            "zh-CN": "此浏览器无法播放本直播的视频格式",
            "en": "This browser cannot play the stream's video format",
        },
    },
    "publisher": {
        "camera": {"zh-CN": "摄像头", "en": "Camera"},
        "microphone": {"zh-CN": "麦克风", "en": "Microphone"},
        "token": {"zh-CN": "推流令牌", "en": "Publish token"},
        "start": {"zh-CN": "开始直播", "en": "Go live"},
        "stop": {"zh-CN": "停止直播", "en": "Stop"},
        "idle": {"zh-CN": "未开播", "en": "Off air"},
        "starting": {"zh-CN": "正在连接…", "en": "Connecting…"},
        "live": {"zh-CN": "直播中", "en": "Live"},
        "reconnecting": {"zh-CN": "连接中断，正在重连…", "en": "Connection lost, reconnecting…"},
        "error": {"zh-CN": "推流失败：", "en": "Publishing failed: "},
        "denied": {"zh-CN": "无法打开摄像头或麦克风：", "en": "Cannot open the camera or microphone: "},
        "busy": {"zh-CN": "直播间已有主播在推流", "en": "Someone is already publishing to this room"},
        "badToken": {"zh-CN": "推流令牌不正确", "en": "Wrong publish token"},
        "kbps": {"zh-CN": "kbps", "en": "kbps"},
    },
}


def _in_language(language: str, *groups: dict[str, dict[str, str]]) -> dict[str, str]:
    """Each key's text in `language` (Chinese where it has none); later groups win."""
    lang = normalise_language(language)
    return {key: by_lang.get(lang) or by_lang["zh-CN"] for group in groups for key, by_lang in group.items()}


def widget_texts(language: str, widget: str) -> dict[str, str]:
    """The words of player.js or publisher.js in the room's language."""
    return _in_language(language, WIDGET_TEXTS[widget])


def page_texts(language: str, *pages: str) -> dict[str, str]:
    return _in_language(language, *(PAGE_TEXTS[page] for page in ("common", *pages)))
