"""Restream (转推): while the host is live, re-publish the host's encoded packets by WHIP elsewhere.

`room.yaml` `restream: {whip_url, token}` names the target (another liveroom, LiveKit, SRS,
Cloudflare Stream…). No re-encoding: the restream is one more sender fed by the host slot's
fanouts, exactly as a WHEP viewer is. It starts on `stream_started` (host slot) and stops on
`stream_stopped`; call `on_event` from the media server's event sink. When the target drops
or refuses mid-show, it tries again after 2, 5, 10, then every 30 s while the host is live,
and reports each start and failure through `notify` (`restream_started`, `restream_failed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import aiohttp
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from media.config import Restream
from media.rooms import RoomDirectory
from media.rtc.offers import rtc_ice_servers
from media.rtc.relay import Fanout, ViewerTrack
from media.rtc.server import MediaServer
from media.rtc.viewers import codec_preferences

log = logging.getLogger(__name__)

CODEC_WAIT_S = 10.0  # how long to wait for the host's first video frame (it names the codec)
HTTP_TIMEOUT_S = 15.0
RETRY_DELAYS_S = (2.0, 5.0, 10.0, 30.0)  # after the 1st, 2nd, 3rd, later failures in a row
SILENCE_S = 5.0  # nothing at all from the target this long: it is gone

Notify = Callable[[str, str, dict[str, Any]], Awaitable[None]]  # (room, kind, data)


class NoHost(Exception):
    """The host is not (or no longer) live: nothing to restream, nothing to retry."""


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


async def _packets_received(pc: RTCPeerConnection) -> int:
    report = await pc.getStats()
    return sum(getattr(s, "packetsReceived", 0) or 0 for s in report.values() if s.type == "transport")


def _auth(target: Restream) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.token}"} if target.token else {}


class Restreamer:
    """One outbound WHIP session per room whose host is live and whose settings name a target."""

    def __init__(
        self,
        server: MediaServer,
        rooms: RoomDirectory,
        *,
        notify: Notify | None = None,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_S,
        silence_s: float = SILENCE_S,
    ) -> None:
        self.server = server
        self.rooms = rooms
        self.notify = notify
        self.retry_delays = retry_delays
        self.silence_s = silence_s
        self.outbound: dict[str, Outbound] = {}
        self.failures: dict[str, int] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def on_event(self, room_id: str, kind: str, data: dict[str, Any]) -> None:
        if data.get("slot", "host") != "host":
            return
        if kind == "stream_started":
            settings = self.rooms.get(room_id)
            if settings is None or settings.restream is None:
                return
            await self.stop(room_id)
            self._tasks[room_id] = asyncio.create_task(self._run(room_id, settings.restream))
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

    async def _run(self, room_id: str, target: Restream) -> None:
        """Keep one outbound session up while the host is live; retry with backoff when it drops."""
        slot = self.server.stream(room_id).slots["host"]
        self.failures[room_id] = 0
        while True:
            try:
                out = await self._connect(room_id, target)
            except NoHost:
                return
            except (TimeoutError, aiohttp.ClientError, RuntimeError, ValueError, OSError) as exc:
                error = str(exc) or type(exc).__name__
                log.warning("restream %s: cannot publish to %s: %s", room_id, target.whip_url, error)
            else:
                self.failures[room_id] = 0
                await self._report(room_id, "restream_started", {"target": target.whip_url})
                error = await self._watch(out)
                if self.outbound.get(room_id) is out:
                    del self.outbound[room_id]
                await out.close()
                if not slot.live:
                    return
                log.warning("restream %s: lost %s (%s)", room_id, target.whip_url, error)
            if not slot.live:
                return
            failures = self.failures[room_id] = self.failures[room_id] + 1
            delay = self.retry_delays[min(failures, len(self.retry_delays)) - 1]
            await self._report(
                room_id,
                "restream_failed",
                {"target": target.whip_url, "error": error[:200], "failures": failures, "retry_in_s": delay},
            )
            await asyncio.sleep(delay)

    async def _watch(self, out: Outbound) -> str:
        """Until the outbound connection fails, closes or goes silent; returns why.

        A target that hangs up cleanly closes the connection at once. One that vanishes (or
        whose goodbye is lost) stops sending anything back: its receiver reports come about
        every second, so `SILENCE_S` without a packet from it means it is gone; ICE consent
        alone would take 30 s to notice. (The host stopping cancels this instead.)
        """
        down = asyncio.Event()

        @out.pc.on("connectionstatechange")
        def _changed() -> None:
            if out.pc.connectionState in ("failed", "closed"):
                down.set()

        _changed()
        received, heard_at = -1, time.monotonic()
        while True:
            try:
                await asyncio.wait_for(down.wait(), 1.0)
                return f"connection {out.pc.connectionState}"
            except TimeoutError:
                pass
            now = await _packets_received(out.pc)
            if now != received:
                received, heard_at = now, time.monotonic()
            elif time.monotonic() - heard_at >= self.silence_s:
                return f"nothing from the target for {self.silence_s:g} s"

    async def _report(self, room_id: str, kind: str, data: dict[str, Any]) -> None:
        if self.notify is not None:
            try:
                await self.notify(room_id, kind, data)
            except Exception:  # the event log being down must not stop the restream
                log.exception("restream %s: cannot report %s", room_id, kind)

    async def _connect(self, room_id: str, target: Restream) -> Outbound:
        slot = self.server.stream(room_id).slots["host"]
        video = slot.fanouts["video"]
        deadline = time.monotonic() + CODEC_WAIT_S
        while video.codec is None:
            if time.monotonic() > deadline or not slot.live:
                log.warning("restream %s: no video from the host; not restreaming", room_id)
                raise NoHost
            await asyncio.sleep(0.05)
        # The room's STUN/TURN servers (room.yaml `ice_servers`), as for its own viewers: a target
        # beyond a NAT or a firewall is reached the same way. None configured: host candidates only.
        settings = self.rooms.get(room_id)
        ice = rtc_ice_servers(settings.ice_servers) if settings is not None else []
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice))
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
            return out
        except BaseException:
            if self.outbound.get(room_id) is out:
                del self.outbound[room_id]
            await out.close()
            raise
