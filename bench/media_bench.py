"""Media relay benchmark: one WHIP publisher, N WHEP viewers, the server's CPU and the viewers' experience.

Method
------
* Everything runs on loopback, each part in its own process: the server (`liveroom`'s
  app with only `setup_media`, optionally `--media-workers W` worker processes), one
  publisher (aiortc, a 640×360 30 fps moving test pattern whose top rows carry the
  capture time in ms as black/white blocks, VP8 at whatever bitrate the encoder
  settles at, ~1 Mbps), and viewer processes holding up to `--per-process` viewers each.
* Viewers do not decode (the same forwarding hook the server uses hands them the
  encoded frames); `--probes` viewers do decode, and read the stamp back:
  publisher→viewer latency = viewer wall clock − stamped capture time (so it includes
  the publisher's encode and the probe's decode).
* Join→first frame: from just before a viewer's WHEP POST to its first complete
  video frame (new viewers wait for a keyframe, which the server asks the publisher for).
* Server CPU: user+system time of the server process and its children (workers),
  over a baseline window with the publisher only, then over the measurement window
  with all viewers connected. Per-viewer CPU = (window − baseline) / N.
* Bounded: every child has a deadline and is killed at the end; nothing leaves loopback.

Usage: `python bench/media_bench.py --viewers 8,32 --duration 10 [--media-workers 2]`.
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
    from media.server import setup_media

    rooms = RoomDirectory([RoomSettings(id=ROOM, title="bench", publish_token=TOKEN)])
    app = create_app(ServerSettings(data_dir="/tmp/liveroom-bench"), rooms)
    setup_media(app, rooms, media_workers=workers)
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


TRAILER = struct.Struct("!4sQ")  # magic, publisher wall clock in µs
MAGIC = b"LRTS"
BITRATE = 1_000_000


def stamp_encoded_frames() -> None:
    """Append a capture stamp to every VP8 frame the publisher encodes.

    The relay forwards frames byte for byte, so the stamp reaches each viewer at the end of the
    frame's last RTP packet (the one with the marker bit). VP8 decoders ignore bytes after the
    last partition, so decoding viewers still see the picture.
    """
    from aiortc.codecs.vpx import Vp8Encoder

    encode = Vp8Encoder.encode

    def stamped(self: Any, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        captured = time.time()
        self.target_bitrate = BITRATE  # pinned: no congestion control moves it during a run
        payloads, timestamp = encode(self, frame, force_keyframe)
        if payloads:
            payloads[-1] += TRAILER.pack(MAGIC, int(captured * 1_000_000))
        return payloads, timestamp

    Vp8Encoder.encode = stamped  # type: ignore[method-assign]


async def publish(base: str, seconds: float) -> None:
    import aiohttp

    from tests.media.clients import StampedPattern, whip_publish

    stamp_encoded_frames()
    async with aiohttp.ClientSession() as http:
        pc, resp, body = await whip_publish(
            http, base, ROOM, TOKEN, video=StampedPattern(640, 360, 30, texture=True, contrast=0.3)
        )
        if resp.status != 201:
            raise SystemExit(f"publish refused: {resp.status} {body}")
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


async def view(base: str, count: int, probes: int, measure_at: float, duration: float) -> None:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(*args: str, cpus: set[int] | None = None, idle: bool = False) -> subprocess.Popen[str]:
    """A role in its own process; `cpus` pins it, `idle` makes it SCHED_IDLE (runs on what is left)."""

    def setup() -> None:
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


def run_once(n: int, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cores = sorted(os.sched_getaffinity(0))
    # The server gets its own core(s) and the publisher the next, as on a real deployment where
    # neither shares a machine with hundreds of viewers; the simulated viewers run SCHED_IDLE on
    # whatever is left, so waking them never preempts the server (on loopback, every packet
    # the server sends wakes a viewer process).
    server_cpus = set(cores[: args.media_workers]) if len(cores) > args.media_workers else None
    publisher_cpus = {cores[-1]} if server_cpus else None
    server = spawn(
        "--role", "serve", "--port", str(port), "--media-workers", str(args.media_workers), cpus=server_cpus
    )
    children = [server]
    try:
        wait_http(f"{base}/healthz", 30)
        join_budget = 3.0 + n * 0.08
        total = args.baseline + join_budget + args.duration + 5
        publisher = spawn("--role", "publish", "--base", base, "--seconds", str(total), cpus=publisher_cpus)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=["bench", "serve", "publish", "view"], default="bench")
    parser.add_argument("--viewers", default="8,32", help="comma-separated viewer counts")
    parser.add_argument("--duration", type=float, default=10.0, help="measurement window, seconds")
    parser.add_argument("--baseline", type=float, default=3.0, help="publisher-only window, seconds")
    parser.add_argument("--media-workers", type=int, default=1)
    parser.add_argument("--probes", type=int, default=2, help="viewers that decode and read the stamp")
    parser.add_argument("--per-process", type=int, default=32, help="viewers per viewer process")
    parser.add_argument("--port", type=int)
    parser.add_argument("--base")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--measure-at", type=float, default=0)
    args = parser.parse_args()

    if args.role == "serve":
        serve(args.port, args.media_workers)
    elif args.role == "publish":
        asyncio.run(asyncio.wait_for(publish(args.base, args.seconds), args.seconds + 30))
    elif args.role == "view":
        budget = args.measure_at - time.time() + args.duration + 30
        asyncio.run(
            asyncio.wait_for(view(args.base, args.count, args.probes, args.measure_at, args.duration), budget)
        )
    else:
        print(
            f"media bench: {os.cpu_count()} cores, media workers {args.media_workers}, {args.duration:g} s windows"
        )
        columns = [
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
        print("  ".join(columns))
        for n in [int(x) for x in args.viewers.split(",")]:
            row = run_once(n, args)
            print("  ".join(str(row[c]) for c in columns), flush=True)
            per_viewer = row["per_viewer_cpu_pct"]
            if per_viewer > 0:
                print(f"  → ~{100 / per_viewer:.0f} viewers per core by the per-viewer cost", flush=True)


if __name__ == "__main__":
    main()
