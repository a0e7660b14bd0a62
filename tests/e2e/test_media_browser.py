"""The product's host and viewer pages publish and play in headless Chromium with a fake camera and microphone.

Two viewers open `/room/{room}` and wait; the host logs in on `/host/{room}` and goes live by WHIP; both
viewers' videos advance by WHEP; the host stops and goes live again and the viewers resume without a reload.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ServedRoom, ServeRoom

from bot.app import CREDENTIALS
from media.app import MEDIA_SERVER

CHROMIUM = "/usr/bin/chromium"
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
PUBLISHER = "#publisher-slot .lr-publisher"
WAITING = "#video-slot .lr-player-state"
VIDEO_STATE = "document.getElementById('video').dataset.state"
STATES = """() => {
    window.videoStates = [];
    const video = document.getElementById('video');
    new MutationObserver(() => window.videoStates.push(video.dataset.state))
        .observe(video, { attributes: true, attributeFilter: ['data-state'] });
}"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


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
            state = await page.evaluate(VIDEO_STATE)
            raise AssertionError(f"video not advancing ({first}→{second}, state {state})")


async def wait_state(page: Any, state: str, timeout_ms: int = 15000) -> None:
    await page.wait_for_function(f"() => {VIDEO_STATE} === {state!r}", timeout=timeout_ms)


async def assert_seen(page: Any, selector: str) -> None:
    """The element is what a user sees at its centre: not clipped away or covered by another element."""
    on_top = await page.locator(selector).evaluate(
        """element => {
            const box = element.getBoundingClientRect();
            const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
            return top !== null && element.contains(top);
        }"""
    )
    assert on_top, f"{selector} is hidden from the user"


async def host_signs_in(host: Any, served: ServedRoom) -> None:
    """The host page's sign-in with the publish token (then its publisher appears)."""
    await host.goto(f"{served.base}/host/{served.room}")
    await host.fill("#password", served.app[CREDENTIALS].publish_token)
    await host.click("button[type=submit]")


