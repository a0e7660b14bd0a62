"""Issue 19 row 7: WHEP offers that never connect are freed within a few seconds, the sessions waiting to
connect are capped per client and in all, and what was refused is logged once, not per failure:
600 idle offers leave the open files bounded and write fewer than 100 log lines."""

from __future__ import annotations

import asyncio
import logging
import os

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection
from conftest import until

from .clients import wait_connected, whep_play
from .conftest import MediaHarness

OFFERS = 600


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


async def idle_offer() -> str:
    """A viewer's offer from a peer that is closed at once: whoever answers it waits for nothing."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def test_600_idle_whep_offers_are_bounded_freed_and_logged_once(
    media: MediaHarness, caplog: pytest.LogCaptureFixture
) -> None:
    server = media.media
    server.connect_timeout = 2.0
    server.pending_total = 100  # what `ulimit -n 800` would give; the default is an eighth of the limit
    offer = await idle_offer()
    baseline = open_files()
    peak = baseline
    statuses: list[int] = []
    caplog.set_level(logging.INFO)

    # no keep-alive: the client's pooled connections (and the server's ends) would count as open files
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:

        async def post(n: int) -> None:
            nonlocal peak
            headers = {"Content-Type": "application/sdp", "X-Forwarded-For": f"10.9.{n // 250}.{n % 250}"}
            async with http.post(f"{media.base}/whep/demo", data=offer, headers=headers) as resp:
                statuses.append(resp.status)
            peak = max(peak, open_files())

        for start in range(0, OFFERS, 50):
            await asyncio.gather(*(post(n) for n in range(start, start + 50)))
        assert set(statuses) <= {201, 503}, sorted(set(statuses))
        assert statuses.count(201) >= server.pending_total
        assert len(server.viewers) <= server.pending_total
        # the sessions that never connect are freed within the timeout (and the watcher's second)
        await until(lambda: len(server.viewers) == 0, within=server.connect_timeout + 5)
        await until(lambda: open_files() <= baseline + 10, within=5)
        assert peak - baseline < 8 * server.pending_total  # every waiting peer's sockets, and no more

        # one client may keep only a few waiting
        mine = {"Content-Type": "application/sdp", "X-Forwarded-For": "198.51.100.7"}
        own = []
        for _ in range(server.pending_per_client + 3):
            async with http.post(f"{media.base}/whep/demo", data=offer, headers=mine) as resp:
                own.append(resp.status)
        assert own == [201] * server.pending_per_client + [429] * 3

        # a viewer that connects stays past the timeout
        pc, resp, _ = await whep_play(http, media.base, "demo")
        assert resp.status == 201
        await wait_connected(pc)
        session = resp.headers["Location"].rsplit("/", 1)[-1]
        await asyncio.sleep(server.connect_timeout + 1.5)
        assert session in server.viewers
        await pc.close()

    server.refusals.flush(force=True)
    # (the access log's line per request aside: that is what it is for)
    lines = [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "aiohttp.access"]
    assert len(lines) < 100, [r.getMessage() for r in lines[:20]]
    assert server.refusals.total["total"] >= OFFERS - server.pending_total - 50
    assert server.refusals.total["timeout"] >= server.pending_total
    assert any("WHEP sessions refused or freed" in r.getMessage() for r in lines)
