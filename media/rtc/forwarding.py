"""Encoded frames straight from a publisher's RTP, with no decoder in the way.

aiortc's receiver reassembles RTP packets in a jitter buffer and hands the frames
to a decoder thread. For a relay the decode is wasted work, and the stock jitter
buffer only releases a frame when the *next* frame's first packet arrives (one
frame interval of added delay per hop). `install_forwarding` swaps, for one
receiver, the jitter buffer for a `FrameAssembler` that releases a video frame
as soon as its marker packet completes it, and passes each audio packet on as it
comes; the frames go to a callback instead of the decoder.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc.rtp import RtpPacket

# How long a video frame may wait for a missing packet (NACK/RTX repairs arrive
# within one RTT on a sane network) before the assembler skips ahead.
GAP_PATIENCE_S = 0.25
MAX_PENDING_PACKETS = 400


@dataclass(slots=True)
class MediaFrame:
    """One encoded frame as the publisher sent it."""

    kind: str  # "audio" | "video"
    codec: str  # "VP8" | "H264" | "opus"
    data: bytes
    timestamp: int  # RTP timestamp, unwrapped to 64 bits
    keyframe: bool
    received_at: float = field(default_factory=time.monotonic)


def vp8_is_keyframe(data: bytes) -> bool:
    # RFC 6386 §9.1: bit 0 of the frame tag is 0 for a key frame.
    return len(data) >= 10 and data[0] & 1 == 0 and data[3:6] == b"\x9d\x01\x2a"


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    if not vp8_is_keyframe(data):
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


def h264_nal_types(data: bytes) -> list[int]:
    """NAL unit types in an Annex B access unit (what aiortc's depayloader produces)."""
    types = []
    pos = data.find(b"\x00\x00\x01")
    while pos != -1 and pos + 3 < len(data):
        types.append(data[pos + 3] & 0x1F)
        pos = data.find(b"\x00\x00\x01", pos + 3)
    return types


def h264_is_keyframe(data: bytes) -> bool:
    types = h264_nal_types(data)
    return 5 in types or 7 in types


def is_keyframe(codec: str, data: bytes) -> bool:
    if codec == "VP8":
        return vp8_is_keyframe(data)
    if codec == "H264":
        return h264_is_keyframe(data)
    return True


def _seq_diff(a: int, b: int) -> int:
    """a - b on the 16-bit sequence circle, in [-32768, 32767]."""
    return ((a - b + 0x8000) & 0xFFFF) - 0x8000


class TimestampUnwrapper:
    def __init__(self) -> None:
        self._last: int | None = None
        self._cycles = 0

    def unwrap(self, ts: int) -> int:
        if self._last is not None:
            if ts < self._last and self._last - ts > 0x80000000:
                self._cycles += 1
            elif ts > self._last and ts - self._last > 0x80000000:
                # a late packet from before the wrap
                return ts + ((self._cycles - 1) << 32)
        self._last = ts
        return ts + (self._cycles << 32)


FrameSink = Callable[[MediaFrame], None]


class FrameAssembler:
    """Drop-in for aiortc's `JitterBuffer` (same `add` contract) that forwards frames.

    `add(packet)` returns `(pli_flag, None)`: aiortc sends a PLI when the flag is
    set, and never sees a frame to decode because complete frames go to `sink`.
    Video frames are released when the packets from the frame's first to its
    marker packet are all present; audio packets are frames of their own.
    """

    def __init__(
        self,
        kind: str,
        codecs: dict[int, str],
        sink: FrameSink,
        on_gap: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.capacity = 512 if kind == "video" else 16
        self._codecs = codecs
        self._sink = sink
        self._on_gap = on_gap
        self._clock = clock
        self._ts = TimestampUnwrapper()
        self._pending: dict[int, RtpPacket] = {}
        self._next: int | None = None  # sequence number the next frame starts at
        self._last_audio: int | None = None
        self._stuck_since: float | None = None
        self.last_ssrc: int | None = None
        self.frames = 0
        self.gaps = 0

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        self.last_ssrc = packet.ssrc
        if self.kind == "audio":
            self._add_audio(packet)
            return False, None
        return self._add_video(packet), None

    def remove(self, count: int) -> None:  # JitterBuffer API, unused by the receiver
        self._pending.clear()

    def _emit(self, packets: list[RtpPacket]) -> None:
        codec = self._codecs.get(packets[0].payload_type, "")
        data = b"".join(p._data for p in packets)  # type: ignore[attr-defined]
        if not data:
            return
        self.frames += 1
        self._sink(
            MediaFrame(
                kind=self.kind,
                codec=codec,
                data=data,
                timestamp=self._ts.unwrap(packets[0].timestamp),
                keyframe=is_keyframe(codec, data),
                received_at=self._clock(),
            )
        )

    def _add_audio(self, packet: RtpPacket) -> None:
        if self._last_audio is not None and _seq_diff(packet.sequence_number, self._last_audio) <= 0:
            return  # late or duplicate: Opus conceals the loss better than a late frame would
        self._last_audio = packet.sequence_number
        self._emit([packet])

    def _add_video(self, packet: RtpPacket) -> bool:
        seq = packet.sequence_number
        if self._next is None:
            # Start at a frame boundary: a packet that opens a frame, or the one after a marker.
            if self._opens_frame(packet):
                self._next = seq
            else:
                if packet.marker:
                    self._next = (seq + 1) & 0xFFFF
                return False
        if _seq_diff(seq, self._next) < 0:
            return False  # belongs to a frame already released or skipped
        self._pending[seq] = packet
        self._release()
        if self._pending and self._stuck_since is None:
            self._stuck_since = self._clock()
        elif not self._pending:
            self._stuck_since = None
        if self._pending and (
            len(self._pending) > MAX_PENDING_PACKETS
            or (self._stuck_since is not None and self._clock() - self._stuck_since > GAP_PATIENCE_S)
        ):
            self._skip_gap()
            return True
        return False

    def _opens_frame(self, packet: RtpPacket) -> bool:
        data: bytes = packet._data  # type: ignore[attr-defined]
        codec = self._codecs.get(packet.payload_type, "")
        if codec == "VP8":
            return vp8_is_keyframe(data)  # a delta frame's first packet is not recognisable
        if codec == "H264":
            return data.startswith(b"\x00\x00\x00\x01") and (data[4] & 0x1F) in (5, 7, 9)
        return False

    def _release(self) -> None:
        assert self._next is not None
        while True:
            frame: list[RtpPacket] = []
            seq = self._next
            while True:
                p = self._pending.get(seq)
                if p is None:
                    return  # incomplete: wait for the missing packet
                if frame and p.timestamp != frame[0].timestamp:
                    break  # the sender left the marker off; the timestamp change ends the frame
                frame.append(p)
                seq = (seq + 1) & 0xFFFF
                if p.marker:
                    break
            for p in frame:
                del self._pending[p.sequence_number]
            self._next = seq
            self._stuck_since = None
            self._emit(frame)

    def _skip_gap(self) -> None:
        """Give up on the frame that waits for a lost packet; resume after the next marker."""
        self.gaps += 1
        assert self._next is not None
        ordered = sorted(self._pending, key=lambda s: _seq_diff(s, self._next or 0))
        resume: int | None = None
        for s in ordered:
            if self._pending[s].marker:
                resume = (s + 1) & 0xFFFF
                break
        if resume is None:
            self._pending.clear()
            self._next = None  # wait for a marker, as at start
        else:
            for s in [s for s in ordered if _seq_diff(s, resume) < 0]:
                del self._pending[s]
            self._next = resume
        self._stuck_since = None
        if self._on_gap is not None:
            self._on_gap()
        if self._next is not None:
            self._release()


def codec_names(transceiver: Any) -> dict[int, str]:
    """Payload type → codec name ("VP8", "H264", "opus") of a negotiated transceiver."""
    return {c.payloadType: c.mimeType.split("/")[1] for c in transceiver._codecs}


def install_forwarding(transceiver: Any, sink: FrameSink, on_gap: Callable[[], None] | None = None) -> Any:
    """Make `transceiver`'s receiver forward encoded frames to `sink` instead of decoding them.

    Call after `setRemoteDescription` and before the connection starts (the
    receiver's `receive()` runs once ICE and DTLS are up). Returns a handle with
    `request_keyframe()`.
    """
    receiver = transceiver.receiver
    assembler = FrameAssembler(transceiver.kind, codec_names(transceiver), sink, on_gap)
    # aiortc keeps these private; swapping them per receiver leaves every other
    # receiver in the process (viewers' clients in tests, say) untouched.
    receiver._RTCRtpReceiver__jitter_buffer = assembler
    return KeyframeRequester(receiver, assembler)


class KeyframeRequester:
    """Asks the publisher for a keyframe (RTCP PLI), at most once per `min_interval`."""

    def __init__(self, receiver: Any, assembler: FrameAssembler, min_interval: float = 0.5) -> None:
        self.receiver = receiver
        self.assembler = assembler
        self.min_interval = min_interval
        self._last = -1e9
        self.sent = 0
        self._pending: set[asyncio.Future[None]] = set()

    def request_keyframe(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        ssrc = self.assembler.last_ssrc
        if ssrc is None or now - self._last < self.min_interval:
            return False
        self._last = now
        self.sent += 1
        task = asyncio.ensure_future(self.receiver._send_rtcp_pli(ssrc))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return True


INGEST_BURST = 64  # datagrams read per wake-up of a publisher's socket


def read_datagrams_eagerly(pc: Any, burst: int = INGEST_BURST) -> int:
    """Drain a publisher's UDP sockets up to `burst` datagrams per event-loop turn.

    asyncio reads one datagram per readiness event, so a socket gets one read per
    loop turn. A relay's loop turn can take milliseconds (each frame wakes every
    viewer's sender); at one read per turn the publisher's ~150 packets/s back up
    in the kernel buffer and the whole room falls seconds behind. Call after
    `setLocalDescription` (aiortc has gathered its sockets by then). Returns how
    many sockets were switched.
    """
    switched = 0
    seen: set[int] = set()
    for transceiver in pc.getTransceivers():
        ice = transceiver.receiver.transport.transport
        connection = getattr(ice, "_connection", None)
        for protocol in getattr(connection, "_protocols", []):
            transport = getattr(protocol, "transport", None)
            if transport is None or id(transport) in seen:
                continue
            seen.add(id(transport))
            if _drain_on_readable(transport, protocol, burst):
                switched += 1
    return switched


def _drain_on_readable(transport: Any, protocol: Any, burst: int) -> bool:
    sock, loop = getattr(transport, "_sock", None), getattr(transport, "_loop", None)
    if sock is None or loop is None or not hasattr(loop, "_add_reader"):
        return False  # not asyncio's selector datagram transport: leave it as it is
    fd = sock.fileno()

    def read_ready() -> None:
        for _ in range(burst):
            if transport._conn_lost:
                return
            try:
                data, addr = sock.recvfrom(transport.max_size)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                protocol.error_received(exc)
                return
            except Exception as exc:  # what asyncio's own reader does with the unexpected
                transport._fatal_error(exc, "Fatal read error on datagram transport")
                return
            protocol.datagram_received(data, addr)

    loop._remove_reader(fd)
    loop._add_reader(fd, read_ready)
    return True