async def test_host_page_publishes_two_viewers_play_and_resume_after_restart(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright, expect

    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    media = app[MEDIA_SERVER]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            pages = []
            for _ in range(3):
                page = await (await browser.new_context()).new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                pages.append(page)
            host, one, two = pages

            # Viewers first: they wait for the host.
            for viewer in (one, two):
                await viewer.goto(f"{base}/room/{room}")
            for viewer in (one, two):
                await wait_state(viewer, "waiting")
                await expect(viewer.locator(WAITING)).to_have_text("等待主播开播…")
                await assert_seen(viewer, WAITING)
                await viewer.evaluate(STATES)

            await host_signs_in(host, served)
            publisher = host.locator(PUBLISHER)
            await expect(publisher).to_have_count(1)
            await host.wait_for_function(
                "() => window.LiveroomHost.publisher && window.LiveroomHost.publisher.stream", timeout=15000
            )
            await assert_seen(host, f"{PUBLISHER} .lr-golive")
            await host.click(f"{PUBLISHER} .lr-golive")
            await expect(publisher).to_have_attribute("data-state", "live", timeout=20000)
            for viewer in (one, two):
                await wait_advancing(viewer)
                await wait_state(viewer, "playing", 5000)
                await expect(viewer.locator(WAITING)).to_be_hidden()
            assert media.is_live(room)
            assert media.viewer_count(room) == 2
            for viewer in (one, two):  # the host going live is no "reconnecting" for a viewer who waited
                assert "reconnecting" not in await viewer.evaluate("window.videoStates")
            # Autoplay rules: muted until the viewer asks for sound, with a button that is on screen.
            assert await one.evaluate("document.getElementById('video').muted") is True
            await assert_seen(one, "#video-slot .lr-unmute")
            await one.click("#video-slot .lr-unmute")
            assert await one.evaluate("document.getElementById('video').muted") is False
            await expect(one.locator("#video-slot .lr-unmute")).to_be_hidden()
            assert await one.evaluate("document.getElementById('video').paused") is False
            await host.wait_for_function("() => window.LiveroomHost.publisher.kbps > 0", timeout=10000)
            await expect(host.locator(f"{PUBLISHER} .lr-bitrate")).to_contain_text("kbps")
            await assert_seen(host, f"{PUBLISHER} .lr-bitrate")

            # The host stops: viewers show that they wait; no reload.
            for viewer in (one, two):
                await viewer.evaluate("window.notReloaded = true")
            await host.click(f"{PUBLISHER} .lr-golive")
            for viewer in (one, two):
                await wait_state(viewer, "waiting")
                await expect(viewer.locator(WAITING)).to_have_text("等待主播开播…")
                await assert_seen(viewer, WAITING)
            assert not media.is_live(room)

            await host.click(f"{PUBLISHER} .lr-golive")
            await expect(publisher).to_have_attribute("data-state", "live", timeout=20000)
            for viewer in (one, two):
                await wait_advancing(viewer)
                await wait_state(viewer, "playing", 5000)
                assert await viewer.evaluate("window.notReloaded === true")
            assert media.viewer_count(room) == 2
            assert errors == []
        finally:
            await browser.close()


async def guest_frames(page: Any) -> int:
    return int(
        await page.evaluate(
            "() => { const g = document.querySelector('#video-slot .lr-guest');"
            " return g ? g.getVideoPlaybackQuality().totalVideoFrames : -1; }"
        )
    )


async def test_host_invites_a_guest_viewers_see_both_side_by_side_then_the_host_ends_it(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright, expect

    served = await serve_room()
    app, base, room = served.app, served.base, served.room
    media = app[MEDIA_SERVER]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            host, viewer, guest = [await (await browser.new_context()).new_page() for _ in range(3)]
            for page in (host, viewer, guest):
                page.on("pageerror", lambda e: errors.append(str(e)))

            await host_signs_in(host, served)
            await host.wait_for_function(
                "() => window.LiveroomHost.publisher && window.LiveroomHost.publisher.stream", timeout=15000
            )
            await host.click(f"{PUBLISHER} .lr-golive")
            await expect(host.locator(PUBLISHER)).to_have_attribute("data-state", "live", timeout=20000)
            await viewer.goto(f"{base}/room/{room}")
            await wait_advancing(viewer)
            await expect(viewer.locator("#video-slot .lr-guest")).to_have_count(0)

            # 邀请连麦: the host gets a link; the guest opens it and goes live.
            await host.click("#invite-guest")
            await expect(host.locator("#guest-invite")).to_be_visible()
            link = await host.locator("#guest-link").input_value()
            assert link.startswith(f"{base}/guest/{room}#invite=guest-")
            await guest.goto(link)
            guest_publisher = guest.locator(PUBLISHER)
            await guest.wait_for_function(
                "() => window.LiveroomGuest.publisher && window.LiveroomGuest.publisher.stream", timeout=15000
            )
            await assert_seen(guest, f"{PUBLISHER} .lr-golive")
            await guest.click(f"{PUBLISHER} .lr-golive")
            await expect(guest_publisher).to_have_attribute("data-state", "live", timeout=20000)
            assert media.stream(room).slots["guest"].live

            # The viewer sees both, side by side, both moving; the host keeps playing.
            await expect(viewer.locator("#video-slot .lr-guest")).to_have_count(1, timeout=15000)
            first = await guest_frames(viewer)
            await asyncio.sleep(1.5)
            assert await guest_frames(viewer) - first >= 10
            await wait_advancing(viewer)
            host_box = await viewer.locator("#video").bounding_box()
            guest_box = await viewer.locator("#video-slot .lr-guest").bounding_box()
            assert host_box is not None and guest_box is not None
            assert guest_box["x"] >= host_box["x"] + host_box["width"] - 1  # beside, not below
            assert abs(guest_box["y"] - host_box["y"]) < 1 and guest_box["width"] > 100
            await assert_seen(viewer, "#video-slot .lr-guest")

            # 结束连麦: the guest's video leaves the viewer's page; the old link no longer publishes.
            await host.click("#end-guest")
            await expect(host.locator("#guest-status")).to_have_text("已结束连麦")
            await expect(viewer.locator("#video-slot .lr-guest")).to_have_count(0, timeout=15000)
            assert not media.stream(room).slots["guest"].live
            await expect(guest_publisher.locator(".lr-status")).to_contain_text(
                "邀请链接已失效", timeout=20000
            )
            await wait_advancing(viewer)  # the host plays on
            assert errors == []
        finally:
            await browser.close()


async def test_an_english_room_plays_and_publishes_in_english(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright, expect

    served = await serve_room(replace={"room.yaml": ("language: zh-CN", "language: en")})
    base, room = served.base, served.room
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            viewer, host, guest = [await (await browser.new_context()).new_page() for _ in range(3)]
            for page in (viewer, host, guest):
                page.on("pageerror", lambda e: errors.append(str(e)))
            await viewer.goto(f"{base}/room/{room}")
            await expect(viewer.locator(WAITING)).to_have_text("Waiting for the host to go live…")
            await host_signs_in(host, served)
            await expect(host.locator(f"{PUBLISHER} .lr-golive")).to_have_text("Go live")
            await expect(host.locator("#invite-guest")).to_have_text("Invite a guest")
            await guest.goto(f"{base}/guest/{room}")  # the link without its invite
            await expect(guest.locator("#guest-error")).to_have_text(
                "This invite link is incomplete: ask the host for a new one"
            )
            await expect(guest.locator(PUBLISHER)).to_have_count(0)
            assert errors == []
        finally:
            await browser.close()
