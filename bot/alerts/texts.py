"""Every alert and team-command text, in Simplified Chinese and English (one catalogue)."""

from __future__ import annotations

from media.i18n import CATALOGUE

CATALOGUE.add(
    "alerts",
    {
        "alerts.contingency_fired": {
            "zh-CN": "应急预案已执行：{title}（{actions}）",
            "en": "Contingency plan carried out: {title} ({actions})",
        },
        # -- alerts (bot/alerts/rules.py)
        "alerts.stream_down": {
            "zh-CN": "推流中断：主播画面已断开 {seconds} 秒",
            "en": "Stream down: no picture from the host for {seconds} s",
        },
        "alerts.stream_up": {
            "zh-CN": "推流已恢复（中断了 {seconds} 秒）",
            "en": "Stream back up (it was down for {seconds} s)",
        },
        "alerts.stream_quality_low": {
            "zh-CN": "画质差：码率 {bitrate} kbps（下限 {min_bitrate}），帧率 {fps}（下限 {min_fps}），已持续 {seconds} 秒",
            "en": "Stream quality low: {bitrate} kbps (min {min_bitrate}), {fps} fps (min {min_fps}) "
            "for {seconds} s",
        },
        "alerts.viewers_drop": {
            "zh-CN": "掉人：{window} 秒内在线从 {before} 降到 {now}（-{percent}%）",
            "en": "Viewers dropping: {before} → {now} online within {window} s (-{percent}%)",
        },
        "alerts.new_peak": {
            "zh-CN": "新的在线峰值：{online} 人",
            "en": "New peak: {online} viewers online",
        },
        "alerts.questions_waiting": {
            "zh-CN": "{count} 个问题等人工回答，最早的已等 {oldest_wait}（用 /answer 编号 回复）：",
            "en": "{count} questions waiting for a human, the oldest for {oldest_wait} (reply with /answer N):",
        },
        "alerts.question_line": {
            "zh-CN": "  #{number} {nickname}：{text}（等了 {wait}）",
            "en": "  #{number} {nickname}: {text} (waiting {wait})",
        },
        "alerts.coupon_low": {
            "zh-CN": "优惠券快领完：{title} 只剩 {remaining}/{quantity} 张",
            "en": "Coupon running low: {title}, {remaining} of {quantity} left",
        },
        "alerts.credential_guessing": {
            "zh-CN": "有人在猜密码：近一分钟 {total} 次用错误的密码或令牌尝试（其中错误：{checks}），来自 {clients} 个地址，最多的 {top}（{top_failures} 次）；这些地址已被逐步放慢",
            "en": "Someone is guessing passwords: {total} tries with a wrong password or token in the last minute (wrong ones: {checks}) from {clients} addresses, most from {top} ({top_failures}); those addresses are slowed down",
        },
        "alerts.restream_failed": {
            "zh-CN": "转推中断：{target}（{error}），连续第 {failures} 次，{retry} 秒后重试",
            "en": "Restream down: {target} ({error}), failure {failures} in a row, retrying in {retry} s",
        },
        "alerts.product_out_of_stock": {
            "zh-CN": "商品卖完了：{product}，已下单 {sold} 件，库存 {stock} 件。请下架或补库存",
            "en": "Sold out: {product}, {sold} ordered of {stock} in stock. Take it off or restock",
        },
        "alerts.product_named": {"zh-CN": "{name}（{sku}）", "en": "{name} ({sku})"},
        "alerts.coupon_sold_out": {
            "zh-CN": "优惠券已领光：{title}",
            "en": "Coupon sold out: {title}",
        },
        "alerts.lottery_result": {
            "zh-CN": "福袋开奖 {lottery}：{count} 人中奖（{entrants} 人参与），抽奖编号 {draw_id}。中奖：{winners}",
            "en": "Lottery {lottery} drawn: {count} winners of {entrants} entrants, draw {draw_id}. "
            "Winners: {winners}",
        },
        "alerts.lottery_short": {
            "zh-CN": "⚠ 原定 {promised} 位，只有 {eligible} 位符合条件，少抽了 {missing} 位（要补发请手动安排）",
            "en": "⚠ {promised} promised, only {eligible} eligible: {missing} fewer winners (arrange any make-up by hand)",
        },
        "alerts.cue_upcoming": {
            "zh-CN": "{what} {minutes} 分钟后开始（{cue}）",
            "en": "{what} starts in {minutes} min ({cue})",
        },
        "alerts.cue_missed": {
            "zh-CN": "提示没按时执行：{cue}（{kind}），原定 {at}，请手动补上",
            "en": "Cue missed: {cue} ({kind}) was due at {at}; do it by hand",
        },
        "alerts.rules_reload_failed": {
            "zh-CN": "规则文件重新加载失败，旧规则继续生效：",
            "en": "Rule files failed to reload; the last good rules stay in force:",
        },
        "alerts.more_errors": {"zh-CN": "……还有 {count} 处", "en": "…and {count} more"},
        "alerts.show_started": {
            "zh-CN": "开播了：{title}（{show}）",
            "en": "Show started: {title} ({show})",
        },
        "alerts.show_ended": {
            "zh-CN": "下播了：{title}（{show}）\n"
            "时长 {duration}\n"
            "在线峰值 {peak} 人，观众 {viewers} 人\n"
            "聊天 {chats} 条，点赞 {likes}\n"
            "商品点击 {clicks}，领券 {claims}\n"
            "订单 {orders} 笔，成交额 ¥{gmv}",
            "en": "Show ended: {title} ({show})\n"
            "Duration {duration}\n"
            "Peak {peak} online, {viewers} viewers\n"
            "{chats} chat lines, {likes} likes\n"
            "{clicks} product clicks, {claims} coupons claimed\n"
            "{orders} orders, GMV ¥{gmv}",
        },
        "alerts.cue.countdown": {"zh-CN": "限时秒杀「{title}」", "en": "Flash sale “{title}”"},
        "alerts.cue.lottery": {"zh-CN": "福袋「{title}」", "en": "Lottery “{title}”"},
        "alerts.cue.coupon": {"zh-CN": "发券 {title}", "en": "Coupon {title}"},
        "alerts.cue.vote": {"zh-CN": "投票「{title}」", "en": "Vote “{title}”"},
        "alerts.cue.say": {"zh-CN": "口播「{title}」", "en": "Message “{title}”"},
        "alerts.cue.pin": {"zh-CN": "上架 {title}", "en": "Pin {title}"},
        "alerts.cue.repeat": {"zh-CN": "定时消息「{title}」", "en": "Timed message “{title}”"},
        # -- the sender (bot/alerts/sender.py)
        "alerts.digest": {
            "zh-CN": "告警汇总：{count} 条",
            "en": "Alert digest: {count} alerts",
        },
    },
)
