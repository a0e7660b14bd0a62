"""The forwarding relay: one publisher's encoded frames to many viewers' senders.

Nothing here encodes. A frame becomes one `SharedFrame`: an `av.Packet` (what a
stock aiortc sender packetizes, used by the restream) and its RTP payloads, cut
once for every viewer (what `media.rtc.sender.ForwardingSender` sends). A viewer whose sender
sends in place (`ViewerTrack.direct`) is sent each frame as it arrives, in the publisher's
own call: no queue, no task to wake per frame and viewer, which was the relay's largest cost
per viewer. Any other reader (aiortc's own sender, the restream) has a bounded queue. Either
way a viewer that falls behind (its queue full, or its socket's send buffer) is cut back to
the next keyframe, so it never slows the others. A new viewer starts at a keyframe, asked of
the publisher at most every half second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc.codecs import get_encoder
from aiortc.codecs.base import Encoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

log = logging.getLogger(__name__)

CLOCK_RATE = {"video": 90000, "audio": 48000}
VIDEO_QUEUE = 45  # ~1.5 s at 30 fps; beyond that a viewer is cut back to a keyframe
AUDIO_QUEUE = 75


class SharedFrame:
    """One relayed frame as every viewer's sender needs it: packet, RTP payloads and timestamp."""

    __slots__ = ("codec", "keyframe", "packet", "payloads", "size", "timestamp")

    def __init__(
        self, packet: av.Packet[Any], keyframe: bool, payloads: list[bytes], timestamp: int, codec: str = ""
    ) -> None:
        self.codec = codec
        self.packet = packet
        self.keyframe = keyframe
        self.payloads = payloads
        self.timestamp = timestamp
        self.size = sum(len(p) for p in payloads)


