"""The viewer page plays from where room.yaml `playback` says, in headless Chromium, glass to glass measured.

The host publishes from `/host/{room}`; its camera is a canvas that draws the wall-clock time (ms) as
32 black/white blocks, so each viewer reads the delay off the picture it shows (host page → encoder →
WHIP → liveroom → [nginx cache | SFU] → viewer's decoder → <video>). The numbers are printed (run with
`-s`) and written to test-output/playback-delays.txt; docs/scale.md records them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import BASE_RULES, ServedRoom, ServeRoom, until
from test_media_browser import CHROMIUM, FLAGS, PUBLISHER, host_signs_in, wait_advancing

from bot.app import CREDENTIALS, RunOptions, build_app
from bot.rules import load_rulebook
from media.app import HUB, MEDIA_SERVER
from media.config import ServerSettings

ROOT = Path(__file__).resolve().parent.parent.parent
OUTPUT = ROOT / "test-output"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]

# The host's camera: a canvas with the time stamped into it (and a tone for the microphone).
STAMPED_CAMERA = """
(() => {
  const BLOCK = 20, BITS = 32;
  navigator.mediaDevices.getUserMedia = async function () {
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 360;
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => {
      g.fillStyle = '#204060'; g.fillRect(0, 0, 640, 360);
      g.fillStyle = '#e0c040'; g.fillRect((n * 8) % 640, 120, 40, 200);
      const stamp = Date.now() % 4294967296;
      for (let bit = 0; bit < BITS; bit++) {
        g.fillStyle = Math.floor(stamp / Math.pow(2, bit)) % 2 ? '#ffffff' : '#000000';
        g.fillRect((bit % 16) * BLOCK * 2, Math.floor(bit / 16) * BLOCK * 2, BLOCK * 2, BLOCK * 2);
      }
      n++;
    }, 33);
    const stream = canvas.captureStream(30);
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    const out = audio.createMediaStreamDestination();
    tone.connect(out); tone.start();
    stream.addTrack(out.stream.getAudioTracks()[0]);
    return stream;
  };
  navigator.mediaDevices.enumerateDevices = async () => [];
})();
"""

# What a viewer's <video> shows, read back: now − the stamp in the picture, in ms (null: no picture).
READ_DELAY = """() => {
  const video = document.getElementById('video');
  if (!video.videoWidth) return null;
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 360;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  g.drawImage(video, 0, 0, 640, 360);
  let stamp = 0;
  for (let bit = 0; bit < 32; bit++) {
    const x = (bit % 16) * 40 + 20, y = Math.floor(bit / 16) * 40 + 20;
    const px = g.getImageData(x - 4, y - 4, 8, 8).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
    if (sum / (px.length / 4) / 3 > 127) stamp += Math.pow(2, bit);
  }
  const delay = (Date.now() % 4294967296) - stamp;
  return delay >= 0 && delay < 60000 ? delay : null;
}"""


async def measure_delay(page: Any, seconds: float = 8.0) -> list[float]:
    samples: list[float] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = await page.evaluate(READ_DELAY)
        if value is not None:
            samples.append(float(value))
        await asyncio.sleep(0.25)
    return samples


def report(path: str, samples: list[float]) -> tuple[float, float]:
    assert len(samples) >= 10, f"{path}: only {len(samples)} readable pictures"
    samples.sort()
    p50, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
    line = f"glass-to-glass {path}: p50 {p50:.0f} ms, p95 {p95:.0f} ms ({len(samples)} pictures)"
    print(line)
    OUTPUT.mkdir(exist_ok=True)
    with (OUTPUT / "playback-delays.txt").open("a", encoding="utf-8") as out:
        out.write(time.strftime("%Y-%m-%d %H:%M:%S ") + line + "\n")
    return p50, p95


async def host_goes_live(browser: Any, served: ServedRoom, errors: list[str]) -> Any:
    host = await (await browser.new_context()).new_page()
    host.on("pageerror", lambda e: errors.append(str(e)))
    await host.add_init_script(STAMPED_CAMERA)
    await host_signs_in(host, served)
    await host.wait_for_function(
        "() => window.LiveroomHost && window.LiveroomHost.publisher && window.LiveroomHost.publisher.stream",
        timeout=20000,
    )
    await host.click(f"{PUBLISHER} .lr-golive")
    from playwright.async_api import expect

    await expect(host.locator(PUBLISHER)).to_have_attribute("data-state", "live", timeout=20000)
    return host


async def path_of(page: Any) -> str:
    """The path the page's player plays over, once it plays (`video.dataset.path`)."""
    await page.wait_for_function("() => document.getElementById('video').dataset.path", timeout=15000)
    return str(await page.evaluate("document.getElementById('video').dataset.path"))


