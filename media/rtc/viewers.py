"""One WHEP viewer's peer connection: sendonly tracks fed by the relay's fanouts.

Used in the main process and, with `--media-workers`, in each worker process.
The viewer's m-lines map in order onto slots: the first video/audio pair is the
host, the second the co-host guest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from media.rtc.offers import MediaError, OfferSummary
from media.rtc.relay import Fanout, ViewerTrack
from media.rtc.sender import use_forwarding_sender

log = logging.getLogger(__name__)

SLOTS = ("host", "guest")

FanoutFor = Callable[[str, str], Fanout]  # (slot, kind) → fanout


def codec_preferences(kind: str, *codecs: str) -> list[Any]:
    """aiortc's capabilities for `codecs`, in that order (video: with RTX after them)."""
    caps = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for codec in codecs for c in caps if c.mimeType.lower() == f"{kind}/{codec.lower()}"]
    if kind == "video":
        chosen += [c for c in caps if c.mimeType.lower() == "video/rtx"]
    return chosen


@dataclass
class ViewerPeer:
    id: str
    room_id: str
    pc: RTCPeerConnection
    answer: str
    tracks: list[tuple[Fanout, ViewerTrack]] = field(default_factory=list)
    closed: bool = False
    closing: asyncio.Future[None] | None = None

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fanout, track in self.tracks:
            fanout.discard(track)
            track.stop()
        await self.pc.close()

    def first_frame_delay(self) -> float | None:
        delays = [
            t.first_frame_at - t.joined_at for _, t in self.tracks if t.kind == "video" and t.first_frame_at
        ]
        return min(delays) if delays else None

    async def rtt_ms(self) -> float | None:
        try:
            report = await self.pc.getStats()
        except Exception:
            return None
        rtts = [s.roundTripTime for s in report.values() if getattr(s, "type", "") == "remote-inbound-rtp"]
        rtts = [r for r in rtts if r is not None]
        return round(min(rtts) * 1000, 1) if rtts else None


async def open_viewer(
    session_id: str,
    room_id: str,
    offer_sdp: str,
    summary: OfferSummary,
    fanout_for: FanoutFor,
    ice_servers: list[RTCIceServer],
    video_codecs: tuple[str, ...],
    on_gone: Callable[[str], None],
    on_connected: Callable[[str], None] | None = None,
) -> ViewerPeer:
    """Answer a viewer's recvonly offer with `video_codecs` (`offers.viewer_video_codecs`: the room's
    codec first); its tracks start receiving at the next keyframe."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers))
    peer = ViewerPeer(session_id, room_id, pc, answer="")

    def mismatch() -> None:
        # The publisher came back with another codec: end the session; the player reconnects.
        peer.closing = asyncio.ensure_future(_gone())

    async def _gone() -> None:
        await peer.close()
        on_gone(session_id)

    seen = {"audio": 0, "video": 0}
    try:
        for kind in summary.kinds:
            slot = SLOTS[seen[kind]]
            seen[kind] += 1
            codecs = video_codecs if kind == "video" else ("opus",)
            track = ViewerTrack(kind, codecs, on_codec_mismatch=mismatch)
            transceiver = pc.addTransceiver(track, direction="sendonly")
            use_forwarding_sender(transceiver.sender)
            transceiver.setCodecPreferences(codec_preferences(kind, *codecs))
            fanout = fanout_for(slot, kind)
            peer.tracks.append((fanout, track))
            if kind == "video":
                # A viewer's PLI/FIR: aiortc would flag its (unused) encoder; ask the publisher instead.
                transceiver.sender._send_keyframe = fanout.want_keyframe  # type: ignore[method-assign]

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState == "connected" and on_connected is not None:
                on_connected(session_id)
            if pc.connectionState in ("failed", "closed") and not peer.closed:
                peer.closing = asyncio.ensure_future(_gone())

        await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
    except MediaError:
        await peer.close()
        raise
    except Exception as exc:
        await peer.close()
        raise MediaError(400, f"cannot answer this offer: {exc}") from exc
    peer.answer = pc.localDescription.sdp
    for fanout, track in peer.tracks:
        fanout.add(track)
    return peer
