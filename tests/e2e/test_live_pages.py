"""The three pages of a running room as the people who use them see them, in headless Chromium with a fake
camera: the viewer's phone room (390×844) and its laptop column (1440×900), the studio's 中控台 and the host's
teleprompter. Every check is about what is on the screen: where the video and the chat are, what a sheet
lists, what a one-tap button makes appear on a viewer's phone. Screenshots go to test-output/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import test_media_browser as media_browser
from conftest import ServedRoom, ServeRoom, until

from bot.app import CREDENTIALS
from bot.app.keys import FAQ_BOT
from media.app import HUB
from media.hub.protocol import Proposal
from media.web.orders import SIGNATURE_HEADER, sign

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP: dict[str, Any] = {"viewport": {"width": 1440, "height": 900}}

# A third product with a picture the shop cannot serve (the page falls back to its placeholder), a coupon
# without a minimum, and talking points for the host's teleprompter.
MORE_PRODUCTS = """
- sku: CUP-09
  name: 青瓷茶杯
  price: 59
  live_price: 39.9
  link: https://shop.example.com/cup
  stock: 12
  image: https://shop.example.com/img/cup.jpg
"""
MORE_COUPONS = """
- id: new-5
  title: 新人专享
  link: https://shop.example.com/coupon/5
  discount: 5
  quantity: 50
