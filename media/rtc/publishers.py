"""One WHIP publisher's peer connection: recvonly, its receivers forwarding instead of decoding."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from media.rtc.forwarding import FrameSink, KeyframeRequester, install_forwarding, read_datagrams_eagerly
from media.rtc.health import LinkStats
from media.rtc.offers import MediaError, OfferSummary, publisher_video_codec
from media.rtc.viewers import codec_preferences


@dataclass
class PublisherPeer:
    id: str
    room_id: str
    slot: str  # "host" | "guest"
    pc: RTCPeerConnection
    answer: str = ""
    video_codec: str = ""  # the one video codec it was answered with (what it sends)
    ice_ufrag: str | None = None
    started_at: float = field(default_factory=time.monotonic)
    requesters: list[KeyframeRequester] = field(default_factory=list)
    connected: bool = False
    ever_connected: bool = False  # ICE and DTLS completed once: a stream that started
    closed: bool = False

    def request_keyframe(self) -> bool:
        return any([r.request_keyframe() for r in self.requesters if r.assembler.kind == "video"])

    async def link_stats(self) -> LinkStats:
        stats = LinkStats()
        try:
            report = await self.pc.getStats()
        except Exception:
            return stats
        for s in report.values():
            if getattr(s, "type", "") == "inbound-rtp" and getattr(s, "kind", "") == "video":
                stats.packets_received += s.packetsReceived or 0
                stats.packets_lost += max(0, s.packetsLost or 0)
        return stats

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.pc.close()


async def open_publisher(
    session_id: str,
    room_id: str,
    slot: str,
    offer_sdp: str,
    summary: OfferSummary,
    ice_servers: list[RTCIceServer],
    sink: FrameSink,
    on_gap: Callable[[], None],
    on_state: Callable[[PublisherPeer, str], Any],
    *,
    prefer_h264: bool = False,
) -> PublisherPeer:
    """Answer a publisher's sendonly offer with one video codec (VP8 or H.264, see
    `offers.publisher_video_codec`) and Opus audio."""
    video_codec = publisher_video_codec(summary.video_codecs, prefer_h264=prefer_h264)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
    peer = PublisherPeer(session_id, room_id, slot, pc, video_codec=video_codec, ice_ufrag=summary.ice_ufrag)
    try:
        for kind in summary.kinds:
            transceiver = pc.addTransceiver(kind, direction="recvonly")
            transceiver.setCodecPreferences(
                codec_preferences(kind, "opus" if kind == "audio" else video_codec)
            )
        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
    except Exception as exc:
        await pc.close()
        message = str(exc)
        if "codec" in message.lower() or "parameters" in message.lower():
            raise MediaError(
                406, "the offer has no codec this server accepts (video VP8/H.264, audio Opus)"
            ) from exc
        raise MediaError(400, f"cannot accept this offer: {exc}") from exc
    for transceiver in pc.getTransceivers():
        peer.requesters.append(install_forwarding(transceiver, sink, on_gap))

    @pc.on("connectionstatechange")
    async def _state() -> None:
        peer.connected = pc.connectionState == "connected"
        peer.ever_connected = peer.ever_connected or peer.connected
        result = on_state(peer, pc.connectionState)
        if asyncio.iscoroutine(result):
            await result

    try:
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as exc:
        await pc.close()
        raise MediaError(400, f"cannot answer this offer: {exc}") from exc
    read_datagrams_eagerly(pc)
    peer.answer = pc.localDescription.sdp
    return peer
