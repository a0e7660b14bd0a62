"""Stream health: counters kept as frames pass, a sample every few seconds, its verdict, its gauges."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

from media.rtc.forwarding import MediaFrame, vp8_dimensions

SAMPLE_INTERVAL_S = 5.0
MIN_FPS = 15.0
MIN_VIDEO_KBPS = 150.0
MAX_LOSS = 0.05


@dataclass
class FeedCounters:
    """Cumulative numbers for one publisher session (host or guest)."""

    video_frames: int = 0
    video_bytes: int = 0
    audio_bytes: int = 0
    keyframes: int = 0
    width: int | None = None
    height: int | None = None
    last_keyframe_at: float | None = None
    keyframe_interval_s: float | None = None
    last_frame_at: float | None = None
    codec: str | None = None

    def count(self, frame: MediaFrame) -> None:
        self.last_frame_at = frame.received_at
        if frame.kind == "audio":
            self.audio_bytes += len(frame.data)
            return
        self.codec = frame.codec
        self.video_frames += 1
        self.video_bytes += len(frame.data)
        if frame.keyframe:
            self.keyframes += 1
            if self.last_keyframe_at is not None:
                self.keyframe_interval_s = round(frame.received_at - self.last_keyframe_at, 2)
            self.last_keyframe_at = frame.received_at
            dims = vp8_dimensions(frame.data) if frame.codec == "VP8" else None
            if dims is not None:
                self.width, self.height = dims

    def snapshot(self) -> FeedCounters:
        return replace(self)


@dataclass
class LinkStats:
    packets_received: int = 0
    packets_lost: int = 0
    rtt_ms: float | None = None


@dataclass
class HealthSample:
    slot: str
    publisher_connected: bool
    codec: str | None
    bitrate_kbps: float
    audio_kbps: float
    fps: float
    width: int | None
    height: int | None
    keyframe_interval_s: float | None
    packet_loss: float
    rtt_ms: float | None
    viewers: int
    seconds_since_frame: float | None
    at: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def sample(
    slot: str,
    before: FeedCounters,
    now: FeedCounters,
    interval_s: float,
    link_before: LinkStats,
    link_now: LinkStats,
    *,
    connected: bool,
    viewers: int,
    monotonic_now: float,
) -> HealthSample:
    """One health sample from two readings of the counters `interval_s` apart."""
    dt = max(interval_s, 1e-3)
    received = link_now.packets_received - link_before.packets_received
    lost = max(0, link_now.packets_lost - link_before.packets_lost)
    return HealthSample(
        slot=slot,
        publisher_connected=connected,
        codec=now.codec,
        bitrate_kbps=round((now.video_bytes - before.video_bytes) * 8 / dt / 1000, 1),
        audio_kbps=round((now.audio_bytes - before.audio_bytes) * 8 / dt / 1000, 1),
        fps=round((now.video_frames - before.video_frames) / dt, 1),
        width=now.width,
        height=now.height,
        keyframe_interval_s=now.keyframe_interval_s,
        packet_loss=round(lost / (received + lost), 4) if received + lost > 0 else 0.0,
        rtt_ms=link_now.rtt_ms,
        viewers=viewers,
        seconds_since_frame=(
            round(monotonic_now - now.last_frame_at, 1) if now.last_frame_at is not None else None
        ),
    )


def quality_problems(s: HealthSample) -> list[str]:
    """Why a live stream's sample counts as low quality (empty when it is fine)."""
    if not s.publisher_connected:
        return []
    problems = []
    if s.fps < MIN_FPS:
        problems.append(f"fps {s.fps} < {MIN_FPS:g}")
    if s.bitrate_kbps < MIN_VIDEO_KBPS:
        problems.append(f"bitrate {s.bitrate_kbps} kbps < {MIN_VIDEO_KBPS:g}")
    if s.packet_loss > MAX_LOSS:
        problems.append(f"packet loss {s.packet_loss:.1%} > {MAX_LOSS:.0%}")
    return problems


class StreamMetrics:
    """Prometheus gauges and counters for the media side (exposed by whoever serves /metrics)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        labels = ["room", "slot"]
        self.publisher_connected = Gauge(
            "liveroom_media_publisher_connected", "1 while a publisher is connected", labels, registry=r
        )
        self.viewers = Gauge("liveroom_media_viewers", "WHEP viewer sessions", ["room"], registry=r)
        self.bitrate = Gauge(
            "liveroom_media_video_bitrate_kbps", "Received video bitrate", labels, registry=r
        )
        self.fps = Gauge("liveroom_media_video_fps", "Received video frame rate", labels, registry=r)
        self.loss = Gauge("liveroom_media_packet_loss_ratio", "Publisher packet loss", labels, registry=r)
        self.rtt = Gauge(
            "liveroom_media_viewer_rtt_ms", "Median viewer round-trip time", ["room"], registry=r
        )
        self.frames = Counter(
            "liveroom_media_frames_total", "Frames received from publishers", ["room", "kind"], registry=r
        )
        self.keyframe_requests = Counter(
            "liveroom_media_keyframe_requests_total", "PLIs sent to publishers", ["room"], registry=r
        )
        self.sessions = Counter(
            "liveroom_media_sessions_total", "WHIP/WHEP sessions created", ["room", "role"], registry=r
        )
        self.refused = Counter(
            "liveroom_media_refused_total", "WHIP/WHEP requests refused", ["status"], registry=r
        )

    def observe(self, room_id: str, s: HealthSample) -> None:
        self.publisher_connected.labels(room_id, s.slot).set(1 if s.publisher_connected else 0)
        self.bitrate.labels(room_id, s.slot).set(s.bitrate_kbps)
        self.fps.labels(room_id, s.slot).set(s.fps)
        self.loss.labels(room_id, s.slot).set(s.packet_loss)