"""
POINTS = "    duration: 5m\n    product: PAN-01\n    talking_points:\n      - 先讲今晚的福袋口令「好物」\n      - 不粘炒锅直播价 {live_price} 元\n"
RAW = re.compile(
    r"\{[a-z_]+(?::[^}]*)?\}|\b(?:web|room|studio|host|hub|show|faq|review|alerts|rules|api)\.[a-z_]+\.[a-z_.]+\b"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(240),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


async def box(page: Any, selector: str) -> dict[str, float]:
    found = await page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return dict(found)


async def on_screen(page: Any, selector: str) -> None:
    """Seen at its centre (nothing over it) and wholly inside the window as the page opens."""
    await media_browser.assert_seen(page, selector)
    b = await box(page, selector)
    size = page.viewport_size
    assert 0 <= b["y"] and b["y"] + b["height"] <= size["height"], f"{selector} is off screen: {b}"
    assert 0 <= b["x"] and b["x"] + b["width"] <= size["width"], f"{selector} is off screen: {b}"


async def on_screen_unscrolled(page: Any, selector: str) -> None:
    """On screen, and the page does not scroll at all (the viewer's room is one screen)."""
    await on_screen(page, selector)
    scroll = await page.evaluate(
        "[document.scrollingElement.scrollHeight - innerHeight, document.scrollingElement.scrollWidth - innerWidth]"
    )
    assert scroll[0] <= 1 and scroll[1] <= 1, f"the page scrolls ({scroll}) with {selector}"


async def no_raw_text(page: Any) -> None:
    text = await page.locator("body").inner_text()
    raw = RAW.findall(text)
    assert raw == [], f"raw placeholders or message keys on {page.url}: {raw}"


UNLABELLED = """() => {
    const seen = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
        return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
    const name = e => (e.getAttribute('aria-label') || '').trim()
        || [...(e.labels || [])].map(l => l.textContent.trim()).join(' ')
        || (e.tagName === 'BUTTON' ? e.textContent.trim() : '') || (e.title || '').trim();
    return [...document.querySelectorAll('input, select, textarea, button')]
        .filter(e => e.type !== 'hidden' && (seen(e) || (e.closest('label') && seen(e.closest('label')))))
        .filter(e => { const n = name(e); return !n || /^[0-9\\s.:·]+$/.test(n); })
        .map(e => e.outerHTML.slice(0, 120));
}"""


# What lies over the video 150 px from the top while the buy sheet is open: only see-through layers.
SEE_THROUGH = """() => {
    const stack = document.elementsFromPoint(195, 150);
    const at = stack.indexOf(document.getElementById('video'));
    if (at < 0) return ['(no video here)'];
    return stack.slice(0, at).filter(e => !e.matches('#sheet-scrim, #hearts, .shade, #video-slot'))
        .map(e => e.id || e.className);
}"""


async def sign_in(page: Any, served: ServedRoom, role: str) -> None:
    creds = served.app[CREDENTIALS]
    await page.goto(f"{served.base}/{role}/{served.room}")
    await page.fill("#password", creds.team_password if role == "studio" else creds.publish_token)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{served.base}/{role}/{served.room}")
    await page.wait_for_load_state()


async def test_viewer_phone_room_studio_console_and_host_prompter(serve_room: ServeRoom) -> None:
    from playwright.async_api import async_playwright, expect

    served = await serve_room(
        append={"products.yaml": MORE_PRODUCTS, "coupons.yaml": MORE_COUPONS},
        replace={"shows/s.yaml": ("    kind: 暖场\n    duration: 5m\n", "    kind: 暖场\n" + POINTS)},
    )
    app, base, room, book = served.app, served.base, served.room, served.book
    hub = app[HUB]
    OUTPUT.mkdir(exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=media_browser.FLAGS)
        try:
            errors: list[str] = []

            async def page_in(context: dict[str, Any]) -> Any:
                page = await (await browser.new_context(**context)).new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                return page

            studio = await page_in(LAPTOP)
            await sign_in(studio, served, "studio")
            await expect(studio.locator("#numbers-h")).to_have_text("实时数据")
            host = await page_in(LAPTOP)
            await sign_in(host, served, "host")
            await host.wait_for_function(
                "() => window.LiveroomHost.publisher && window.LiveroomHost.publisher.stream", timeout=15000
            )
            await host.click(f"{media_browser.PUBLISHER} .lr-golive")
            await expect(host.locator(media_browser.PUBLISHER)).to_have_attribute(
                "data-state", "live", timeout=20000
            )
            phone = await page_in(PHONE)
            await phone.goto(f"{base}/room/{room}")
            laptop = await page_in(LAPTOP)
            await laptop.goto(f"{base}/room/{room}")
            await media_browser.wait_advancing(phone)
            await media_browser.wait_state(phone, "playing")

            # The video fills the phone: its stage covers the screen's height, a landscape picture sits
            # on a blurred copy of itself, and the page never scrolls, up or sideways.
            video = await box(phone, "#video")
            assert video["height"] >= 0.6 * 844, f"the video covers {video['height']:.0f} of 844 px"
            assert await phone.evaluate("document.getElementById('phone').dataset.orient") == "landscape"
            assert (
                await phone.evaluate("getComputedStyle(document.getElementById('backdrop')).opacity") == "1"
            )
            await media_browser.assert_seen(phone, "#video")

            # One tap in the studio: the coupon of coupons.yaml, the product, the show's vote and 福袋.
            await studio.click("#coupon-buttons .push-coupon[data-coupon=save-50]")
            await expect(phone.locator("#coupon-bubble")).to_be_visible()
            await expect(phone.locator("#coupon-bubble .bubble-value")).to_have_text("¥50")
            await studio.click("#coupon-buttons .push-coupon[data-coupon=new-5]")
            await studio.click("#product-buttons .pin-product[data-sku=PAN-01]")
            await expect(studio.locator("#product-buttons .pin-product[data-sku=PAN-01]")).to_have_text(
                "上1号链接"
            )
            await studio.click("#vote-buttons .open-vote[data-vote=pick]")
            await studio.click("#lottery-buttons .open-lottery[data-lottery=bag-1]")
            for bubble in ("#coupon-bubble", "#vote-bubble", "#lottery-bubble"):
                await expect(phone.locator(bubble)).to_be_visible()
                await media_browser.assert_seen(phone, bubble)
            await expect(phone.locator("#product-card .product-name")).to_have_text("不粘炒锅")
            await expect(phone.locator("#product-card .explaining")).to_have_text("讲解中")
            await expect(phone.locator("#product-card .live-price")).to_have_text("¥159")

            # 200 chat lines later, with a coupon, a vote and a 福袋 open: the chat lies over the video's
            # lower left, the newest line at the bottom, and the input is on screen without scrolling.
            for n in range(200):
                await hub.say(room, f"第{n}条消息：今天的锅真不错")
            await expect(phone.locator("#chat .msg .text").last).to_have_text("第199条消息：今天的锅真不错")
            last, chat = await box(phone, "#chat .msg >> nth=-1"), await box(phone, "#chat")
            video = await box(phone, "#video")
            assert video["y"] <= chat["y"] and chat["y"] + chat["height"] <= video["y"] + video["height"]
            assert last["x"] < 390 / 2 and last["y"] > 844 / 2, f"the newest line is not lower left: {last}"
            assert abs((last["y"] + last["height"]) - (chat["y"] + chat["height"])) < 8, (
                "newest not at the bottom"
            )
            await media_browser.assert_seen(phone, "#chat .msg >> nth=-1")
            await on_screen_unscrolled(phone, "#chat-input")
            await on_screen_unscrolled(phone, "#chat-send")
            await phone.screenshot(path=str(OUTPUT / "viewer-phone.png"))
            await laptop.screenshot(path=str(OUTPUT / "viewer-laptop.png"))

            # The coupon's sheet says what it is worth and until when; claiming it keeps the input at hand.
            await phone.click("#coupon-bubble")
            card = phone.locator("#coupon-save-50")
            await expect(card.locator(".coupon-title")).to_have_text("满199减50")  # the title says it already
            await expect(card.locator(".amount")).to_contain_text("¥50")
            await expect(card.locator(".amount")).to_contain_text("满199元可用")
            await expect(card.locator(".expiry")).to_contain_text("有效期至")
            await expect(phone.locator("#coupon-new-5 .terms")).to_have_text("无门槛5元")
            await card.locator(".claim").click()
            await expect(card.locator(".claim")).to_have_text("已领取")
            await on_screen_unscrolled(phone, "#chat-input")

            # The 福袋's sheet: prize, how many win, the 口令, the conditions and the countdown.
            await phone.click("#sheet-scrim", position={"x": 200, "y": 60})
            await phone.click("#lottery-bubble")
            sheet = phone.locator("#lottery-card")
            await expect(sheet.locator(".prize")).to_have_text("保温杯")
            await expect(sheet.locator(".winners-n")).to_have_text("共3人中奖")
            await expect(sheet.locator(".keyword b")).to_have_text("好物")
            await expect(sheet.locator(".conditions li")).to_have_text(["开奖时在直播间"])
            await expect(sheet.locator(".big-timer")).to_have_text(re.compile(r"距开奖 0[23]:\d\d"))
            await on_screen_unscrolled(phone, "#chat-input")
            await phone.screenshot(path=str(OUTPUT / "viewer-phone-lottery.png"))
            await phone.click("#lottery-card .send-keyword")  # typing the 口令 enters
            await expect(sheet.locator(".enter")).to_have_text("已参与")
            await phone.click("#sheet-scrim", position={"x": 200, "y": 60})
            await phone.click("#vote-bubble")
            await expect(phone.locator("#vote-card .option-text")).to_have_text(["不粘炒锅", "红茶礼盒"])
            await on_screen_unscrolled(phone, "#chat-input")
            await phone.click("#sheet-scrim", position={"x": 200, "y": 60})

            # The shop reports an order of two cups (stock 12): the 小黄车 says what is left.
            order = json.dumps(
                {"order_id": "o-1", "room": room, "sku": "CUP-09", "quantity": 2, "amount": "79.80"}
            ).encode()
            async with aiohttp.ClientSession() as shop:
                signature = {SIGNATURE_HEADER: sign(app[CREDENTIALS].secret, order)}
                async with shop.post(f"{base}/api/orders", data=order, headers=signature) as response:
                    assert response.status == 201, await response.text()
            await expect(studio.locator("#n-gmv")).to_have_text("¥79.8")

            # 小黄车: every product of products.yaml with its number, picture (or placeholder) and price.
            await phone.click("#cart-button")
            items = phone.locator("#cart-list .cart-item")
            await expect(items).to_have_count(len(book.products))
            for n, product in enumerate(book.products, start=1):
                item = items.nth(n - 1)
                await expect(item.locator(".num")).to_have_text(f"{n}号")
                await expect(item.locator(".name")).to_have_text(product.name)
                price = product.live_price if product.live_price is not None else product.price
                await expect(item.locator(".live-price")).to_have_text(f"¥{price:g}")
                await expect(item.locator(".thumb img, .thumb .ph")).to_have_count(1)
            await expect(items.nth(0).locator(".explaining")).to_have_text("讲解中")
            await expect(items.nth(2).locator(".thumb .ph")).to_be_visible()  # its picture does not load
            await expect(items.nth(2).locator(".stock")).to_have_text("剩余10件")
            await phone.screenshot(path=str(OUTPUT / "viewer-phone-cart.png"))

            # 去购买 opens the shop's page in the room: the video keeps playing, the page stays.
            await items.nth(0).locator(".buy").click()
            await expect(phone.locator("#buy-sheet")).to_be_visible()
            assert (await phone.locator("#buy-frame").get_attribute("src")).endswith(
                f"/go/{room}/PAN-01?src=card"
            )
            await expect(phone.locator("#buy-open")).to_have_attribute("target", "_blank")
            assert phone.url == f"{base}/room/{room}"
            await media_browser.wait_advancing(phone)
            assert await phone.evaluate("document.getElementById('video').paused") is False
            above = await phone.evaluate(SEE_THROUGH)
            assert above == [], f"the video is covered above the buy sheet by {above}"
            await phone.screenshot(path=str(OUTPUT / "viewer-phone-buy.png"))
            await phone.click("#buy-sheet .sheet-close")
            await expect(phone.locator("#buy-sheet")).to_be_hidden()

            # A double tap on the picture likes it.
            await phone.dblclick("#video-slot", position={"x": 195, "y": 300})
            await expect(phone.locator("#hearts .heart.big")).to_have_count(1)
            await until(lambda: hub.active(room).state.counters.likes >= 1)

            # The laptop: the same room in a phone-shaped column, the chat beside it.
            column, side = await box(laptop, "#phone"), await box(laptop, "#side-chat")
            assert column["width"] < column["height"] and column["height"] >= 0.9 * 900
            assert side["x"] >= column["x"] + column["width"]
            await expect(laptop.locator("#side-chat #chat .msg .text").last).to_have_text(
                "好物"
            )  # the 口令 sent
            await expect(laptop.locator("#side-chat #chat .msg", has_text="第199条消息")).to_have_count(1)
            await on_screen_unscrolled(laptop, "#chat-input")

            # Questions wait in the studio; the bot's proposal goes out with one tap, quoted with @.
            await phone.fill("#chat-input", "这个锅能用电磁炉吗？")
            await phone.press("#chat-input", "Enter")
            await until(
                lambda: any(line.text == "这个锅能用电磁炉吗？" for line in hub.active(room).state.history)
            )
            asked = next(
                line for line in hub.active(room).state.history if line.text == "这个锅能用电磁炉吗？"
            )
            await hub.escalate(
                room, asked.id, proposal=Proposal(faq_id="pan-size", text="燃气灶、电磁炉都能用", score=0.61)
            )
            question = studio.locator(f"#q-{asked.id}")
            await expect(question.locator(".proposal-text")).to_have_text("燃气灶、电磁炉都能用")
            await expect(question.locator(".wait")).to_have_text(re.compile(r"已等\d\d:\d\d"))
            await studio.screenshot(path=str(OUTPUT / "studio-laptop.png"))
            await question.locator(".send-proposal").click()
            reply = phone.locator("#chat .msg.role-team").last
            await expect(reply.locator(".quote")).to_have_text("这个锅能用电磁炉吗？")
            await expect(reply.locator(".text")).to_have_text(f"@{asked.nickname} 燃气灶、电磁炉都能用")
            await expect(question).to_have_count(0)

            # A team answer typed by hand is quoted with @ too; 加入FAQ says what became of it.
            await phone.fill("#chat-input", "红茶是今年的新茶吗？")
            await phone.press("#chat-input", "Enter")
            await until(
                lambda: any(line.text == "红茶是今年的新茶吗？" for line in hub.active(room).state.history)
            )
            tea = next(line for line in hub.active(room).state.history if line.text == "红茶是今年的新茶吗？")
            await hub.escalate(room, tea.id)
            question = studio.locator(f"#q-{tea.id}")
            await question.locator(".answer-input").fill("是今年春天的新茶")
            await question.locator(".learn").click()
            await expect(studio.locator("#question-status")).to_have_text(
                re.compile(r"^已加入FAQ：.*faq\.yaml")
            )
            await question.locator(".answer-send").click()
            reply = phone.locator("#chat .msg.role-team").last
            await expect(reply.locator(".quote")).to_have_text("红茶是今年的新茶吗？")
            await expect(reply.locator(".text")).to_have_text(f"@{tea.nickname} 是今年春天的新茶")

            # The FAQ bot's switch, and every control of the 中控台 says what it does.
            faq_bot = app[FAQ_BOT]
            await expect(studio.locator("#bot-state")).to_have_text("开启中")
            await studio.click(".switch")
            await expect(studio.locator("#bot-state")).to_have_text("已暂停")
            assert faq_bot.paused
            await studio.click(".switch")
            await expect(studio.locator("#bot-state")).to_have_text("开启中")
            assert not faq_bot.paused
            assert await studio.evaluate(UNLABELLED) == []
            await studio.click("#custom-actions summary")
            assert await studio.evaluate(UNLABELLED) == []
            await studio.click("#custom-actions summary")
            studio_phone = await page_in(PHONE)
            await sign_in(studio_phone, served, "studio")
            await expect(studio_phone.locator("#product-buttons li")).to_have_count(len(book.products))
            assert await studio_phone.evaluate(UNLABELLED) == []
            assert await studio_phone.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 1
            await studio_phone.screenshot(path=str(OUTPUT / "studio-phone.png"))

            # The host's teleprompter: the segment's talking points and the next line in full.
            await studio.click("#show-start")
            await expect(studio.locator("#show-status")).to_contain_text("进行中")
            await expect(studio.locator("#show-timeline")).to_contain_text("暖场 · warm")
            await expect(studio.locator("#show-timeline")).to_contain_text("机器人说：“欢迎来到直播间！”")
            await expect(host.locator("#live-state")).to_have_text("直播中")
            await expect(host.locator("#segment-title")).to_have_text("暖场 · warm")
            await expect(host.locator("#talking-points li")).to_have_text(
                ["先讲今晚的福袋口令「好物」", "不粘炒锅直播价 159 元"]
            )
            line = host.locator("#next-cue-text")
            await expect(line).to_have_text("挂讲解卡：不粘炒锅（PAN-01）")
            assert await line.evaluate(
                "e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"
            )
            await expect(host.locator("#next-cue-in")).to_have_text(re.compile(r"^00:[0-3]\d 后$"))
            await expect(host.locator("#product-now-body .product-name")).to_have_text("不粘炒锅")
            await expect(host.locator("#viewers-see")).to_contain_text("满199减50")
            await expect(host.locator("#viewers-see")).to_contain_text("保温杯 · 口令 好物")
            await host.screenshot(path=str(OUTPUT / "host-laptop.png"))
            host_phone = await page_in(PHONE)
            await sign_in(host_phone, served, "host")
            await expect(host_phone.locator("#next-cue-text")).to_have_text("挂讲解卡：不粘炒锅（PAN-01）")
            await expect(host_phone.locator("#talking-points li")).to_have_count(2)
            await host_phone.screenshot(path=str(OUTPUT / "host-phone.png"))
            await on_screen(host_phone, "#next-cue-text")
            await on_screen(host_phone, "#talking-points li >> nth=0")
            assert await host_phone.evaluate("document.scrollingElement.scrollWidth - innerWidth") <= 1
            await studio.screenshot(path=str(OUTPUT / "studio-laptop-show.png"))

            for page in (phone, laptop, studio, studio_phone, host, host_phone):
                await no_raw_text(page)
            assert errors == []
        finally:
            await browser.close()


async def test_an_english_room_reads_in_english(serve_room: ServeRoom) -> None:
    from playwright.async_api import async_playwright, expect

    served = await serve_room(replace={"room.yaml": ("language: zh-CN", "language: en")})
    base, room, hub = served.base, served.room, served.app[HUB]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=media_browser.FLAGS)
        try:
            phone = await (await browser.new_context(**PHONE)).new_page()
            await phone.goto(f"{base}/room/{room}")
            await expect(phone.locator("#chat-send")).to_have_text("Send")
            await hub.push_coupon(
                room,
                {"id": "save-50", "title": "Save 50", "link": "https://shop.example.com/c", "discount": "50"},
            )
            await phone.click("#coupon-bubble")
            await expect(phone.locator("#coupon-save-50 .terms")).to_have_text("¥50 off orders over ¥199")
            await phone.click("#sheet-scrim", position={"x": 200, "y": 60})
            await phone.click("#cart-button")
            await expect(phone.locator("#cart-h")).to_have_text("Products in this live · 2")
            await expect(phone.locator("#cart-list .num").first).to_have_text("No. 1")
            await expect(phone.locator("#cart-list .buy").first).to_have_text("Buy now")
            await no_raw_text(phone)
        finally:
            await browser.close()


