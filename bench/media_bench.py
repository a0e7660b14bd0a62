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


async def publish(base: str, seconds: float) -> None:
    import aiohttp

    from tests.media.clients import StampedPattern, whip_publish

    async with aiohttp.ClientSession() as http:
        pc, resp, body = await whip_publish(
            http, base, ROOM, TOKEN, video=StampedPattern(640, 360, 30, texture=True)
        )
        if resp.status != 201:
            raise SystemExit(f"publish refused: {resp.status} {body}")
        await asyncio.sleep(seconds)
        await pc.close()


async def view(base: str, count: int, probes: int, measure_at: float, duration: float) -> None:
    import aiohttp
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from media.forwarding import MediaFrame, install_forwarding
    from tests.media.clients import latency_ms

    results: list[dict[str, Any]] = []
    pcs: list[RTCPeerConnection] = []
    end = measure_at + duration

    async def one(index: int, http: aiohttp.ClientSession) -> None:
        r: dict[str, Any] = {"first_frame_s": None, "frames": 0, "bytes": 0, "latencies": []}
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
        await pc.setRemoteDescription(RTCSessionDescription(await resp.text(), "answer"))

        def counted(size: int) -> None:
            if r["first_frame_s"] is None:
                r["first_frame_s"] = time.monotonic() - t0
            if measure_at <= time.time() < end:
                r["frames"] += 1
                r["bytes"] += size

        if index < probes:
            track = video.receiver.track

            async def decode() -> None:
                while time.time() < end:
                    frame = await track.recv()
                    counted(0)
                    if time.time() >= measure_at:
                        r["latencies"].append(latency_ms(frame))

            asyncio.ensure_future(decode())  # noqa: RUF006 - runs until the process exits
        else:

            def sink(frame: MediaFrame) -> None:
                counted(len(frame.data))

            install_forwarding(video, sink)

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


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True
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
    server = spawn("--role", "serve", "--port", str(port), "--media-workers", str(args.media_workers))
    children = [server]
    try:
        wait_http(f"{base}/healthz", 30)
        join_budget = 3.0 + n * 0.08
        total = args.baseline + join_budget + args.duration + 5
        children.append(spawn("--role", "publish", "--base", base, "--seconds", str(total)))
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
        remaining, probes = n, min(args.probes, n)
        while remaining > 0:
            k = min(args.per_process, remaining)
            viewers.append(
                spawn(
                    "--role",
                    "view",
                    "--base",
                    base,
                    "--count",
                    str(k),
                    "--probes",
                    str(probes),
                    "--measure-at",
                    str(measure_at),
                    "--duration",
                    str(args.duration),
                )
            )
            probes, remaining = 0, remaining - k
        children += viewers
        time.sleep(max(0.0, measure_at - time.time()))
        c1, t1 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(args.duration)
        window = (cpu_seconds(server.pid) - c1) / (time.monotonic() - t1) * 100
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
    # A stamp read off a frame damaged by loss is nonsense; count those apart.
    lat = [x for r in ok for x in r["latencies"] if x < 10_000]
    misread = sum(1 for r in ok for x in r["latencies"] if x >= 10_000)
    joins = [r["first_frame_s"] * 1000 for r in ok if r["first_frame_s"] is not None]
    return {
        "viewers": n,
        "connected": len(ok),
        "server_cpu_pct": round(window, 1),
        "baseline_cpu_pct": round(baseline, 1),
        "per_viewer_cpu_pct": round((window - baseline) / max(1, len(ok)), 3),
        "fps_mean": round(statistics.mean(fps), 1) if fps else 0.0,
        "fps_min": round(min(fps), 1) if fps else 0.0,
        "kbps_mean": round(statistics.mean(kbps), 0) if kbps else 0.0,
        "latency_p50_ms": pct(lat, 0.5),
        "latency_p95_ms": pct(lat, 0.95),
        "join_p50_ms": round(pct(joins, 0.5) or 0, 0),
        "join_p95_ms": round(pct(joins, 0.95) or 0, 0),
        "no_first_frame": len(ok) - len(joins),
        "stamp_misreads": misread,
    }


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
            "fps_mean",
            "fps_min",
            "kbps_mean",
            "latency_p50_ms",
            "latency_p95_ms",
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
