"""Browser publishing and playback in headless Chromium with a fake camera and microphone.

The host page publishes by WHIP; two viewer pages play by WHEP; both videos keep
advancing; the host stops and goes live again and the viewers resume by themselves.
"""

from __future__ import annotations

import asyncio
import string
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from tests.media.conftest import TOKEN, build  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TEMPLATES = ROOT / "media" / "templates"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


def page_route(name: str, **extra: str) -> Any:
    template = string.Template((TEMPLATES / name).read_text(encoding="utf-8"))

    async def handler(request: web.Request) -> web.Response:
        html = template.safe_substitute(room=request.match_info["room"], **extra)
        return web.Response(text=html, content_type="text/html")

    return handler


async def frames(page: Any) -> int:
    return int(
        await page.evaluate("document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames")
    )


async def wait_advancing(page: Any, limit_s: float = 25.0) -> tuple[int, int]:
    """Wait until the page's video shows new frames; return two readings one second apart."""
    end = time.monotonic() + limit_s
    while True:
        first = await frames(page)
        await asyncio.sleep(1.0)
        second = await frames(page)
        if second - first >= 10:
            return first, second
        if time.monotonic() > end:
            state = await page.evaluate("document.getElementById('video').dataset.state")
            raise AssertionError(f"video not advancing ({first}→{second}, state {state})")


async def test_host_page_publishes_two_viewers_play_and_resume_after_restart(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    harness = build(tmp_path)
    harness.app.router.add_get("/test/media/host/{room}", page_route("media_host.html", token=TOKEN))
    harness.app.router.add_get("/test/media/room/{room}", page_route("media_player.html"))
    server = TestServer(harness.app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                errors: list[str] = []
                pages = []
                for _ in range(3):
                    ctx = await browser.new_context()
                    page = await ctx.new_page()
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    pages.append(page)
                host, one, two = pages
                # Viewers first: they wait for the host.
                await one.goto(f"{base}/test/media/room/demo")
                await two.goto(f"{base}/test/media/room/demo")
                await one.wait_for_function(
                    "document.getElementById('video').dataset.state === 'waiting'", timeout=15000
                )
                assert "等待主播开播" in await one.inner_text("#stage")

                await host.goto(f"{base}/test/media/host/demo")
                await host.wait_for_function("window.publisher && window.publisher.stream", timeout=15000)
                await host.click(".lr-golive")
                await host.wait_for_function(
                    "document.querySelector('.lr-publisher').dataset.state === 'live'", timeout=20000
                )
                for viewer in (one, two):
                    await wait_advancing(viewer)
                assert harness.media.is_live("demo")
                assert harness.media.viewer_count("demo") == 2
                await host.wait_for_function("window.publisher.kbps > 0", timeout=10000)
                assert "kbps" in await host.inner_text(".lr-bitrate")

                # The host stops: viewers show that they wait; no reload.
                await host.click(".lr-golive")
                await one.wait_for_function(
                    "document.getElementById('video').dataset.state === 'waiting'", timeout=15000
                )
                assert not harness.media.is_live("demo")

                await host.click(".lr-golive")
                await host.wait_for_function(
                    "document.querySelector('.lr-publisher').dataset.state === 'live'", timeout=20000
                )
                for viewer in (one, two):
                    await wait_advancing(viewer)
                    assert (
                        await viewer.evaluate("document.getElementById('video').dataset.state") == "playing"
                    )
                assert errors == []
            finally:
                await browser.close()
    finally:
        await server.close()
