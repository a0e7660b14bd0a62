"""Media relay benchmark: one WHIP publisher, N WHEP viewers, the server's CPU and the viewers' experience.

Method
------
* Everything runs on loopback, each part in its own process: the server (`liveroom`'s
  app with only `setup_media`, optionally `--media-workers W` worker processes), one
  publisher (aiortc) and viewer processes holding up to `--per-process` viewers each.
* The publisher sends a 640×360 30 fps moving, textured test pattern as VP8 at 1 Mbps.
  By default it is encoded once up front and replayed in a loop as pre-encoded packets
  (4 s, starting with a keyframe; a keyframe request restarts the loop), so the publisher
  costs ~8 % of a core instead of ~35 %: a real host's camera and encoder are not on the
  relay's machine. `--live-encode` encodes live (and stamps the picture, below).
* Stamped frames: the publisher appends its wall clock (µs) to every VP8 frame it sends;
  the relay forwards frames byte for byte, so the stamp arrives at the end of each
  frame's last RTP packet. Viewers let aiortc do ICE and DTLS, then read RTP off their
  sockets themselves: frames and bytes are counted from the clear RTP headers, and only
  each frame's last packet is decrypted, to read the stamp. latency = viewer wall clock −
  stamp (publisher send [+ encode with `--live-encode`] + relay + loopback + the viewer
  process's own delay). `sent` = the server's abs-send-time header extension − stamp:
  the part before the viewer. `--probes` viewers (their own process) decode with aiortc
  (their frames count in the fps); with `--live-encode` they also read the capture time
  drawn in the picture (`decoded`: adds the encode, aiortc's jitter buffer and the decode).
* Join→first frame: from just before a viewer's WHEP POST to its first complete
  video frame (new viewers wait for a keyframe, which the server asks the publisher for).
* Server CPU: user+system time of the server process and its children (workers),
  over a baseline window with the publisher only, then over the measurement window
  with all viewers connected. Per-viewer CPU = (window − baseline) / N.
* Scheduling: on a machine with spare cores, the server is pinned to its own core(s) and
  the publisher to the last one; the viewer processes run SCHED_IDLE, so on loopback
  (where every packet the server sends wakes a viewer) they never preempt the server.
  They still share its core when it sleeps, and each wake-up of the server then costs a
  context switch: the server is slower here than beside no viewers at all.
* `--capacity CORES`: worker scaling. The server's whole process tree is put in a cgroup
  capped at N × CORES of CPU time (10 ms periods), for each N in `--workers`; the viewer
  count is raised, then bisected, to the most viewers *served* (all playing, ≥ 29 fps
  mean, latency p95 ≤ 100 ms). The cap stands in for "N cores" on a machine that has to
  run the viewers too.
* Bounded: every child has a deadline and is killed at the end; nothing leaves loopback.

Usage: `python bench/media_bench.py --viewers 64,150 --duration 15 [--media-workers 2]`,
`python bench/media_bench.py --capacity 0.3 --duration 10 --probes 0`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
ROOM = "bench"


# -- the three roles, each run as `media_bench.py --role …` in its own process ---------------


def serve(port: int, workers: int) -> None:
    from aiohttp import web

    from media.app import create_app
    from media.config import RoomSettings, ServerSettings
    from media.rooms import RoomDirectory
    from media.rtc.routes import setup_media

    rooms = RoomDirectory([RoomSettings(id=ROOM, title="bench", publish_token=TOKEN)])
    app = create_app(ServerSettings(data_dir="/tmp/liveroom-bench"), rooms)
    server = setup_media(app, rooms, media_workers=workers)
    # Every bench viewer comes from 127.0.0.1 and many join at once: the per-client cap on sessions
    # still connecting (against one client opening hundreds) would refuse them.
    server.pending_per_client = server.pending_total = 100_000
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


TRAILER = struct.Struct("!4sQ")  # magic, publisher wall clock in µs
MAGIC = b"LRTS"
BITRATE = 1_000_000


def stamp_encoded_frames() -> None:
    """Append a stamp (wall clock when the frame leaves the encoder stage) to every VP8 frame sent.

    The relay forwards frames byte for byte, so the stamp reaches each viewer at the end of the
    frame's last RTP packet (the one with the marker bit). VP8 decoders ignore bytes after the
    last partition, so decoding viewers still see the picture.
    """
    from aiortc.codecs.vpx import Vp8Encoder

    encode, pack = Vp8Encoder.encode, Vp8Encoder.pack

    def stamp(payloads: list[bytes], at: float) -> None:
        if payloads:
            payloads[-1] += TRAILER.pack(MAGIC, int(at * 1_000_000))

    def encoded(self: Any, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        captured = time.time()
        self.target_bitrate = BITRATE  # pinned: no congestion control moves it during a run
        payloads, timestamp = encode(self, frame, force_keyframe)
        stamp(payloads, captured)
        return payloads, timestamp

    def packed(self: Any, packet: Any) -> tuple[list[bytes], int]:
        payloads, timestamp = pack(self, packet)
        stamp(payloads, time.time())
        return payloads, timestamp

    Vp8Encoder.encode = encoded  # type: ignore[method-assign]
    Vp8Encoder.pack = packed  # type: ignore[method-assign]


class LoopedVideo:
    """A camera stand-in that costs almost nothing: the test pattern encoded once, then replayed.

    `seconds` of 640×360 30 fps VP8 at 1 Mbps are encoded up front (the first frame a keyframe);
    the track then sends them in a loop, in real time, as pre-encoded packets. A keyframe request
    (a viewer joining) restarts the loop at its keyframe, as a live encoder would send one. The
    picture stamps are stale on replay; the frame-end stamp is added as each frame is sent.
    """

    def __init__(self, seconds: float = 4.0) -> None:
        from aiortc.codecs.vpx import Vp8Encoder, vp8_depayload

        from tests.media.clients import StampedPattern

        pattern = StampedPattern(640, 360, 30, texture=True, contrast=0.3)
        encoder = Vp8Encoder()
        encoder.target_bitrate = BITRATE
        self.frames: list[bytes] = []
        for n in range(int(seconds * 30)):
            pattern._start = time.monotonic() - n / 30  # no pacing while encoding ahead
            frame = asyncio.run(pattern.recv())
            payloads, _ = encoder.encode(frame)
            self.frames.append(b"".join(vp8_depayload(p) for p in payloads))

    def track(self) -> Any:
        from fractions import Fraction

        import av
        from aiortc.mediastreams import MediaStreamTrack

        frames = self.frames

        class Replay(MediaStreamTrack):
            kind = "video"

            def __init__(self) -> None:
                super().__init__()
                self.index = 0
                self.sent = 0
                self.start: float | None = None

            def keyframe(self) -> None:
                self.index = 0

            async def recv(self) -> Any:
                if self.start is None:
                    self.start = time.monotonic()
                delay = self.start + self.sent / 30 - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                packet = av.Packet(frames[self.index])
                packet.pts = self.sent * 3000
                packet.time_base = Fraction(1, 90000)
                self.index = (self.index + 1) % len(frames)
                self.sent += 1
                return packet

        return Replay()


async def publish(base: str, seconds: float, live_encode: bool, looped: LoopedVideo | None) -> None:
    import aiohttp

    from tests.media.clients import StampedPattern, whip_publish

    stamp_encoded_frames()
    video = StampedPattern(640, 360, 30, texture=True, contrast=0.3) if live_encode else looped.track()  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        pc, resp, body = await whip_publish(http, base, ROOM, TOKEN, video=video)
        if resp.status != 201:
            raise SystemExit(f"publish refused: {resp.status} {body}")
        if not live_encode:
            sender = next(t.sender for t in pc.getTransceivers() if t.kind == "video")
            sender._send_keyframe = video.keyframe  # a viewer's keyframe request restarts the loop
        await asyncio.sleep(seconds)
        await pc.close()


def video_payload_types(sdp: str) -> set[int]:
    for line in sdp.splitlines():
        if line.startswith("m=video"):
            return {int(pt) for pt in line.split()[3:]}
    return set()


def abs_send_time_id(sdp: str) -> int | None:
    for line in sdp.splitlines():
        if line.startswith("a=extmap:") and line.endswith("abs-send-time"):
            return int(line[len("a=extmap:") :].split()[0].split("/")[0])
    return None


def abs_send_time(packet: bytes, ext_id: int) -> int | None:
    """The abs-send-time header extension (24-bit, 6.18 fixed-point seconds), read off the clear header."""
    if not packet[0] & 0x10:
        return None
    pos = 12 + 4 * (packet[0] & 0x0F)
    profile, words = struct.unpack_from("!HH", packet, pos)
    if profile != 0xBEDE:
        return None
    pos, end = pos + 4, pos + 4 + 4 * words
    while pos < end:
        byte = packet[pos]
        if byte == 0:
            pos += 1
            continue
        ident, length = byte >> 4, (byte & 0x0F) + 1
        if ident == ext_id and length == 3:
            return int.from_bytes(packet[pos + 1 : pos + 4], "big")
        pos += 1 + length
    return None


def ntp_24(wall: float) -> int:
    """A wall-clock time as abs-send-time units: 6.18 fixed-point seconds, modulo 64 s."""
    return int((wall + 2208988800) * (1 << 18)) & 0xFFFFFF


def rtp_payload_end(packet: bytes) -> tuple[int, int]:
    """(start, end) of an RTP packet's payload: after CSRCs and header extension, before padding."""
    start = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        start += 4 + 4 * struct.unpack_from("!H", packet, start + 2)[0]
    end = len(packet) - (packet[-1] if packet[0] & 0x20 else 0)
    return start, end