async def viewer_of_a_live_host(
    browser: Any, served: ServedRoom, errors: list[str], page_base: str = ""
) -> Any:
    """The host goes live from its page; a viewer opens the room page (at `page_base`) and plays."""
    await host_goes_live(browser, served, errors)
    viewer = await (await browser.new_context()).new_page()
    viewer.on("pageerror", lambda e: errors.append(str(e)))
    await viewer.goto(f"{page_base or served.base}/room/{served.room}")
    await wait_advancing(viewer, 40)
    return viewer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def nginx_cache(tmp_path: Path, upstream: str) -> AsyncIterator[str]:
    """Debian's nginx as a caching proxy in front of liveroom, with deploy/nginx-hls.conf as it ships."""
    port = free_port()
    root = tmp_path / "nginx"
    root.mkdir()
    conf = root / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""{user}worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log;
events {{}}
http {{
  access_log {root}/access.log;
  client_body_temp_path {root}/body; proxy_temp_path {root}/proxy;
  fastcgi_temp_path {root}/fastcgi; uwsgi_temp_path {root}/uwsgi; scgi_temp_path {root}/scgi;
  proxy_cache_path {root}/hls-cache levels=1:2 keys_zone=liveroom_hls:10m max_size=256m inactive=2m use_temp_path=off;
  upstream liveroom {{ server {upstream}; keepalive 16; }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    include {ROOT / "deploy" / "nginx-hls.conf"};
    location /ws/ {{
      proxy_pass http://liveroom; proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host; proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass http://liveroom; proxy_http_version 1.1;
      proxy_set_header Connection ""; proxy_set_header Host $host;
    }}
  }}
}}
""",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        NGINX, "-c", str(conf), "-g", "daemon off;", stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return process.returncode is not None

            await until(up, within=10)
        assert process.returncode is None, (root / "error.log").read_text()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


@pytest.mark.parametrize("parts", [True, False], ids=["ll-hls", "hls"])
async def test_hls_through_an_nginx_cache_plays_and_the_chat_works(
    serve_room: ServeRoom, tmp_path: Path, parts: bool
) -> None:
    from playwright.async_api import async_playwright, expect

    hls = "hls: true\n" if parts else "hls:\n  parts: false\n"
    served = await serve_room(append={"room.yaml": f"\n{hls}playback:\n  via: hls\n"})
    media = served.app[MEDIA_SERVER]
    upstream = served.base.removeprefix("http://")
    async with nginx_cache(tmp_path, upstream) as cdn:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                errors: list[str] = []
                await host_goes_live(browser, served, errors)
                await until(
                    lambda: (
                        media.hls.get(served.room) is not None and media.hls[served.room].init is not None
                    ),
                    within=20,
                )
                assert media.stream(served.room).slots["host"].video_codec == "H264"  # the host page chose it

                viewer = await (await browser.new_context()).new_page()
                viewer.on("pageerror", lambda e: errors.append(str(e)))
                await viewer.goto(f"{cdn}/room/{served.room}")
                await wait_advancing(viewer, 30)
                assert await path_of(viewer) == "hls"
                assert media.viewer_count(served.room) == 0  # no WebRTC session: it plays HLS
                assert await viewer.evaluate("!!window.Hls")  # hls.js, loaded because this page plays HLS
                await asyncio.sleep(3)  # let it settle on the live edge
                p50, _ = report(
                    "HLS via nginx" + (" (LL-HLS parts)" if parts else " (whole segments)"),
                    await measure_delay(viewer),
                )
                assert p50 <= (3000 if parts else 6000)

                # The room (chat) stays on liveroom, through the same proxy.
                await viewer.fill("#chat-input", "多久发货")
                await viewer.click("#chat-send")
                await expect(viewer.locator("#chat li").filter(has_text="多久发货")).to_have_count(
                    1, timeout=10000
                )
                OUTPUT.mkdir(exist_ok=True)
                await viewer.screenshot(
                    path=str(OUTPUT / f"playback-hls-{'parts' if parts else 'segments'}.png")
                )

                # The cache carried it: segments and parts came out of nginx's cache for a second viewer.
                log = (tmp_path / "nginx" / "access.log").read_text()
                assert "/hls/" in log
                async with aiohttp.ClientSession() as http:
                    playlist = await (await http.get(f"{cdn}/hls/{served.room}/index.m3u8")).text()
                    newest = [
                        line for line in playlist.splitlines() if line.endswith(".m4s") and "#" not in line
                    ][-1]
                    first = await http.get(f"{cdn}/hls/{served.room}/{newest}")
                    again = await http.get(f"{cdn}/hls/{served.room}/{newest}")
                    assert first.status == again.status == 200
                    assert again.headers["X-Cache-Status"] == "HIT"
                counts = served.app[HUB].playback_counts(served.room)
                assert counts["hls"] == 1 and counts["fallback"] == 0
                assert errors == []
            finally:
                await browser.close()


async def test_webrtc_that_cannot_connect_falls_back_to_hls_and_the_studio_counts_it(
    serve_room: ServeRoom,
) -> None:
    from playwright.async_api import async_playwright, expect

    # WebRTC playback from an SFU that cannot be reached: the player falls back to liveroom's HLS.
    dead = f"http://127.0.0.1:{free_port()}/whep/gone"
    served = await serve_room(append={"room.yaml": f"\nhls: true\nplayback:\n  whep_url: {dead}\n"})
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            viewer = await viewer_of_a_live_host(browser, served, errors)
            video = "document.getElementById('video').dataset"
            assert await path_of(viewer) == "hls"
            assert await viewer.evaluate(f"{video}.fallback") == "unreachable"

            studio = await (await browser.new_context()).new_page()
            studio.on("pageerror", lambda e: errors.append(str(e)))
            await studio.goto(f"{served.base}/studio/{served.room}")
            await studio.fill("#password", served.app[CREDENTIALS].team_password)
            await studio.click("button[type=submit]")
            await expect(studio.locator("#stream-numbers")).to_contain_text("观看方式", timeout=15000)
            await expect(studio.locator("#stream-numbers")).to_contain_text(
                "WebRTC 0 · SFU 0 · HLS 1 (其中回退 1)", timeout=15000
            )
            OUTPUT.mkdir(exist_ok=True)
            await studio.locator("#stream-health").screenshot(path=str(OUTPUT / "studio-watch-paths.png"))
            assert errors == []
        finally:
            await browser.close()


async def _second_liveroom(tmp_path: Path) -> TestServer:
    rules = tmp_path / "sfu" / "rules"
    shutil.copytree(BASE_RULES, rules)
    settings = ServerSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/sfu/liveroom.db", data_dir=str(tmp_path / "sfu" / "var")
    )
    server = TestServer(build_app(load_rulebook(rules), settings, RunOptions()), host="127.0.0.1")
    await server.start_server()
    return server


async def test_an_external_whep_url_plays_from_a_second_liveroom_while_the_room_stays_on_the_first(
    serve_room: ServeRoom, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    sfu = await _second_liveroom(tmp_path)
    sfu_base = str(sfu.make_url("")).rstrip("/")
    sfu_token = sfu.app[CREDENTIALS].publish_token
    served = await serve_room(
        append={
            "room.yaml": (
                f'\nrestream:\n  whip_url: "{sfu_base}/whip/test-room"\n  token: "{sfu_token}"\n'
                f'playback:\n  whep_url: "{sfu_base}/whep/test-room"\n'
            )
        }
    )
    first, second = served.app[MEDIA_SERVER], sfu.app[MEDIA_SERVER]
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                errors: list[str] = []
                await host_goes_live(browser, served, errors)
                await until(lambda: second.is_live("test-room"), within=20)  # the restream feeds it

                viewer = await (await browser.new_context()).new_page()
                viewer.on("pageerror", lambda e: errors.append(str(e)))
                await viewer.goto(f"{served.base}/room/{served.room}")
                await wait_advancing(viewer, 30)
                assert await path_of(viewer) == "sfu"
                assert second.viewer_count("test-room") == 1 and first.viewer_count(served.room) == 0
                report("WHEP from a second liveroom fed by restream", await measure_delay(viewer))

                # Chat and cards come from the first liveroom.
                await viewer.fill("#chat-input", "有优惠券吗")
                await viewer.click("#chat-send")
                await expect(viewer.locator("#chat li").filter(has_text="有优惠券吗")).to_have_count(
                    1, timeout=10000
                )
                await served.app[HUB].pin_product(served.room, "PAN-01")
                await expect(viewer.locator("#product-card")).to_be_visible(timeout=10000)
                assert served.app[HUB].playback_counts(served.room)["sfu"] == 1

                # For comparison: liveroom's own WHEP, the page's default, from the second liveroom's page.
                direct = await (await browser.new_context()).new_page()
                await direct.goto(f"{served.base.replace(served.base, sfu_base)}/room/test-room")
                await wait_advancing(direct, 30)
                assert await path_of(direct) == "whep"
                OUTPUT.mkdir(exist_ok=True)
                await viewer.screenshot(path=str(OUTPUT / "playback-external-whep.png"))
                assert errors == []
            finally:
                await browser.close()
    finally:
        await sfu.close()


async def test_liveroom_whep_glass_to_glass(serve_room: ServeRoom) -> None:
    from playwright.async_api import async_playwright

    served = await serve_room()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            errors: list[str] = []
            viewer = await viewer_of_a_live_host(browser, served, errors)
            assert await path_of(viewer) == "whep"
            p50, _ = report("WHEP from liveroom", await measure_delay(viewer))
            assert p50 < 1000
            assert errors == []
        finally:
            await browser.close()
