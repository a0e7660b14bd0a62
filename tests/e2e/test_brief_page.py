"""`liveroom brief demo --html` renders at phone size in headless Chromium with every segment and cue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.rules import load_rulebook

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"

pytestmark = pytest.mark.browser


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
)
async def test_brief_renders_on_a_phone_with_every_segment_and_cue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.async_api import async_playwright

    html = tmp_path / "brief.html"
    monkeypatch.chdir(tmp_path)  # the checklist's database check writes under ./var
    # The command runs its own event loop, so it goes in a thread here.
    argv = ["brief", "demo", "--rules", str(ROOT / "rules"), "--html", str(html)]
    assert await asyncio.to_thread(main, argv) == 0
    show = load_rulebook(ROOT / "rules").shows["demo"]

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
            await page.goto(html.as_uri())
            text = await page.inner_text("body")
            # Nothing wider than the phone: the page reflows instead of scrolling sideways.
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            OUTPUT.mkdir(exist_ok=True)
            await page.screenshot(path=str(OUTPUT / "brief-demo-phone.png"), full_page=True)
        finally:
            await browser.close()

    assert show.title in text
    for segment in show.segments:
        assert segment.id in text and segment.kind in text
    for cue in show.timeline():
        assert f"[{cue.id}]" in text
    assert overflow <= 1
    assert "开播前检查" in text and "✔ 规则文件有效" in text
    assert (OUTPUT / "brief-demo-phone.png").stat().st_size > 10_000