# A viewer whose network lets WebRTC through a TURN relay only: every peer connection is relay-only, and the
# page records the servers each one was given.
RELAY_ONLY = """(() => {
    const Native = window.RTCPeerConnection;
    window.peerConfigs = [];
    window.RTCPeerConnection = function (config) {
        window.peerConfigs.push(JSON.parse(JSON.stringify(config || {})));
        return new Native(Object.assign({}, config, { iceTransportPolicy: 'relay' }));
    };
    window.RTCPeerConnection.prototype = Native.prototype;
})();"""
TURN = "\nice_servers:\n  - urls: [stun:127.0.0.1:3478, turn:127.0.0.1:3478]\n    secret: coturn-static-auth-secret\n"


async def test_a_viewer_behind_a_relay_only_network_connects_again_through_the_answers_turn(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright

    served = await serve_room(append={"room.yaml": TURN})
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=media_browser.FLAGS)
        try:
            page = await (await browser.new_context(**PHONE)).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.add_init_script(RELAY_ONLY)
            await page.goto(f"{served.base}/room/{served.room}")
            config = await page.evaluate("JSON.parse(document.getElementById('lr-config').textContent).ice")
            assert config == [{"urls": ["stun:127.0.0.1:3478"]}]  # no TURN URL without its credentials
            # the first connection has STUN only; a later one (once an answer brought TURN — on a busy
            # machine a retry may come before the first answer does) goes through the answer's TURN
            relayed = "(c) => JSON.stringify(c.iceServers).includes('turn:')"
            await page.wait_for_function(f"() => window.peerConfigs.some({relayed})", timeout=30000)
            configs = await page.evaluate("window.peerConfigs")
            assert all("turn:" not in str(s["urls"]) for s in configs[0]["iceServers"])
            second = next(c for c in configs if any("turn:" in str(s["urls"]) for s in c["iceServers"]))
            [turn] = [s for s in second["iceServers"] if "turn:" in str(s["urls"])]
            assert (
                re.fullmatch(r"\d+:\S+", turn["username"]) and turn["credential"]
            )  # short-lived, from the answer
            assert errors == []
        finally:
            await browser.close()
