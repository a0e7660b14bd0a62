"""Recording a show to WebM (VP8) or Matroska (H.264) by muxing the received packets as they are.

Muxing runs on a thread of its own so a slow disk never holds up the relay; the
file starts at the first video keyframe so it plays from its first second.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from media.rtc.forwarding import vp8_dimensions

log = logging.getLogger(__name__)

MAX_BACKLOG = 2000


@dataclass(frozen=True, slots=True)
class RecordedPacket:
    kind: str
    codec: str
    pts: int
    keyframe: bool
    data: bytes


class Recorder:
    def __init__(self, directory: Path, stem: str) -> None:
        self.directory = directory
        self.stem = stem
        self.path: Path | None = None
        self.packets = 0
        self.dropped = 0
        self.error: str | None = None
        self._queue: queue.Queue[RecordedPacket | None] = queue.Queue(maxsize=MAX_BACKLOG)
        self._thread = threading.Thread(target=self._run, name=f"recorder-{stem}", daemon=True)
        self._thread.start()

    def write(self, packet: RecordedPacket) -> None:
        try:
            self._queue.put_nowait(packet)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Finish the file (blocks until the muxer thread has written the trailer)."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        container: Any = None
        streams: dict[str, Any] = {}
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    break
                if container is None:
                    if item.kind != "video" or not item.keyframe:
                        continue
                    container, streams = self._open(item)
                stream = streams.get(item.kind)
                if stream is None:
                    continue
                packet = av.Packet(item.data)
                packet.pts = packet.dts = item.pts
                packet.time_base = Fraction(1, 90000 if item.kind == "video" else 48000)
                packet.is_keyframe = item.keyframe
                packet.stream = stream
                container.mux(packet)
                self.packets += 1
        except Exception as exc:  # a recording problem must never take the show down
            self.error = repr(exc)
            log.exception("recording %s failed", self.path)
            while self._queue.get() is not None:
                pass
        finally:
            if container is not None:
                try:
                    container.close()
                except Exception:
                    log.exception("closing recording %s failed", self.path)

    def _open(self, first: RecordedPacket) -> tuple[Any, dict[str, Any]]:
        self.directory.mkdir(parents=True, exist_ok=True)
        webm = first.codec == "VP8"
        self.path = self.directory / f"{self.stem}.{'webm' if webm else 'mkv'}"
        container = av.open(str(self.path), "w", format="webm" if webm else "matroska")
        video = container.add_stream("libvpx" if webm else "h264", rate=30)
        video.time_base = Fraction(1, 90000)
        dims = vp8_dimensions(first.data) if webm else None
        if dims is not None:
            video.width, video.height = dims
        audio = container.add_stream("libopus", rate=48000)
        audio.time_base = Fraction(1, 48000)
        return container, {"video": video, "audio": audio}