class ViewerTrack(MediaStreamTrack):
    """What one viewer's `RTCRtpSender` reads: packets of one feed (host or guest, audio or video).

    `codec` is what the viewer negotiated: one codec, or several (the first is the sender's default);
    a frame in any of them is sent with that codec's payload type, anything else is a mismatch.
    """

    def __init__(
        self,
        kind: str,
        codec: str | tuple[str, ...],
        on_codec_mismatch: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.codecs = (codec,) if isinstance(codec, str) else tuple(codec)
        self.codec = self.codecs[0]
        self.waiting_keyframe = kind == "video"
        self.joined_at = time.monotonic()
        self.first_frame_at: float | None = None
        self.delivered = 0
        self.dropped = 0
        self._queue: deque[SharedFrame] = deque()
        self._limit = VIDEO_QUEUE if kind == "video" else AUDIO_QUEUE
        self._waiter: asyncio.Future[None] | None = None
        self._on_codec_mismatch = on_codec_mismatch
        # Set by a sender that sends frames in place: called with each frame instead of queueing it.
        # It returns False when the viewer's socket is backed up (the frame was not sent) and raises
        # ConnectionError when the viewer is gone; either way the track stops sending in place.
        self.direct: Callable[[SharedFrame], bool] | None = None

    def push(self, frame: SharedFrame) -> bool:
        """Queue a frame; False when this viewer waits for a keyframe (the caller asks for one)."""
        keyframe = frame.keyframe
        if self.readyState != "live":
            return True
        if self.waiting_keyframe:
            if not keyframe:
                self.dropped += 1
                return False
            self.waiting_keyframe = False
        direct = self.direct
        if direct is not None and not self._queue:
            try:
                sent = direct(frame)
            except Exception as exc:  # one viewer's failure never stops the others' frames
                if not isinstance(exc, ConnectionError):
                    log.exception("relay: sending a frame to a viewer failed; that viewer is stopped")
                self.direct = None
                self.stop()  # wakes the sender, which ends
                return True
            if not sent:  # backed up: skip to the next keyframe
                self.dropped += 1
                if self.kind == "video":
                    self.waiting_keyframe = True
                    return False
                return True
            self.delivered += 1
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
            return True
        if len(self._queue) >= self._limit:
            self.dropped += len(self._queue)
            self._queue.clear()
            if self.kind == "video" and not keyframe:
                self.waiting_keyframe = True
                self.dropped += 1
                return False
        self._queue.append(frame)
        if self.first_frame_at is None:
            self.first_frame_at = time.monotonic()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    def codec_mismatch(self) -> None:
        if self._on_codec_mismatch is not None:
            callback, self._on_codec_mismatch = self._on_codec_mismatch, None
            callback()

    async def recv(self) -> av.Packet[Any]:
        """The next frame as an `av.Packet`, for a stock aiortc sender."""
        return (await self.next_frame()).packet

    async def next_frame(self) -> SharedFrame:
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        self.delivered += 1
        return self._queue.popleft()

    def take_queued(self) -> list[SharedFrame]:
        """The frames queued so far (for a sender about to send in place)."""
        frames = list(self._queue)
        self._queue.clear()
        self.delivered += len(frames)
        return frames

    async def ended(self) -> None:
        """Until the track stops or stops sending in place (for a sender whose frames go direct)."""
        while self.readyState == "live" and self.direct is not None:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    def stop(self) -> None:
        super().stop()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Timeline:
    """Rebases a publisher session's RTP timestamps onto one continuous timeline.

    Viewers keep their connection (and their senders' RTP timestamp origin) across
    publisher reconnects; a timestamp that jumped back would look like stale media
    to their jitter buffers.
    """

    def __init__(self, clock_rate: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock_rate = clock_rate
        self._clock = clock
        self._origin: int | None = None
        self._base = 0
        self._last_out: int | None = None
        self._last_wall = 0.0

    def new_session(self) -> None:
        self._origin = None

    def map(self, timestamp: int) -> int:
        if self._origin is None:
            self._origin = timestamp
            if self._last_out is not None:
                gap = max(1, round((self._clock() - self._last_wall) * self.clock_rate))
                self._base = self._last_out + gap
        out = self._base + timestamp - self._origin
        if self._last_out is None or out > self._last_out:
            self._last_out = out
            self._last_wall = self._clock()
        return out


class Fanout:
    """Hands one feed's packets to every subscribed viewer track in this process."""

    def __init__(self, kind: str, request_keyframe: Callable[[], object] | None = None) -> None:
        self.kind = kind
        self.codec: str | None = None
        self.tracks: set[ViewerTrack] = set()
        self.request_keyframe = request_keyframe
        self.time_base = Fraction(1, CLOCK_RATE[kind])
        self.keyframe_requests = 0
        self.packets = 0
        self._packer: Encoder | None = None
        self._packer_codec: str | None = None

    def add(self, track: ViewerTrack) -> None:
        self.tracks.add(track)
        if track.waiting_keyframe:
            self.want_keyframe()

    def discard(self, track: ViewerTrack) -> None:
        self.tracks.discard(track)

    def want_keyframe(self) -> None:
        if self.kind == "video" and self.request_keyframe is not None:
            self.keyframe_requests += 1
            self.request_keyframe()

    def packer(self, codec: str) -> Encoder:
        """aiortc's packetizer for `codec` (VP8 numbers pictures; one sequence for all viewers)."""
        if self._packer is None or self._packer_codec != codec:
            self._packer = get_encoder(
                RTCRtpCodecParameters(mimeType=f"{self.kind}/{codec}", clockRate=CLOCK_RATE[self.kind])
            )
            self._packer_codec = codec
        return self._packer

    def deliver(self, codec: str, pts: int, keyframe: bool, data: bytes) -> None:
        self.codec = codec
        self.packets += 1
        if not self.tracks:
            return
        packet = av.Packet(data)
        packet.pts = pts
        packet.dts = pts
        packet.time_base = self.time_base
        payloads, timestamp = self.packer(codec).pack(packet)
        frame = SharedFrame(packet, keyframe, payloads, timestamp, codec)
        needs_keyframe = False
        for track in list(self.tracks):
            if track.readyState != "live":
                self.tracks.discard(track)
            elif codec not in track.codecs:
                track.codec_mismatch()
            elif not track.push(frame):
                needs_keyframe = True
        if needs_keyframe:
            self.want_keyframe()