class LightViewer:
    """A WHEP viewer that lets aiortc do ICE and DTLS, then reads RTP itself.

    Every datagram of the connection is looked at as it arrives: RTP headers are in the
    clear, so frames (marker bits) and bytes are counted without decrypting; only each
    frame's last packet is decrypted, to read the publisher's stamp at its end. STUN
    (consent checks) and DTLS still go to aiortc. This is what lets a few client
    processes hold the hundreds of viewers a bench needs on the same two cores as the server.
    """

    def __init__(self, record: dict[str, Any], started: float, window: tuple[float, float]) -> None:
        self.record = record
        self.started = started
        self.window = window
        self.video_pts: set[int] = set()
        self.previous: bytes | None = None

    def attach(self, pc: Any, answer: str) -> None:
        from media.rtc.forwarding import _drain_on_readable

        self.video_pts = video_payload_types(answer)
        self.send_time_id = abs_send_time_id(answer)
        dtls = pc.getTransceivers()[0].receiver.transport
        connection = dtls.transport._connection
        for protocol in connection._protocols:
            original = protocol.datagram_received

            def received(data: bytes, addr: Any, original: Any = original) -> None:
                if 127 < data[0] < 192 and not 191 < data[1] < 224:
                    self.rtp(data, dtls)
                else:
                    original(data, addr)

            protocol.datagram_received = received
            # Read every queued datagram per wake-up, as the server does for its publisher.
            _drain_on_readable(protocol.transport, protocol, 64)

    def rtp(self, data: bytes, dtls: Any) -> None:
        video = data[1] & 0x7F in self.video_pts
        if not video:
            return
        now = time.time()
        in_window = self.window[0] <= now < self.window[1]
        if in_window:
            self.record["bytes"] += len(data)
        if not data[1] & 0x80:
            self.previous = data
            return
        r = self.record
        if r["first_frame_s"] is None:
            r["first_frame_s"] = time.monotonic() - self.started
        if in_window:
            r["frames"] += 1
            stamp = self.stamp(data, dtls._rx_srtp)
            if stamp is None:
                r["unreadable"] += 1
            else:
                r["latencies"].append(now * 1000 - stamp / 1000)
                sent = abs_send_time(data, self.send_time_id) if self.send_time_id else None
                if sent is not None:
                    # The server's send time: how much of the latency is before it, how much after.
                    r["server_ms"].append(((sent - ntp_24(stamp / 1e6)) & 0xFFFFFF) * 1000 / (1 << 18))
        self.previous = None

    def stamp(self, data: bytes, srtp: Any) -> int | None:
        """The publisher's stamp at the end of a frame; it may straddle the frame's last two packets."""
        try:
            tail = self.payload(srtp.unprotect(data))
            if len(tail) < TRAILER.size and self.previous is not None:
                tail = self.payload(srtp.unprotect(self.previous)) + tail
        except Exception:  # a packet that fails authentication is just not sampled
            return None
        if len(tail) < TRAILER.size:
            return None
        magic, micros = TRAILER.unpack_from(tail, len(tail) - TRAILER.size)
        return int(micros) if magic == MAGIC else None

    @staticmethod
    def payload(packet: bytes) -> bytes:
        """The VP8 frame bytes an RTP packet carries (its payload after the VP8 descriptor)."""
        from aiortc.codecs.vpx import vp8_depayload

        start, end = rtp_payload_end(packet)
        return vp8_depayload(packet[start:end])


