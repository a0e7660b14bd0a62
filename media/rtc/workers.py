"""`--media-workers N`: viewers spread over N processes, all fed the same encoded frames.

The per-viewer work (packetize, SRTP, send) runs on one event loop, so one process
tops out near one core. With N > 1 the main process keeps ingest, HTTP and the
stream health; each worker process holds viewer peer connections. The main
process sends every relayed frame once per worker over a Unix socket (no
re-encode); workers send back answers, keyframe requests, departures and stats.

Wire format, both ways: 4-byte length, 1-byte type (`J` JSON, `F` frame), payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiortc.sdp import candidate_from_sdp, candidate_to_sdp

from media.config import IceServer
from media.rtc.offers import MediaError, OfferSummary, rtc_ice_servers
from media.rtc.turn import for_own_peers

FRAME_HEADER = struct.Struct("!BB?qH")  # slot, kind+codec, keyframe, pts, room id length
SLOTS = ("host", "guest")
CODECS = (("audio", "opus"), ("video", "VP8"), ("video", "H264"))
MAX_WORKER_BACKLOG = 4 * 1024 * 1024
log = logging.getLogger(__name__)
KEYFRAME_ASK_INTERVAL = 0.25
RESTART_BACKOFF_S = 5.0


def encode_message(kind: bytes, payload: bytes) -> bytes:
    return struct.pack("!IB", len(payload) + 1, kind[0]) + payload


def encode_json(message: dict[str, Any]) -> bytes:
    return encode_message(b"J", json.dumps(message).encode())


def encode_frame(
    room_id: str, slot: str, kind: str, codec: str, pts: int, keyframe: bool, data: bytes
) -> bytes:
    room = room_id.encode()
    header = FRAME_HEADER.pack(SLOTS.index(slot), CODECS.index((kind, codec)), keyframe, pts, len(room))
    return encode_message(b"F", header + room + data)


def decode_frame(payload: bytes) -> tuple[str, str, str, str, int, bool, bytes]:
    slot, kc, keyframe, pts, room_len = FRAME_HEADER.unpack_from(payload)
    start = FRAME_HEADER.size
    room_id = payload[start : start + room_len].decode()
    kind, codec = CODECS[kc]
    return room_id, SLOTS[slot], kind, codec, pts, keyframe, payload[start + room_len :]


async def read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readexactly(5)
    length, kind = struct.unpack("!IB", head)
    return bytes([kind]), await reader.readexactly(length - 1)


# -- main process side ------------------------------------------------------


@dataclass
class WorkerLink:
    index: int
    process: asyncio.subprocess.Process
    writer: asyncio.StreamWriter | None = None
    viewers: dict[str, str] = field(default_factory=dict)  # session id → room id
    rtts: dict[str, list[float]] = field(default_factory=dict)
    behind: set[tuple[str, str]] = field(default_factory=set)  # (room, slot) cut back to a keyframe
    dropped: int = 0
    restarts: int = 0
    restarted_at: float = 0.0


class WorkerPool:
    def __init__(
        self,
        count: int,
        on_keyframe: Callable[[str, str], None],
        on_gone: Callable[[str], None],
        start_timeout: float = 30.0,
    ) -> None:
        self.count = count
        self.on_keyframe = on_keyframe
        self.on_gone = on_gone
        self.on_connected: Callable[[str], None] = lambda session_id: None
        self.start_timeout = start_timeout
        self.links: list[WorkerLink] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._dir = tempfile.mkdtemp(prefix="liveroom-media-")
        self._path = os.path.join(self._dir, "workers.sock")
        self._server: asyncio.AbstractServer | None = None
        self._connected: dict[int, asyncio.Event] = {}
        self._readers: set[asyncio.Task[None]] = set()
        self._restarting: set[asyncio.Task[None]] = set()
        self._trickles = 0
        self._closing = False

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        self._connected[index] = asyncio.Event()
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "media.rtc.workers", self._path, str(index)
        )

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._accept, path=self._path)
        for index in range(self.count):
            self.links.append(WorkerLink(index, await self._spawn(index)))
        await asyncio.wait_for(
            asyncio.gather(*(e.wait() for e in self._connected.values())), self.start_timeout
        )

    async def _restart(self, link: WorkerLink) -> None:
        """A worker that died (or hung up) is replaced; its viewers were already told to reconnect."""
        try:
            await asyncio.wait_for(link.process.wait(), 5)
        except TimeoutError:
            link.process.kill()
            await link.process.wait()
        code = link.process.returncode
        if self._closing or code in (-signal.SIGTERM, -signal.SIGINT):
            return  # stopped on purpose (the whole server is shutting down), not crashed
        if link.restarts and time.monotonic() - link.restarted_at < RESTART_BACKOFF_S:
            await asyncio.sleep(RESTART_BACKOFF_S)  # crashing at start-up: not in a tight loop
        log.warning("media worker %d exited (code %s); starting a new one", link.index, code)
        link.restarted_at = time.monotonic()
        link.behind.clear()
        link.rtts.clear()
        link.process = await self._spawn(link.index)
        link.restarts += 1
        try:
            await asyncio.wait_for(self._connected[link.index].wait(), self.start_timeout)
        except TimeoutError:
            log.error("media worker %d did not come back within %.0f s", link.index, self.start_timeout)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _kind, payload = await read_message(reader)
        hello = json.loads(payload)
        link = self.links[int(hello["worker"])]
        link.writer = writer
        self._connected[link.index].set()
        try:
            while True:
                _kind, payload = await read_message(reader)
                self._handle(link, json.loads(payload))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for session_id in list(link.viewers):
                self.on_gone(session_id)
            link.viewers.clear()
            if link.writer is writer:
                link.writer = None
                if not self._closing:
                    task = asyncio.ensure_future(self._restart(link))
                    self._restarting.add(task)
                    task.add_done_callback(self._restarting.discard)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _handle(self, link: WorkerLink, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op in ("answer", "error", "trickled"):
            future = self._pending.pop(message["id"], None)
            if future is not None and not future.done():
                future.set_result(message)
        elif op == "keyframe":
            self.on_keyframe(message["room"], message["slot"])
        elif op == "gone":
            link.viewers.pop(message["id"], None)
            self.on_gone(message["id"])
        elif op == "connected":
            self.on_connected(message["id"])
        elif op == "stats":
            link.rtts = {room: list(values) for room, values in message.get("rtts", {}).items()}

    def tap(self, frame: Any) -> None:
        """Main-process slot tap: one frame to every worker that has viewers in the room."""
        data: bytes | None = None
        for link in self.links:
            writer = link.writer
            if writer is None or frame.room_id not in link.viewers.values():
                continue
            key = (frame.room_id, frame.slot)
            if writer.transport.get_write_buffer_size() > MAX_WORKER_BACKLOG:
                link.dropped += 1
                link.behind.add(key)  # this worker resumes at the next keyframe
                continue
            if key in link.behind:
                if frame.kind == "video" and not frame.keyframe:
                    link.dropped += 1
                    continue
                if frame.kind == "video":
                    link.behind.discard(key)
            if data is None:
                data = encode_frame(
                    frame.room_id, frame.slot, frame.kind, frame.codec, frame.pts, frame.keyframe, frame.data
                )
            writer.write(data)

    async def play(
        self,
        room_id: str,
        session_id: str,
        offer_sdp: str,
        summary: OfferSummary,
        ice_servers: tuple[IceServer, ...],
        video_codecs: tuple[str, ...],
    ) -> tuple[int, str]:
        live = [link for link in self.links if link.writer is not None]
        if not live:
            raise MediaError(503, "no media worker is running")
        link = min(live, key=lambda w: len(w.viewers))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[session_id] = future
        assert link.writer is not None
        link.writer.write(
            encode_json(
                {
                    "op": "play",
                    "id": session_id,
                    "room": room_id,
                    "sdp": offer_sdp,
                    "kinds": list(summary.kinds),
                    "video_codecs": list(summary.video_codecs),
                    "ice": [
                        {"urls": list(s.urls), "username": s.username, "credential": s.credential}
                        for s in for_own_peers(ice_servers)  # the secret stays in this process
                    ],
                    "video_codecs_answered": list(video_codecs),
                }
            )
        )
        try:
            reply = await asyncio.wait_for(future, 20)
        finally:
            self._pending.pop(session_id, None)
        if reply["op"] == "error":
            raise MediaError(int(reply["status"]), str(reply["message"]))
        link.viewers[session_id] = room_id
        return link.index, str(reply["sdp"])

    async def trickle(self, worker: int, session_id: str, candidates: list[Any]) -> int:
        """Trickled ICE candidates for a viewer held by a worker; how many it took, or MediaError."""
        link = self.links[worker]
        if link.writer is None or session_id not in link.viewers:
            raise MediaError(404, "no such WHEP session")
        self._trickles += 1
        request_id = f"{session_id}#trickle{self._trickles}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        link.writer.write(
            encode_json(
                {
                    "op": "trickle",
                    "id": request_id,
                    "session": session_id,
                    "candidates": [
                        {"sdp": candidate_to_sdp(c), "mid": c.sdpMid, "index": c.sdpMLineIndex}
                        for c in candidates
                    ],
                }
            )
        )
        try:
            reply = await asyncio.wait_for(future, 10)
        finally:
            self._pending.pop(request_id, None)
        if reply.get("status", 204) >= 400:
            raise MediaError(int(reply["status"]), str(reply["message"]))
        return int(reply.get("added", 0))

    async def end(self, worker: int, session_id: str) -> None:
        link = self.links[worker]
        link.viewers.pop(session_id, None)
        if link.writer is not None:
            link.writer.write(encode_json({"op": "end", "id": session_id}))

    def rtts(self, room_id: str) -> list[float]:
        return [r for link in self.links for r in link.rtts.get(room_id, [])]

    async def close(self) -> None:
        self._closing = True
        for task in list(self._restarting):
            task.cancel()
        for link in self.links:
            if link.writer is not None:
                link.writer.write(encode_json({"op": "quit"}))
        for link in self.links:
            try:
                await asyncio.wait_for(link.process.wait(), 10)
            except TimeoutError:
                link.process.kill()
                await link.process.wait()
        for link in self.links:
            if link.writer is not None:
                link.writer.close()
                with contextlib.suppress(ConnectionError):
                    await link.writer.wait_closed()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        with contextlib.suppress(OSError):
            os.unlink(self._path)
            os.rmdir(self._dir)


# -- worker process side ----------------------------------------------------


class Worker:
    def __init__(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        from media.rtc.relay import Fanout
        from media.rtc.viewers import ViewerPeer

        self.index = index
        self.reader = reader
        self.writer = writer
        self.fanouts: dict[tuple[str, str, str], Fanout] = {}
        self.viewers: dict[str, ViewerPeer] = {}
        self._asked: dict[tuple[str, str], float] = {}

    def send(self, message: dict[str, Any]) -> None:
        self.writer.write(encode_json(message))

    def fanout(self, room_id: str, slot: str, kind: str) -> Any:
        from media.rtc.relay import Fanout

        key = (room_id, slot, kind)
        if key not in self.fanouts:
            self.fanouts[key] = Fanout(kind, lambda: self.ask_keyframe(room_id, slot))
        return self.fanouts[key]

    def ask_keyframe(self, room_id: str, slot: str) -> None:
        now = time.monotonic()
        if now - self._asked.get((room_id, slot), -1e9) >= KEYFRAME_ASK_INTERVAL:
            self._asked[(room_id, slot)] = now
            self.send({"op": "keyframe", "room": room_id, "slot": slot})

    async def play(self, message: dict[str, Any]) -> None:
        from media.rtc.viewers import open_viewer

        session_id, room_id = message["id"], message["room"]
        summary = OfferSummary(tuple(message["kinds"]), (), tuple(message["video_codecs"]), None)
        ice = rtc_ice_servers(
            tuple(IceServer(tuple(s["urls"]), s.get("username"), s.get("credential")) for s in message["ice"])
        )
        try:
            peer = await open_viewer(
                session_id,
                room_id,
                message["sdp"],
                summary,
                lambda slot, kind: self.fanout(room_id, slot, kind),
                ice,
                tuple(message.get("video_codecs_answered", ())),
                self.gone,
                on_connected=lambda sid: self.send({"op": "connected", "id": sid}),
            )
        except MediaError as exc:
            self.send({"op": "error", "id": session_id, "status": exc.status, "message": exc.message})
            return
        self.viewers[session_id] = peer
        self.send({"op": "answer", "id": session_id, "sdp": peer.answer})

    async def trickle(self, message: dict[str, Any]) -> None:
        peer = self.viewers.get(message["session"])
        reply: dict[str, Any] = {"op": "trickled", "id": message["id"], "status": 204, "added": 0}
        if peer is None:
            reply.update(status=404, message="no such WHEP session")
        else:
            for item in message["candidates"]:
                candidate = candidate_from_sdp(item["sdp"])
                candidate.sdpMid, candidate.sdpMLineIndex = item["mid"] or "0", item["index"]
                try:
                    await peer.pc.addIceCandidate(candidate)
                except Exception as exc:
                    reply.update(status=400, message=f"cannot use candidate: {exc}")
                    break
                reply["added"] += 1
        self.send(reply)

    def gone(self, session_id: str) -> None:
        if self.viewers.pop(session_id, None) is not None:
            self.send({"op": "gone", "id": session_id})

    async def report(self) -> None:
        while True:
            await asyncio.sleep(2.0)
            rtts: dict[str, list[float]] = {}
            for peer in list(self.viewers.values()):
                rtt = await peer.rtt_ms()
                if rtt is not None:
                    rtts.setdefault(peer.room_id, []).append(rtt)
            self.send({"op": "stats", "viewers": len(self.viewers), "rtts": rtts})

    async def run(self) -> None:
        self.send({"op": "hello", "worker": self.index})
        reporter = asyncio.create_task(self.report())
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                kind, payload = await read_message(self.reader)
                if kind == b"F":
                    room_id, slot, media_kind, codec, pts, keyframe, data = decode_frame(payload)
                    self.fanout(room_id, slot, media_kind).deliver(codec, pts, keyframe, data)
                    continue
                message = json.loads(payload)
                if message["op"] in ("play", "trickle"):
                    # Answered in the background: a slow offer must not hold up the frames behind it.
                    handler = self.play if message["op"] == "play" else self.trickle
                    task = asyncio.create_task(handler(message))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                elif message["op"] == "end":
                    peer = self.viewers.pop(message["id"], None)
                    if peer is not None:
                        await peer.close()
                elif message["op"] == "quit":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            reporter.cancel()
            for peer in list(self.viewers.values()):
                await peer.close()


async def _worker_main(path: str, index: int) -> None:
    reader, writer = await asyncio.open_unix_connection(path)
    await Worker(index, reader, writer).run()
    writer.close()


if __name__ == "__main__":
    asyncio.run(_worker_main(sys.argv[1], int(sys.argv[2])))
