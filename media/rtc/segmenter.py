"""The HLS segmenter: the host's H.264 (copied, never re-encoded) and audio cut into fMP4 parts, on a thread.

The relay's tap only queues frames (`Segmenter.write`), so muxing and the audio transcode (Opus →
AAC when the room asks for AAC, the one format every HLS player takes) never hold up the event
loop. Parts close every `part_s` of video; a segment closes at the first keyframe after at least
half of `segment_s` (keyframes come when the tap asks, see `media.rtc.server`). Results go back to
the loop through `deliver` ("init", "part", "segment_end", "end").
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av

from media.config import HlsOutput
from media.rtc.fmp4 import (
    AUDIO_TIMESCALE,
    AUDIO_TRACK,
    VIDEO_TIMESCALE,
    VIDEO_TRACK,
    AudioConfig,
    Sample,
    VideoConfig,
    fragment,
    init_segment,
    length_prefixed,
    nal_units,
    video_config,
)
from media.rtc.hls import Part

log = logging.getLogger(__name__)

MAX_BACKLOG = 1500  # frames queued for the segmenter thread (~10 s of audio and video)
AAC_BITRATE = 128_000
OPUS_FRAME = 960  # 20 ms at 48 kHz: the usual WebRTC Opus packet


@dataclass(frozen=True, slots=True)
class QueuedFrame:
    kind: str
    codec: str
    pts: int
    keyframe: bool
    data: bytes
    arrived: float  # monotonic, when the relay handed it over


Deliver = Callable[[str, tuple[Any, ...]], None]  # (operation, arguments) → the loop


class AudioTrack:
    """Audio samples on the HLS timeline: Opus copied, or decoded and encoded to AAC."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.decoder: Any = None
        self.encoder: Any = None
        self.config: AudioConfig
        if codec == "aac":
            self.decoder = av.CodecContext.create("opus", "r")
            self.decoder.sample_rate = AUDIO_TIMESCALE
            self.encoder = av.CodecContext.create("aac", "w")
            self.encoder.sample_rate = AUDIO_TIMESCALE
            self.encoder.layout = "stereo"
            self.encoder.format = "fltp"
            self.encoder.bit_rate = AAC_BITRATE
            self.encoder.time_base = Fraction(1, AUDIO_TIMESCALE)
            self.encoder.open()
            self.config = AudioConfig("aac", 2, AUDIO_TIMESCALE, bytes(self.encoder.extradata or b""))
        else:
            self.config = AudioConfig("opus", 2, AUDIO_TIMESCALE)
        self.next_time: int | None = None  # decode time of the next sample, 48 kHz
        self._last_opus_pts: int | None = None

    def samples(self, data: bytes, at: int) -> list[tuple[int, Sample]]:
        """(decode time, sample) for one Opus packet whose media time is `at` (48 kHz)."""
        if self.codec == "opus":
            duration = OPUS_FRAME
            if self._last_opus_pts is not None and 0 < at - self._last_opus_pts < 10 * OPUS_FRAME:
                duration = at - self._last_opus_pts
            self._last_opus_pts = at
            return self._place([Sample(data, duration)], at)
        packet = av.Packet(data)
        out: list[Sample] = []
        try:
            frames = self.decoder.decode(packet)
        except av.error.FFmpegError:  # a broken packet: skip it, the stream goes on
            return []
        for frame in frames:
            frame.pts = None
            for encoded in self.encoder.encode(frame):
                out.append(Sample(bytes(encoded), encoded.duration or 1024))
        return self._place(out, at)

    def _place(self, samples: list[Sample], at: int) -> list[tuple[int, Sample]]:
        if self.next_time is None:
            self.next_time = at
        placed = []
        for sample in samples:
            placed.append((self.next_time, sample))
            self.next_time += sample.duration
        return placed


