"""Restream (转推): while the host is live, re-publish the host's encoded packets by WHIP elsewhere.

`room.yaml` `restream: {whip_url, token}` names the target (another liveroom, LiveKit, SRS,
Cloudflare Stream…). No re-encoding: the restream is one more sender fed by the host slot's
fanouts, exactly as a WHEP viewer is. It starts on `stream_started` (host slot) and stops on
`stream_stopped`; call `on_event` from the media server's event sink.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.config import Restream
from media.relay import Fanout, ViewerTrack
from media.rooms import RoomDirectory
from media.server import MediaServer
from media.viewers import codec_preferences

log = logging.getLogger(__name__)

CODEC_WAIT_S = 10.0  # how long to wait for the host's first video frame (it names the codec)
HTTP_TIMEOUT_S = 15.0


@dataclass
class Outbound:
    room_id: str
    target: Restream
    pc: RTCPeerConnection
    tracks: list[tuple[Fanout, ViewerTrack]] = field(default_factory=list)
    resource_url: str | None = None

    async def close(self) -> None:
        for fanout, track in self.tracks:
            fanout.discard(track)
            track.stop()
        if self.resource_url is not None:
            try:
                timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
                async with aiohttp.ClientSession(timeout=timeout) as http:
                    await http.delete(self.resource_url, headers=_auth(self.target))
            except (TimeoutError, aiohttp.ClientError) as exc:
                log.warning("restream %s: WHIP DELETE failed: %s", self.room_id, exc)
        await self.pc.close()


def _auth(target: Restream) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.token}"} if target.token else {}


class Restreamer:
    """One outbound WHIP session per room whose host is live and whose settings name a target."""

    def __init__(self, server: MediaServer, rooms: RoomDirectory) -> None:
        self.server = server
        self.rooms = rooms
        self.outbound: dict[str, Outbound] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def on_event(self, room_id: str, kind: str, data: dict[str, Any]) -> None:
        if data.get("slot", "host") != "host":
            return
        if kind == "stream_started":
            settings = self.rooms.get(room_id)
            if settings is None or settings.restream is None:
                return
            await self.stop(room_id)
            self._tasks[room_id] = asyncio.create_task(self._start(room_id, settings.restream))
        elif kind == "stream_stopped":
            await self.stop(room_id)

    async def stop(self, room_id: str) -> None:
        task = self._tasks.pop(room_id, None)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        out = self.outbound.pop(room_id, None)
        if out is not None:
            await out.close()
            log.info("restream %s: stopped", room_id)

    async def close(self) -> None:
        for room_id in list(self._tasks) + list(self.outbound):
            await self.stop(room_id)

    async def _start(self, room_id: str, target: Restream) -> None:
        slot = self.server.stream(room_id).slots["host"]
        video = slot.fanouts["video"]
        deadline = time.monotonic() + CODEC_WAIT_S
        while video.codec is None:
            if time.monotonic() > deadline or not slot.live:
                log.warning("restream %s: no video from the host; not restreaming", room_id)
                return
            await asyncio.sleep(0.05)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        out = Outbound(room_id, target, pc)
        self.outbound[room_id] = out
        try:
            for kind, codec in (("video", video.codec), ("audio", "opus")):
                fanout = slot.fanouts[kind]
                track = ViewerTrack(kind, codec)
                transceiver = pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(codec_preferences(kind, codec))
                if kind == "video":
                    # The target's PLI/FIR: ask the host for a keyframe (there is no encoder here).
                    transceiver.sender._send_keyframe = fanout.want_keyframe  # type: ignore[method-assign]
                out.tracks.append((fanout, track))
            await pc.setLocalDescription(await pc.createOffer())
            headers = {"Content-Type": "application/sdp", **_auth(target)}
            timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(target.whip_url, data=pc.localDescription.sdp, headers=headers) as response,
            ):
                body = await response.text()
                if response.status != 201:
                    raise RuntimeError(f"WHIP {response.status}: {body[:200]}")
                location = response.headers.get("Location")
            out.resource_url = urljoin(target.whip_url, location) if location else None
            await pc.setRemoteDescription(RTCSessionDescription(body, "answer"))
            for fanout, track in out.tracks:
                fanout.add(track)
            log.info("restream %s: publishing to %s", room_id, target.whip_url)
        except (TimeoutError, aiohttp.ClientError, RuntimeError, ValueError) as exc:
            log.warning("restream %s: cannot publish to %s: %s", room_id, target.whip_url, exc)
            if self.outbound.get(room_id) is out:
                del self.outbound[room_id]
            await out.close()
