"""A room's live stream in the main process: the host and guest slots and where their frames go."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from media.rtc.forwarding import MediaFrame
from media.rtc.health import FeedCounters, LinkStats
from media.rtc.publishers import PublisherPeer
from media.rtc.relay import CLOCK_RATE, Fanout, Timeline


@dataclass(frozen=True, slots=True)
class RelayedFrame:
    """A frame on the room's continuous timeline, as local viewers, workers and the recorder get it."""

    room_id: str
    slot: str
    kind: str
    codec: str
    pts: int
    keyframe: bool
    data: bytes


Tap = Callable[[RelayedFrame], None]


class Slot:
    """Host or guest: at most one publisher at a time, any number of viewer tracks."""

    def __init__(self, room_id: str, name: str) -> None:
        self.room_id = room_id
        self.name = name
        self.publisher: PublisherPeer | None = None
        self.timelines = {kind: Timeline(rate) for kind, rate in CLOCK_RATE.items()}
        self.fanouts = {kind: Fanout(kind, self.request_keyframe) for kind in CLOCK_RATE}
        self.counters = FeedCounters()
        self.taps: list[Tap] = []
        self.keyframe_hooks: list[Callable[[], None]] = []
        # health sampling state
        self.sampled_counters = FeedCounters()
        self.sampled_link = LinkStats()
        self.sampled_at = 0.0
        self.low_quality = False
        self.last_video_codec: str | None = (
            None  # what the last publisher sent (a reconnect likely sends it again)
        )

    @property
    def live(self) -> bool:
        return self.publisher is not None and not self.publisher.closed

    @property
    def video_codec(self) -> str | None:
        """The video codec the live publisher sends (it was answered with that one), else None."""
        if self.publisher is None or self.publisher.closed:
            return None
        return self.publisher.video_codec or None

    def attach(self, publisher: PublisherPeer) -> None:
        self.publisher = publisher
        self.last_video_codec = publisher.video_codec or self.last_video_codec
        self.counters = FeedCounters()
        self.sampled_counters = FeedCounters()
        self.sampled_link = LinkStats()
        self.low_quality = False
        for timeline in self.timelines.values():
            timeline.new_session()
        # Viewers already waiting (joined before go-live or during a reconnect) need a keyframe.
        for fanout in self.fanouts.values():
            for track in fanout.tracks:
                if track.kind == "video":
                    track.waiting_keyframe = True

    def detach(self, publisher: PublisherPeer) -> bool:
        if self.publisher is publisher:
            self.publisher = None
            return True
        return False

    def request_keyframe(self) -> None:
        if self.publisher is not None and self.publisher.request_keyframe():
            for hook in self.keyframe_hooks:
                hook()

    def on_frame(self, session_id: str, frame: MediaFrame) -> None:
        if self.publisher is None or self.publisher.id != session_id:
            return  # a replaced session's last packets
        if frame.kind == "video" and self.counters.keyframes == 0 and not frame.keyframe:
            self.request_keyframe()  # a session that starts mid-GOP is useless to viewers and the recording
        self.counters.count(frame)
        pts = self.timelines[frame.kind].map(frame.timestamp)
        self.fanouts[frame.kind].deliver(frame.codec, pts, frame.keyframe, frame.data)
        if self.taps:
            relayed = RelayedFrame(
                self.room_id, self.name, frame.kind, frame.codec, pts, frame.keyframe, frame.data
            )
            for tap in self.taps:
                tap(relayed)

    def local_viewer_tracks(self) -> int:
        return len(self.fanouts["video"].tracks)


@dataclass
class RoomStream:
    room_id: str
    slots: dict[str, Slot] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slots = {name: Slot(self.room_id, name) for name in ("host", "guest")}

    @property
    def live(self) -> bool:
        return self.slots["host"].live
