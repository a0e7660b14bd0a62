"""aiortc WHIP/WHEP clients for the media tests and the bench: a stamped test pattern, a publisher, a viewer."""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

import aiohttp
import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack

VIDEO_CLOCK = 90000
STAMP_BLOCKS = 32  # bits of the wall-clock stamp, one block each


class StampedPattern(VideoStreamTrack):
    """A moving pattern whose top rows carry the capture time in ms as black/white blocks.

    The stamp survives VP8 at low bitrates (each bit is a 16×16 block), so a viewer
    that decodes can read the publisher→viewer latency back.
    """

    def __init__(
        self, width: int = 320, height: int = 180, fps: int = 30, texture: bool = False, contrast: float = 1.0
    ) -> None:
        super().__init__()
        # `texture`: cycling noise below the stamp, so VP8 needs a realistic bitrate (at 640×360:
        # ~1.4 Mbps at full contrast, ~1 Mbps at contrast 0.3).
        rng = np.random.default_rng(7)
        self._noise = []
        if texture:
            for _ in range(8):
                small = rng.integers(0, 255, ((height - 48) // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
                small = (128 + (small.astype(np.float32) - 128) * contrast).clip(0, 255).astype(np.uint8)
                self._noise.append(small.repeat(8, 0).repeat(8, 1)[: height - 48, :width])
        self.width, self.height, self.fps = width, height, fps
        self._start: float | None = None
        self._n = 0
        base = np.zeros((height, width, 3), dtype=np.uint8)
        base[:, :, 1] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
        self._base = base

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        target = self._start + self._n / self.fps
        delay = target - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        img = self._base.copy()
        if self._noise:
            img[48:] = self._noise[self._n % len(self._noise)]
        x = (self._n * 4) % self.width
        img[48:, x : x + 8, 0] = 255
        stamp = int(time.time() * 1000) & 0xFFFFFFFF
        for bit in range(STAMP_BLOCKS):
            y, x = _block(bit, self.width)
            img[y : y + 16, x : x + 16, :] = 255 if stamp >> bit & 1 else 0
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts = self._n * VIDEO_CLOCK // self.fps
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._n += 1
        return frame


def _block(bit: int, width: int) -> tuple[int, int]:
    per_row = width // 16
    return bit // per_row * 16, bit % per_row * 16


def read_stamp(frame: av.VideoFrame) -> int:
    img = frame.to_ndarray(format="rgb24")
    value = 0
    for bit in range(STAMP_BLOCKS):
        y, x = _block(bit, img.shape[1])
        if img[y + 4 : y + 12, x + 4 : x + 12, :].mean() > 127:
            value |= 1 << bit
    return value


def latency_ms(frame: av.VideoFrame) -> float:
    now = int(time.time() * 1000) & 0xFFFFFFFF
    return float((now - read_stamp(frame)) & 0xFFFFFFFF)


async def wait_connected(pc: RTCPeerConnection, limit_s: float = 15) -> None:
    async def loop() -> None:
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed"):
                raise RuntimeError(f"peer connection {pc.connectionState}")
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), limit_s)


async def whip_publish(
    http: aiohttp.ClientSession,
    base: str,
    room: str,
    token: str | None,
    video: Any = None,
    audio: bool = True,
    video_codec: str | None = None,
) -> tuple[RTCPeerConnection, aiohttp.ClientResponse, str]:
    """A publisher; `video_codec` ("VP8", "H264") limits what its offer proposes."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver(video or StampedPattern(), direction="sendonly")
    only_codec(transceiver, video_codec)
    if audio:
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    resp = await http.post(f"{base}/whip/{room}", data=pc.localDescription.sdp, headers=headers)
    body = await resp.text()
    if resp.status == 201:
        await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
    else:
        await pc.close()
    return pc, resp, body


def only_codec(transceiver: Any, codec: str | None) -> None:
    """Limit what a video transceiver offers to `codec` ("VP8", "H264"; None: everything aiortc has)."""
    if codec is not None:
        caps = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences(
            [c for c in caps if c.mimeType.lower() in (f"video/{codec.lower()}", "video/rtx")]
        )


async def whep_play(
    http: aiohttp.ClientSession, base: str, room: str, slots: int = 1, video_codec: str | None = None
) -> tuple[RTCPeerConnection, aiohttp.ClientResponse, list[Any]]:
    """A viewer; returns the remote video tracks in slot order (host first). `video_codec` limits its offer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceivers = []
    for _ in range(slots):
        transceivers.append(pc.addTransceiver("video", direction="recvonly"))
        only_codec(transceivers[-1], video_codec)
        pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    resp = await http.post(
        f"{base}/whep/{room}", data=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"}
    )
    body = await resp.text()
    if resp.status != 201:
        await pc.close()
        return pc, resp, []
    await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
    return pc, resp, [t.receiver.track for t in transceivers]


async def count_frames(track: Any, seconds: float) -> tuple[int, list[float]]:
    """Frames received in `seconds` (after the first one), and their stamped latencies."""
    await asyncio.wait_for(track.recv(), 10)
    n, lat = 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        frame = await asyncio.wait_for(track.recv(), 5)
        n += 1
        lat.append(latency_ms(frame))
    return n, lat
