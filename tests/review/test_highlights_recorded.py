"""`liveroom highlights` on a recorded test show (the test-pattern publisher, a pinned product and a burst
of orders): playable clips — a decoder reads frames from each — titled and timed on the show's clock,
with thumbnails, listed by the report; and the replay page, in headless Chromium, plays the recording and
shows the viewer's chat line when the video reaches its moment, not before."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import av
import pytest
from conftest import ServeRoom
from PIL import Image

from bot.app import CREDENTIALS
from bot.cli import main
from media.app import SETTINGS

from .recorded import CHAT_LINE, ORDERS, record_show

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
KEYFRAME_SLACK = 2.5  # a clip opens on the keyframe at or before its moment (asked for every 2 s)


def decoded_frames(path: Path) -> int:
    container: Any = av.open(str(path))
    with container:
        return sum(1 for _ in container.decode(container.streams.video[0]))


@pytest.mark.timeout(180)
async def test_highlights_cut_playable_titled_clips_the_report_lists(
    serve_room: ServeRoom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    show = await record_show(serve_room)
    settings = show.served.app[SETTINGS]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("LIVEROOM_DATA_DIR", settings.data_dir)
    rules = str(tmp_path / "rules")

    assert await asyncio.to_thread(main, ["highlights", show.show_id, "--rules", rules]) == 0
    out = capsys.readouterr().out
    assert "讲解：不粘炒锅（PAN-01）" in out and "讲解：红茶礼盒（TEA-05）" in out, out
    assert f"订单高峰：{ORDERS} 单 ¥{ORDERS * 159}.00（讲解 不粘炒锅（PAN-01） 时）" in out, out

    folder = await asyncio.to_thread(lambda: Path(settings.data_dir).resolve())
    folder = folder / "highlights" / f"{show.show_id}-{show.run_id}"
    manifest = json.loads((folder / "highlights.json").read_text(encoding="utf-8"))
    clips = {c["kind"] + (f":{c['sku']}" if c["kind"] == "explain" else ""): c for c in manifest["clips"]}
    assert set(clips) == {"explain:PAN-01", "orders", "explain:TEA-05"}, clips
    for clip in clips.values():
        file = folder / clip["file"]
        assert file.suffix == ".webm" and decoded_frames(file) >= 10, clip  # it plays
        with Image.open(folder / clip["thumbnail"]) as picture:
            assert picture.format == "JPEG" and picture.width == 320
        assert clip["end"] > clip["start"]
    pan, orders, tea = clips["explain:PAN-01"], clips["orders"], clips["explain:TEA-05"]
    # timed on the show's clock: each opens at (or just before) its moment
    assert show.since_start("pin") - KEYFRAME_SLACK <= pan["start"] <= show.since_start("pin") + 0.5
    assert abs(pan["end"] - show.since_start("pin_tea")) < 1.0
    assert show.since_start("pin_tea") - KEYFRAME_SLACK <= tea["start"] <= show.since_start("pin_tea") + 0.5
    assert orders["start"] <= show.since_start("orders") <= orders["end"]
    assert (pan["orders"], pan["gmv"], orders["orders"]) == (ORDERS, f"{ORDERS * 159}.00", ORDERS)
    assert tea["orders"] == 0

    page = tmp_path / "report.html"
    assert await asyncio.to_thread(main, ["report", show.show_id, "--rules", rules, "--html", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    for clip in clips.values():
        assert f'<tr data-highlight="{clip["slug"]}">' in html
        assert f'<a href="{(folder / clip["file"]).as_uri()}"><img class="thumb"' in html
    assert f"<td class=n>{ORDERS}</td><td class=n>¥{ORDERS * 159}.00</td>" in html
    assert "还没切" not in html


@pytest.mark.browser
@pytest.mark.timeout(180)
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
)
async def test_the_replay_page_plays_the_recording_with_the_chat_in_sync(serve_room: ServeRoom) -> None:
    from playwright.async_api import async_playwright, expect

    show = await record_show(serve_room)
    base, room = show.served.base, show.served.room
    chat_at = show.moments["chat"] - show.moments["recording"]  # about 3 s into the file
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"{base}/replay/{room}/{show.run_id}")
            await page.fill("#password", show.served.app[CREDENTIALS].team_password)  # the team signs in…
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/replay/{room}/{show.run_id}")  # …and comes back to the replay
            line = page.locator("#replay-chat li", has_text=CHAT_LINE)
            await page.wait_for_function("document.getElementById('replay-video').readyState >= 1")
            assert await line.count() == 0  # the file's first second: not said yet
            assert await page.locator("#replay-product").get_attribute("data-sku") == ""
            await page.evaluate(
                "() => { const v = document.getElementById('replay-video'); v.muted = true; v.play(); }"
            )
            await expect(line).to_be_visible(timeout=30_000)
            at = await page.evaluate("document.getElementById('replay-video').currentTime")
            assert chat_at - 0.6 <= at <= chat_at + 2.0, (at, chat_at)  # it appeared at its moment
            assert await page.locator("#replay-product").get_attribute("data-sku") == "PAN-01"
            await expect(page.locator("#replay-product")).to_contain_text("不粘炒锅")
            frames = await page.evaluate(
                "document.getElementById('replay-video').getVideoPlaybackQuality().totalVideoFrames"
            )
            assert frames > 10
            OUTPUT.mkdir(exist_ok=True)
            await page.screenshot(path=str(OUTPUT / "replay-page.png"))
            # seeking back to the start takes the line away again
            await page.evaluate(
                "() => { const v = document.getElementById('replay-video'); v.pause(); v.currentTime = 0.2; }"
            )
            await expect(line).to_have_count(0, timeout=10_000)
            assert not errors, errors
        finally:
            await browser.close()