async def view(
    base: str, count: int, probes: int, measure_at: float, duration: float, picture_stamps: bool
) -> None:
    """`count` viewers in this process; the first `probes` of them decode and read the picture stamp."""
    import aiohttp
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from tests.media.clients import latency_ms

    results: list[dict[str, Any]] = []
    pcs: list[RTCPeerConnection] = []
    end = measure_at + duration

    async def one(index: int, http: aiohttp.ClientSession) -> None:
        r: dict[str, Any] = {
            "first_frame_s": None,
            "frames": 0,
            "bytes": 0,
            "latencies": [],
            "picture_latencies": [],
            "unreadable": 0,
            "server_ms": [],
            "probe": index < probes,
        }
        results.append(r)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.append(pc)
        video = pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        t0 = time.monotonic()
        resp = await http.post(
            f"{base}/whep/{ROOM}", data=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"}
        )
        if resp.status != 201:
            r["error"] = resp.status
            return
        answer = await resp.text()
        if not r["probe"]:
            LightViewer(r, t0, (measure_at, end)).attach(pc, answer)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        if r["probe"]:
            track = video.receiver.track

            async def decode() -> None:
                while time.time() < end:
                    frame = await track.recv()
                    if r["first_frame_s"] is None:
                        r["first_frame_s"] = time.monotonic() - t0
                    if time.time() >= measure_at:
                        r["frames"] += 1
                        if picture_stamps:  # a replayed loop's pictures carry stale stamps
                            r["picture_latencies"].append(latency_ms(frame))

            asyncio.ensure_future(decode())  # noqa: RUF006 - runs until the process exits

    async with aiohttp.ClientSession() as http:
        for i in range(count):
            await one(i, http)
            await asyncio.sleep(0.02)
        await asyncio.sleep(max(0.0, end - time.time()) + 0.2)
        for pc in pcs:
            await pc.close()
    print(json.dumps(results))


