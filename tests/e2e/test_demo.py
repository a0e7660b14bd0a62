"""`liveroom demo` end to end (what `make demo` runs): the process starts with no camera and no key, the
viewer page in headless Chromium plays the test pattern (frames advancing), shows the bot's chat lines, a
coupon card and a vote within the first minutes; the audience buys (orders with coupons through the signed
webhook); SIGINT stops everything and prints where the report is. Then the README's own commands, as
written and with no environment variable, read the demo's run: `liveroom report demo --html
var/demo-report.html` with orders, GMV and coupon use; a second demo adds run 2 and `liveroom compare demo`
shows both."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = "/usr/bin/chromium"
OUTPUT = ROOT / "test-output"
LIVEROOM = Path(sys.executable).parent / "liveroom"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(base: str, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"liveroom demo exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("liveroom demo did not answer /healthz")


def _count(db: Path, kind: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return int(c.execute("SELECT count(*) FROM events WHERE kind = ?", (kind,)).fetchone()[0])
    except sqlite3.OperationalError:  # the tables are not there yet
        return 0


def _demo(cwd: Path, env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[str]:
    """`liveroom demo` at 12× (what `make demo` runs, faster), its output in `log`."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(LIVEROOM), "demo", "--speed", "12", *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _liveroom(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIVEROOM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


FRAMES = "() => { const v = document.getElementById('video'); return v ? v.getVideoPlaybackQuality().totalVideoFrames : 0; }"


async def test_demo_end_to_end(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "LIVEROOM_DATA_DIR", "PORT")}
    log_path = tmp_path / "demo.log"
    proc = await asyncio.to_thread(_demo, tmp_path, env, log_path, "--port", str(port), "--viewers", "30")
    try:
        await asyncio.to_thread(_wait_healthy, base, proc)
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 800})
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{base}/room/demo")
                # the show's first minutes at 12×: the newbie coupon at 1:00 (5 s), the vote at 2:00 (10 s)
                await expect(page.locator("#coupon-bubble")).to_be_visible(timeout=60_000)
                await expect(page.locator("#vote-bubble")).to_be_visible(timeout=60_000)
                await expect(page.locator("#chat li.role-bot").first).to_be_visible(timeout=60_000)
                # the test pattern plays: decoded frames keep advancing
                first, deadline = 0, time.monotonic() + 60
                while first == 0 and time.monotonic() < deadline:
                    assert "no video" not in log_path.read_text(), "the demo could not publish by WHIP"
                    await page.wait_for_timeout(500)
                    first = await page.evaluate(FRAMES)
                assert first > 0, "no video frame decoded in 60 s"
                await page.wait_for_timeout(2000)
                second = await page.evaluate(FRAMES)
                assert second > first, f"video frames did not advance ({first} → {second})"
                # the simulated audience is in the room and talking
                await expect(page.locator("#chat li.role-viewer").first).to_be_visible(timeout=60_000)
                OUTPUT.mkdir(exist_ok=True)
                await page.screenshot(path=str(OUTPUT / "demo-viewer.png"))
                assert not errors, errors
                # the audience buys: orders, some with a claimed coupon, reach the signed webhook
                db, deadline = tmp_path / "var" / "liveroom.db", time.monotonic() + 150
                while time.monotonic() < deadline and (
                    _count(db, "order") < 2 or _count(db, "coupon_used") < 1
                ):
                    await page.wait_for_timeout(1000)
                assert _count(db, "order") >= 2 and _count(db, "coupon_used") >= 1
            finally:
                await browser.close()
        proc.send_signal(signal.SIGINT)
        code = await asyncio.to_thread(proc.wait, 15)
        output = log_path.read_text()
        assert code == 0, output[-3000:]
        assert "liveroom report demo --html var/demo-report.html" in output, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # The README's next step, exactly as written, in the folder `make demo` ran in.
    done = await asyncio.to_thread(
        _liveroom, tmp_path, env, "report", "demo", "--html", "var/demo-report.html"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "var" / "demo-report.html").stat().st_size > 10_000
    report = json.loads(
        (await asyncio.to_thread(_liveroom, tmp_path, env, "report", "demo", "--json")).stdout
    )
    assert report["run_id"] == 1
    assert report["orders"] > 0 and report["gmv"] > 0 and report["coupons_used"] > 0, report
    assert report["retention"] > 0  # who was still watching at Ctrl-C counts

    # A second demo is run 2, beside run 1 (nothing wiped), and compare shows both.
    again = await asyncio.to_thread(
        _demo, tmp_path, env, tmp_path / "demo2.log", "--port", str(port), "--viewers", "5", "--no-video"
    )
    try:
        await asyncio.to_thread(_wait_healthy, base, again)
        await asyncio.sleep(3)
        again.send_signal(signal.SIGINT)
        assert await asyncio.to_thread(again.wait, 30) == 0, (tmp_path / "demo2.log").read_text()[-3000:]
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
    compared = await asyncio.to_thread(_liveroom, tmp_path, env, "compare", "demo", "--json")
    assert compared.returncode == 0, compared.stderr
    assert json.loads(compared.stdout)["labels"] == ["demo#1", "demo#2"]