class Segmenter:
    """Cuts one host session into parts and segments; `write` from the loop, the work on a thread."""

    def __init__(self, settings: HlsOutput, deliver: Deliver, first_msn: int) -> None:
        self.settings = settings
        self.deliver = deliver
        self.queued = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue[QueuedFrame | None] = queue.Queue(maxsize=MAX_BACKLOG)
        self._lost_video = False
        self._msn = first_msn
        self._thread = threading.Thread(target=self._run, name="hls-segmenter", daemon=True)
        self._thread.start()

    # -- loop side ---------------------------------------------------------------

    def write(self, frame: QueuedFrame) -> None:
        if frame.kind == "video" and self._lost_video:
            if not frame.keyframe:
                self.dropped += 1
                return
            self._lost_video = False
        try:
            self._queue.put_nowait(frame)
            self.queued += 1
        except queue.Full:
            self.dropped += 1
            if frame.kind == "video":
                self._lost_video = True  # resume at the next keyframe

    def close(self, timeout: float = 10.0) -> None:
        """Finish the last segment (blocks until the thread has)."""
        self._queue.put(None)
        self._thread.join(timeout)

    # -- thread side -------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._cut()
        except Exception as exc:  # the HLS output failing must never take the show down
            self.error = repr(exc)
            log.exception("HLS segmenter failed")
            while self._queue.get() is not None:
                pass
        self.deliver("end", (self.error,))

    def _cut(self) -> None:
        settings = self.settings
        part_limit = settings.part_s or 1e9
        video: VideoConfig | None = None
        audio = AudioTrack(settings.audio)
        t0 = 0.0  # arrival (monotonic) of the first keyframe: 0 s on the HLS timeline
        wall0 = 0.0
        audio_origin: tuple[int, float] | None = None  # (first audio pts, its HLS time in s)
        held: QueuedFrame | None = None  # the newest video frame: its duration is known at the next one
        video_time = 0  # decode time (90 kHz) of the next video sample
        part_video: list[Sample] = []
        part_video_start = 0
        part_audio: list[tuple[int, Sample]] = []
        pending_audio: deque[tuple[int, Sample]] = deque()
        part_index = 0
        part_independent = True
        segment_duration = 0
        fragments = 0
        min_segment = int(settings.segment_s * VIDEO_TIMESCALE * 0.5)

        def close_part(end_time: int) -> None:
            nonlocal part_video, part_audio, part_index, fragments, segment_duration
            while pending_audio and pending_audio[0][0] * VIDEO_TIMESCALE < end_time * AUDIO_TIMESCALE:
                part_audio.append(pending_audio.popleft())
            if not part_video:
                return
            fragments += 1
            tracks = [(VIDEO_TRACK, part_video_start, part_video)]
            if part_audio:
                tracks.append((AUDIO_TRACK, part_audio[0][0], [s for _, s in part_audio]))
            data = fragment(fragments, tracks)
            duration = sum(s.duration for s in part_video) / VIDEO_TIMESCALE
            part = Part(self._msn, part_index, data, duration, part_independent)
            self.deliver("part", (part, wall0 + part_video_start / VIDEO_TIMESCALE))
            segment_duration += sum(s.duration for s in part_video)
            part_video, part_audio = [], []
            part_index += 1

        def close_segment() -> None:
            nonlocal part_index, segment_duration
            self.deliver("segment_end", (self._msn,))
            self._msn += 1
            part_index = 0
            segment_duration = 0

        while True:
            item = self._queue.get()
            if item is None:
                break
            if item.kind == "audio":
                if video is None:
                    continue  # the stream starts at the first keyframe
                if audio_origin is None:
                    audio_origin = (item.pts, item.arrived - t0)
                at = round(
                    (audio_origin[1] + (item.pts - audio_origin[0]) / AUDIO_TIMESCALE) * AUDIO_TIMESCALE
                )
                pending_audio.extend(audio.samples(item.data, max(0, at)))
                continue
            if item.codec != "H264":
                continue
            if video is None:
                if not item.keyframe:
                    continue
                video = video_config(item.data)
                if video is None:
                    continue
                t0, wall0 = item.arrived, time.time() - (time.monotonic() - item.arrived)
                self.deliver(
                    "init", (init_segment(video, audio.config), f"{video.codec},{audio.config.codec_string}")
                )
            if held is not None:
                duration = item.pts - held.pts
                if duration <= 0 or duration > VIDEO_TIMESCALE:
                    duration = VIDEO_TIMESCALE // 30
                sample = Sample(length_prefixed(nal_units(held.data)), duration, held.keyframe)
                if not part_video:
                    part_video_start = video_time
                    part_independent = held.keyframe
                part_video.append(sample)
                video_time += duration
                in_part = video_time - part_video_start
                if item.keyframe and segment_duration + in_part >= min_segment:
                    close_part(video_time)
                    close_segment()
                elif settings.part_s and in_part >= part_limit * VIDEO_TIMESCALE:
                    close_part(video_time)
            held = item
        if held is not None and video is not None:
            if not part_video:
                part_video_start = video_time
                part_independent = held.keyframe
            part_video.append(
                Sample(length_prefixed(nal_units(held.data)), VIDEO_TIMESCALE // 30, held.keyframe)
            )
            video_time += VIDEO_TIMESCALE // 30
        if part_video:
            close_part(video_time)
            close_segment()