# -- the orchestrator ------------------------------------------------------------------------


class CpuCap:
    """A cgroup whose processes together get at most `cores` of CPU time (v2 `cpu.max`, v1 CFS quota).

    The period is 10 ms so a capped server is held back in slices shorter than a frame
    interval, not for most of a 100 ms default period.
    """

    PERIOD_US = 10_000

    def __init__(self, name: str, cores: float) -> None:
        quota = int(cores * self.PERIOD_US)
        v2 = Path("/sys/fs/cgroup/cgroup.controllers")
        if v2.exists():
            self.path = Path("/sys/fs/cgroup") / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            self.path = Path("/sys/fs/cgroup/cpu") / name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))

    def enter(self) -> None:
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError:  # its last processes are still exiting
                time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(
    *args: str, cpus: set[int] | None = None, idle: bool = False, cgroup: CpuCap | None = None
) -> subprocess.Popen[str]:
    """A role in its own process; `cpus` pins it, `idle` makes it SCHED_IDLE (runs on what is left),
    `cgroup` caps it and its children (the media workers) together."""

    def setup() -> None:
        if cgroup is not None:
            cgroup.enter()
        if cpus:
            os.sched_setaffinity(0, cpus)
        if idle:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    return subprocess.Popen(
        [sys.executable, __file__, *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=setup,
    )


def cpu_seconds(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    total = sum(proc.cpu_times()[:2])
    for child in proc.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.NoSuchProcess:
            pass
    return total


def machine_idle_seconds() -> float:
    """Idle time of all cores together, from /proc/stat (USER_HZ ticks)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, limit_s: float) -> None:
    import urllib.request

    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer {url}")


def live(base: str) -> bool:
    import urllib.request

    with urllib.request.urlopen(f"{base}/whep/{ROOM}/status", timeout=2) as r:
        return bool(json.load(r)["live"])


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_once(n: int, args: argparse.Namespace, workers: int, cgroup: CpuCap | None = None) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cores = sorted(os.sched_getaffinity(0))
    # The server gets its own core(s) and the publisher the next, as on a real deployment where
    # neither shares a machine with hundreds of viewers; the simulated viewers run SCHED_IDLE on
    # whatever is left, so waking them never preempts the server (on loopback, every packet
    # the server sends wakes a viewer process). Under a CPU cap, the cap is the limit instead.
    server_cpus = set(cores[:workers]) if cgroup is None and len(cores) > workers else None
    publisher_cpus = {cores[-1]} if server_cpus else None
    server = spawn(
        "--role",
        "serve",
        "--port",
        str(port),
        "--media-workers",
        str(workers),
        cpus=server_cpus,
        cgroup=cgroup,
    )
    children = [server]
    try:
        wait_http(f"{base}/healthz", 30)
        join_budget = 3.0 + n * 0.08
        total = args.baseline + join_budget + args.duration + 5
        publisher = spawn(
            "--role",
            "publish",
            "--base",
            base,
            "--seconds",
            str(total),
            *(["--live-encode"] if args.live_encode else []),
            cpus=publisher_cpus,
        )
        children.append(publisher)
        end = time.monotonic() + 20
        while not live(base):
            if time.monotonic() > end:
                raise SystemExit("publisher did not go live")
            time.sleep(0.2)
        time.sleep(1.0)
        c0, t0 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(args.baseline)
        baseline = (cpu_seconds(server.pid) - c0) / (time.monotonic() - t0) * 100

        measure_at = time.time() + join_budget
        viewers = []
        probes = min(args.probes, n)
        groups = [(probes, probes)] if probes else []
        remaining = n - probes
        while remaining > 0:
            k = min(args.per_process, remaining)
            groups.append((k, 0))
            remaining -= k
        for count, decoding in groups:
            viewers.append(
                spawn(
                    "--role",
                    "view",
                    "--base",
                    base,
                    "--count",
                    str(count),
                    "--probes",
                    str(decoding),
                    "--measure-at",
                    str(measure_at),
                    "--duration",
                    str(args.duration),
                    *(["--live-encode"] if args.live_encode else []),
                    idle=True,
                )
            )
        children += viewers
        time.sleep(max(0.0, measure_at - time.time()))
        c1, t1 = cpu_seconds(server.pid), time.monotonic()
        k1 = sum(cpu_seconds(v.pid) for v in viewers)
        p1 = cpu_seconds(publisher.pid)
        idle1 = machine_idle_seconds()
        time.sleep(args.duration)
        elapsed = time.monotonic() - t1
        window = (cpu_seconds(server.pid) - c1) / elapsed * 100
        client_cpu = (sum(cpu_seconds(v.pid) for v in viewers) - k1) / elapsed * 100
        publisher_cpu = (cpu_seconds(publisher.pid) - p1) / elapsed * 100
        idle = (machine_idle_seconds() - idle1) / elapsed * 100
        results: list[dict[str, Any]] = []
        for v in viewers:
            out, _ = v.communicate(timeout=args.duration + 30)
            results += json.loads(out.strip().splitlines()[-1]) if out.strip() else []
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
    ok = [r for r in results if "error" not in r]
    fps = [r["frames"] / args.duration for r in ok]
    kbps = [r["bytes"] * 8 / args.duration / 1000 for r in ok if r["bytes"]]
    lat = [x for r in ok for x in r["latencies"]]
    relay = [x for r in ok for x in r["server_ms"]]
    # A stamp read off a picture damaged by loss is nonsense; count those apart.
    picture = [x for r in ok for x in r["picture_latencies"] if x < 10_000]
    misread = sum(r["unreadable"] for r in ok) + sum(
        1 for r in ok for x in r["picture_latencies"] if x >= 10_000
    )
    joins = [r["first_frame_s"] * 1000 for r in ok if r["first_frame_s"] is not None]
    return {
        "viewers": n,
        "connected": len(ok),
        "server_cpu_pct": round(window, 1),
        "baseline_cpu_pct": round(baseline, 1),
        "per_viewer_cpu_pct": round((window - baseline) / max(1, len(ok)), 3),
        "client_cpu_pct": round(client_cpu, 1),
        "publisher_cpu_pct": round(publisher_cpu, 1),
        "machine_idle_pct": round(idle, 1),
        "fps_mean": round(statistics.mean(fps), 1) if fps else 0.0,
        "fps_min": round(min(fps), 1) if fps else 0.0,
        "kbps_mean": round(statistics.mean(kbps), 0) if kbps else 0.0,
        "latency_p50_ms": rounded(pct(lat, 0.5)),
        "latency_p95_ms": rounded(pct(lat, 0.95)),
        "sent_p50_ms": rounded(pct(relay, 0.5)),
        "sent_p95_ms": rounded(pct(relay, 0.95)),
        "decoded_p50_ms": rounded(pct(picture, 0.5)),
        "decoded_p95_ms": rounded(pct(picture, 0.95)),
        "join_p50_ms": rounded(pct(joins, 0.5)),
        "join_p95_ms": rounded(pct(joins, 0.95)),
        "no_first_frame": len(ok) - len(joins),
        "stamp_misreads": misread,
    }


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


COLUMNS = [
    "viewers",
    "connected",
    "server_cpu_pct",
    "baseline_cpu_pct",
    "per_viewer_cpu_pct",
    "client_cpu_pct",
    "publisher_cpu_pct",
    "machine_idle_pct",
    "fps_mean",
    "fps_min",
    "kbps_mean",
    "latency_p50_ms",
    "latency_p95_ms",
    "sent_p50_ms",
    "sent_p95_ms",
    "decoded_p50_ms",
    "decoded_p95_ms",
    "join_p50_ms",
    "join_p95_ms",
    "no_first_frame",
    "stamp_misreads",
]


def served(row: dict[str, Any]) -> bool:
    """The bar a viewer count must clear to count as served: every viewer playing, full frame rate, low delay."""
    return (
        row["connected"] == row["viewers"]
        and row["no_first_frame"] == 0
        and row["fps_mean"] >= 29
        and row["latency_p95_ms"] is not None
        and row["latency_p95_ms"] <= 100
    )


def capacity(args: argparse.Namespace, workers: int) -> int:
    """Most viewers served with the server's whole process tree capped at `workers` × `--capacity` cores."""
    cap = CpuCap(f"liveroom-bench-{os.getpid()}-{workers}", workers * args.capacity)
    try:
        good, bad = 0, None
        n = max(4, int(workers * args.capacity * 100 / 0.6))  # a guess from ~0.5 % of a core per viewer
        while bad is None or bad - good > max(4, good // 20):
            row = run_once(n, args, workers, cap)
            ok = served(row)
            print(f"  {workers} worker(s), {n} viewers: " + ("served" if ok else "NOT served"), flush=True)
            print("  " + "  ".join(str(row[c]) for c in COLUMNS), flush=True)
            if ok:
                good = n
                n = int(n * 1.25) if bad is None else (good + bad) // 2
            else:
                bad = n
                n = (good + bad) // 2
            if n in (good, bad):
                break
        return good
    finally:
        cap.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=["bench", "serve", "publish", "view"], default="bench")
    parser.add_argument("--viewers", default="64,150", help="comma-separated viewer counts")
    parser.add_argument("--duration", type=float, default=15.0, help="measurement window, seconds")
    parser.add_argument("--baseline", type=float, default=3.0, help="publisher-only window, seconds")
    parser.add_argument("--media-workers", type=int, default=1)
    parser.add_argument("--probes", type=int, default=1, help="viewers that decode and read the stamp")
    parser.add_argument("--per-process", type=int, default=32, help="viewers per viewer process")
    parser.add_argument(
        "--capacity",
        type=float,
        default=0.0,
        metavar="CORES",
        help="find the most viewers served with the server capped at N × CORES (cgroup), per --workers count",
    )
    parser.add_argument("--workers", default="1,2", help="media worker counts for --capacity")
    parser.add_argument(
        "--live-encode",
        action="store_true",
        help="the publisher encodes the stamped pattern live (costs ~35 %% of a core) instead of replaying it",
    )
    parser.add_argument("--port", type=int)
    parser.add_argument("--base")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--measure-at", type=float, default=0)
    args = parser.parse_args()

    if args.role == "serve":
        serve(args.port, args.media_workers)
    elif args.role == "publish":
        looped = None if args.live_encode else LoopedVideo()
        asyncio.run(
            asyncio.wait_for(publish(args.base, args.seconds, args.live_encode, looped), args.seconds + 30)
        )
    elif args.role == "view":
        budget = args.measure_at - time.time() + args.duration + 30
        asyncio.run(
            asyncio.wait_for(
                view(args.base, args.count, args.probes, args.measure_at, args.duration, args.live_encode),
                budget,
            )
        )
    else:
        print(f"media bench: {os.cpu_count()} cores, {args.duration:g} s windows")
        if args.capacity:
            counts = [int(x) for x in args.workers.split(",")]
            print(
                f"capacity: the server's processes capped at N × {args.capacity:g} core; a count is served when"
                " every viewer plays at ≥ 29 fps mean with p95 latency ≤ 100 ms"
            )
            print("  " + "  ".join(COLUMNS))
            try:
                found = {w: capacity(args, w) for w in counts}
            except OSError as exc:
                print(f"capacity needs a writable cgroup CPU controller (root): {exc}; skipped")
                return
            for w, c in found.items():
                print(f"media workers {w} (≤ {w * args.capacity:g} core): {c} viewers served", flush=True)
            if len(found) > 1 and found[counts[0]]:
                print(
                    f"ratio {counts[-1]} : {counts[0]} workers = {found[counts[-1]] / found[counts[0]]:.2f}×"
                )
            return
        print(f"media workers {args.media_workers}")
        print("  ".join(COLUMNS))
        for n in [int(x) for x in args.viewers.split(",")]:
            row = run_once(n, args, args.media_workers)
            print("  ".join(str(row[c]) for c in COLUMNS), flush=True)
            per_viewer = row["per_viewer_cpu_pct"]
            if per_viewer > 0:
                print(f"  → ~{100 / per_viewer:.0f} viewers per core by the per-viewer cost", flush=True)


if __name__ == "__main__":
    main()
