"""The room pages in real headless Chromium: two viewers and the studio, chat, pin, sold out, coupon, escaping."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from media.store.models import CouponClaim
from media.web.orders import SIGNATURE_HEADER, sign

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/room is imported as `room` by pytest too

from room.harness import PASSWORD, SECRET, MakeRoomApp, make_room_app  # noqa: E402

__all__ = ["make_room_app"]  # the fixture
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


async def test_two_viewers_and_the_studio(make_room_app: MakeRoomApp) -> None:
    from playwright.async_api import async_playwright, expect

    app = await make_room_app()
    base = str(app.client.make_url("/")).rstrip("/")
    phone: dict[str, Any] = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
    }
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            one_ctx = await browser.new_context(**phone)
            two_ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
            studio_ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
            one, two = await one_ctx.new_page(), await two_ctx.new_page()
            errors: list[str] = []
            for page in (one, two):
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{base}/room/demo")
            studio = await studio_ctx.new_page()
            await studio.goto(f"{base}/studio/demo")
            await studio.fill("#password", PASSWORD)
            await studio.click("button[type=submit]")
            await expect(studio.locator("#numbers-h")).to_have_text("实时数据")
            await expect(one.locator("#chat-send")).to_have_text("发送")  # Chinese by default

            # A chat from viewer 1 reaches viewer 2 and the studio.
            await one.fill("#chat-input", "这款茶叶多久发货？")
            await one.press("#chat-input", "Enter")
            await expect(two.locator("#chat .msg .text").last).to_have_text("这款茶叶多久发货？")
            await expect(studio.locator("#chat .msg .text").last).to_have_text("这款茶叶多久发货？")

            # The studio pins a product (上1号链接) and pushes a coupon; both viewers see them.
            await studio.click("#product-buttons .pin-product[data-sku=tea-01]")
            for page in (one, two):
                await expect(page.locator("#product-card .product-name")).to_have_text("明前龙井 250g")
                await expect(page.locator("#product-card .live-price")).to_contain_text("¥159")
                await expect(page.locator("#product-card .sold-out-badge")).to_have_count(0)
            # 去购买 opens the tracked link in the room's buy sheet, not a new tab.
            await one.click("#product-card .buy")
            await expect(one.locator("#buy-frame")).to_have_attribute("src", "/go/demo/tea-01?src=card")
            await one.click("#buy-sheet .sheet-close")

            # The shop reports orders up to the product's stock (80): the card says 已售罄 and can no
            # longer be bought, on both pages without a reload; the studio says so too.
            body = json.dumps(
                {"order_id": "o-1", "room": "demo", "sku": "tea-01", "quantity": 80, "amount": "12720.00"}
            ).encode()
            resp = await app.client.post(
                "/api/orders", data=body, headers={SIGNATURE_HEADER: sign(SECRET, body)}
            )
            assert resp.status == 201, await resp.text()
            for page in (one, two):
                await expect(page.locator("#product-card .sold-out-badge")).to_have_text("已售罄")
                await expect(page.locator("#product-card .buy")).to_be_disabled()
                assert await page.locator("#product-card a").count() == 0  # no link left to follow
            await expect(studio.locator("#command-status")).to_have_text("已售罄 · 明前龙井 250g")
            await expect(studio.locator("#n-gmv")).to_have_text("¥12720")
            await studio.click("#custom-actions summary")  # a coupon not in coupons.yaml: typed in
            await studio.fill("#coupon-id", "c50")
            await studio.fill("#coupon-title", "满199减50")
            await studio.fill("#coupon-link", "https://shop.example.com/c50")
            await studio.fill("#coupon-discount", "¥50")
            await studio.fill("#coupon-quantity", "5")
            await studio.click("#coupon-button")
            for page in (one, two):
                await page.click("#coupon-bubble")
                await expect(page.locator("#coupon-c50 .coupon-title")).to_have_text("满199减50")

            # Viewer 1 claims once; a second claim (from another tab of the same viewer) is refused.
            one_again = await one_ctx.new_page()
            await one_again.goto(f"{base}/room/demo")
            await one_again.click("#coupon-bubble")
            await expect(one_again.locator("#coupon-c50 .claim")).to_have_text("领取")
            await expect(one_again.locator("#product-card .sold-out-badge")).to_have_text("已售罄")
            await expect(one_again.locator("#product-card .buy")).to_be_disabled()
            await one.click("#coupon-c50 .claim")
            await expect(one.locator("#coupon-c50 .claim")).to_have_text("已领取")
            await expect(one.locator("#coupon-c50 .claim")).to_be_disabled()
            await one_again.click("#coupon-c50 .claim")
            await expect(one_again.locator("#notice")).to_have_text("你已经领过了")
            await expect(one_again.locator("#coupon-c50 .claim")).to_have_text("已领取")
            await expect(two.locator("#coupon-c50 .remaining")).to_have_text("还剩4张")
            async with app.db.sessions() as s:
                assert await s.scalar(select(func.count()).select_from(CouponClaim)) == 1
            for page in (one, two):
                await page.click("#sheet-scrim", position={"x": 100, "y": 40})

            # A <script> chat shows as text and runs nowhere.
            evil = "<script>window.__pwned=1</script><b>粗体</b>"
            await two.fill("#chat-input", evil)
            await two.press("#chat-input", "Enter")
            await expect(one.locator("#chat .msg .text").last).to_have_text(evil)
            await expect(studio.locator("#chat .msg .text").last).to_have_text(evil)
            for page in (one, studio):
                assert await page.evaluate("window.__pwned") is None
                assert await page.locator("#chat b").count() == 0

            # The pages come back by themselves after the server drops their sockets.
            room = app.hub.active("demo")
            assert room is not None
            for conn in [c for c in room.connections.values() if c.role == "viewer"]:
                await conn.ws.close(code=1012, message=b"restart")
            await expect(one.locator("body")).to_have_attribute("data-conn", "closed")
            await expect(one.locator("body")).to_have_attribute("data-conn", "open", timeout=10_000)
            await app.hub.say("demo", "断线重连测试")
            for page in (one, two):
                await expect(page.locator("#chat .msg .text").last).to_have_text("断线重连测试")

            OUTPUT.mkdir(exist_ok=True)
            shot = OUTPUT / "room-viewer-phone.png"
            await one.screenshot(path=str(shot))
            overflow = await one.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, "the viewer page scrolls sideways on a phone"
            assert errors == []
        finally:
            await browser.close()
    assert shot.stat().st_size > 20_000
