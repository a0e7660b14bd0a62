"""The demo host: publishes the test pattern (and a soft tone) to a room by WHIP (RFC 9725) with aiortc."""

from __future__ import annotations

import asyncio
import datetime as dt
import fractions
import logging
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from bot.demo.testpattern import TestPattern

log = logging.getLogger(__name__)


class PatternTrack(VideoStreamTrack):  # type: ignore[misc]
    """A video track that draws the test pattern at the track's own pace (30 fps)."""

    def __init__(self, title: str, width: int = 640, height: int = 360) -> None:
        super().__init__()
        self.pattern = TestPattern(title, width, height)
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        picture = await asyncio.to_thread(self.pattern.frame, self.count, dt.datetime.now())
        self.count += 1
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        return frame


class ToneTrack(AudioStreamTrack):  # type: ignore[misc]
    """A quiet 440 Hz beep once a second, so viewers can check sound and lip-sync."""

    rate = 48000
    samples = 960  # 20 ms

    def __init__(self) -> None:
        super().__init__()
        self._sent = 0
        self._t0: float | None = None

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._t0 is None:
            self._t0 = loop.time()
        due = self._t0 + self._sent / self.rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        t = (np.arange(self.samples) + self._sent) / self.rate
        beeping = (self._sent % self.rate) < self.rate // 10
        wave = (np.sin(2 * math.pi * 440 * t) * 3000 * beeping).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, self.rate)
        self._sent += self.samples
        return frame


@dataclass
class WhipSession:
    pc: RTCPeerConnection
    resource_url: str
    token: str

    async def close(self) -> None:
        """DELETE the WHIP resource, then close the connection."""
        try:
            async with aiohttp.ClientSession() as http:
                await http.delete(self.resource_url, headers={"Authorization": f"Bearer {self.token}"})
        except aiohttp.ClientError as exc:
            log.warning("WHIP DELETE failed: %s", exc)
        await self.pc.close()


class WhipError(Exception):
    pass


async def publish(
    whip_url: str, token: str, title: str, *, audio: bool = True, ice_servers: list[Any] | None = None
) -> WhipSession:
    """Offer the test pattern to `whip_url`; returns once the server answered (201)."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers or []))
    pc.addTransceiver(PatternTrack(title), direction="sendonly")
    if audio:
        pc.addTransceiver(ToneTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http:
        async with http.post(whip_url, data=pc.localDescription.sdp, headers=headers) as response:
            body = await response.text()
            if response.status != 201:
                await pc.close()
                raise WhipError(f"WHIP {response.status}: {body.strip()[:200]}")
            location = response.headers.get("Location", "")
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    return WhipSession(pc, urljoin(whip_url, location), token)
