"""The viewer page in headless Chromium: a show's vote, its live tally, the winner, and the winner pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import MakeStage

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


async def test_the_viewer_page_shows_the_tally_and_the_winner(make_stage: MakeStage) -> None:
    from playwright.async_api import async_playwright, expect

    stage = await make_stage()
    await stage.runner.start("mini")
    base = str(stage.client.make_url("/")).rstrip("/")
    other = await stage.viewer("小白")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/room/{stage.room}")
            await stage.play(until=16.0)  # the vote `pick` opens at 15 s
            card = page.locator("#vote-card")
            await expect(card).to_contain_text("下一个上哪个？", timeout=10_000)
            await page.click("#vote-bubble")  # the vote's bubble over the video opens its sheet
            await card.locator("button.option").nth(1).click()  # 高山红茶礼盒
            await other.send({"type": "vote", "vote_id": "pick", "option": 1})
            await expect(card.locator(".tally").nth(1)).to_have_text("2 · 100%", timeout=10_000)
            await expect(card.locator(".tally").nth(0)).to_have_text("0 · 0%")

            await stage.play(until=46.0)  # closed at 45 s
            await expect(card.locator(".vote-result")).to_contain_text("红茶", timeout=10_000)
            await stage.play(until=91.0)  # the next segment's product is the vote's winner
            await expect(page.locator("#product-card")).to_contain_text("红茶", timeout=10_000)
            assert not errors, errors
        finally:
            await browser.close()
