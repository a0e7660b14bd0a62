"""The studio's stream-health, run-of-show and alerts panels, and the host page, in headless Chromium; each
cue in words with its placeholders filled (the vote's winner named as such until the vote chooses it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ServeRoom

from bot.app import CREDENTIALS

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


async def test_studio_runs_the_show_and_host_sees_the_next_cue(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright, expect

    say = "      - at: 4m\n        say: 大家选的是「{name}」，今晚只要 {live_price} 元！\n"
    served = await serve_room(replace={"shows/s.yaml": ("      - at: 5m\n", say + "      - at: 5m\n")})
    app, base, book, room = served.app, served.base, served.book, served.room
    creds = app[CREDENTIALS]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            studio = await (await browser.new_context()).new_page()
            studio.on("pageerror", lambda e: errors.append(str(e)))
            await studio.goto(f"{base}/studio/{room}")
            await studio.fill("#password", creds.team_password)
            await studio.click("button[type=submit]")
            await expect(studio.locator("#stream-h")).to_have_text("推流状态")
            await expect(studio.locator("#stream-state")).to_have_text("未开播")
            await expect(studio.locator("#no-alerts")).to_be_visible()
            await expect(studio.locator("#show-id option")).to_have_count(len(book.shows))

            await studio.click("#show-start")
            await expect(studio.locator("#show-status")).to_contain_text("进行中")
            await expect(studio.locator("#show-timeline li").first).to_be_visible()
            assert await studio.locator("#show-pause").is_enabled()
            timeline = studio.locator("#show-timeline")
            await expect(timeline).to_contain_text("机器人说：“欢迎来到直播间！”")
            await expect(timeline).to_contain_text(
                "机器人说：“大家选的是「〈投票“pick”胜出的商品〉」，今晚只要 〈胜出商品的直播价〉 元！”"
            )
            assert "{" not in await timeline.inner_text()
            OUTPUT.mkdir(exist_ok=True)
            await studio.locator("#show-timeline").screenshot(path=str(OUTPUT / "studio-timeline.png"))

            host = await (await browser.new_context()).new_page()
            host.on("pageerror", lambda e: errors.append(str(e)))
            await host.goto(f"{base}/host/{room}")
            await host.fill("#password", creds.publish_token)
            await host.click("button[type=submit]")
            await expect(host.locator("#publisher-slot .lr-publisher")).to_have_count(1)
            await expect(host.locator("#publisher-slot .lr-token")).to_have_count(0)  # token given, not asked
            await expect(host.locator("#next-cue-text")).to_contain_text("挂讲解卡：不粘炒锅（PAN-01）")

            await studio.click("#show-pause")
            await expect(studio.locator("#show-status")).to_contain_text("已暂停")
            await studio.click("#show-resume")
            await expect(studio.locator("#show-status")).to_contain_text("进行中")
            pending = studio.locator("#show-timeline li.state-pending")
            before = await pending.count()
            await studio.click("#show-skip")
            await expect(studio.locator("#show-timeline li.state-skipped")).to_have_count(1)
            await studio.click("#show-fire")
            await expect(pending).not_to_have_count(before)
            assert errors == []
        finally:
            await browser.close()
