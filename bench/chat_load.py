"""Chat fan-out benchmark: N viewers on one room, M chat messages/s in; prints delivery latency
p50/p99, the server's CPU % and memory per connection. Loopback only; not a test.

The server runs in a process of its own (the real hub on a temporary SQLite file); this
process is the load generator. Most viewers are raw sockets that read and discard what
they get (cheap, so the generator does not become the bottleneck); `--sample` of them are
full WebSocket clients that time every line from the moment it was sent.

    .venv/bin/python bench/chat_load.py --viewers 500 --rate 100 --seconds 10
    .venv/bin/python bench/chat_load.py --viewers 2000,5000,8000 --rate 100 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_SECONDS = 40  # raw viewers do not answer the server's 30 s heartbeat pings


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- the server process


async def serve(port: int, db_path: str, batch: float) -> None:
    from aiohttp import web

    from media.app import create_app
    from media.config import Moderation, RoomSettings, ServerSettings
    from media.hub import setup_room
    from media.rooms import RoomDirectory
    from media.store.db import Database

    db = Database.open(f"sqlite+aiosqlite:///{db_path}")
    await db.migrate()
    room = RoomSettings(
        id="bench",
        title="bench",
        moderation=Moderation(max_message_length=200, rate_messages=10_000, rate_per_seconds=1),
    )
    app = create_app(ServerSettings(secret="bench-secret"), RoomDirectory([room]))
    setup_room(app, db, batch_interval=batch)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
    print("READY", flush=True)
    await asyncio.Event().wait()


# ---------------------------------------------------------------- the generator


class RawViewer(asyncio.Protocol):
    """A viewer that completes the WebSocket handshake, then reads and drops every byte."""

    def __init__(self, ready: asyncio.Future[None]) -> None:
        self.ready = ready
        self.head = b""
        self.bytes = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        transport.write(
            (
                "GET /ws/bench HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        self.bytes += len(data)
        if not self.ready.done():
            self.head += data
            if b"\r\n\r\n" in self.head:
                if self.head.startswith(b"HTTP/1.1 101"):
                    self.ready.set_result(None)
                else:
                    self.ready.set_exception(RuntimeError(self.head[:80].decode(errors="replace")))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed during handshake"))


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    send_errors: int = 0


async def sampled_viewer(
    session: object, url: str, results: Results, stop: asyncio.Event, send_every: float | None
) -> None:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    async with session.ws_connect(url, max_msg_size=0) as ws:

        async def speak() -> None:
            assert send_every is not None
            await asyncio.sleep(send_every * (secrets.randbelow(1000) / 1000))
            while not stop.is_set():
                try:
                    await ws.send_str(json.dumps({"type": "chat", "text": f"bench {time.monotonic_ns()}"}))
                    results.sent += 1
                except Exception:
                    results.send_errors += 1
                await asyncio.sleep(send_every)

        speaker = asyncio.create_task(speak()) if send_every else None
        pattern = re.compile(r"bench (\d+)")
        while not stop.is_set():
            try:
                msg = await ws.receive(timeout=0.5)
            except TimeoutError:
                continue
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            now = time.monotonic_ns()
            for stamp in pattern.findall(msg.data):
                results.latencies.append((now - int(stamp)) / 1e9)
        if speaker:
            speaker.cancel()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, batch: float) -> subprocess.Popen[bytes]:
    """The hub in a process of its own, on a fresh SQLite file; returns once it listens."""
    tmp = tempfile.mkdtemp(prefix="chat-load-")
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            str(port),
            "--db",
            os.path.join(tmp, "bench.db"),
            "--batch",
            str(batch),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert server.stdout is not None
    if b"READY" not in server.stdout.readline():
        server.kill()
        raise RuntimeError("server did not start")
    return server


async def run_one(
    server: subprocess.Popen[bytes], port: int, n: int, rate: float, seconds: float, sample: int, senders: int
) -> dict[str, object]:
    import aiohttp
    import psutil

    proc = psutil.Process(server.pid)
    rss_idle = proc.memory_info().rss
    loop = asyncio.get_running_loop()
    raw = []
    sem = asyncio.Semaphore(200)
    raw_count = max(0, n - sample)

    async def open_raw() -> None:
        async with sem:
            ready: asyncio.Future[None] = loop.create_future()
            _, protocol = await loop.create_connection(lambda: RawViewer(ready), "127.0.0.1", port)
            await asyncio.wait_for(ready, 30)
            raw.append(protocol)

    started = time.monotonic()
    await asyncio.gather(*(open_raw() for _ in range(raw_count)))
    results = Results()
    stop = asyncio.Event()
    url = f"http://127.0.0.1:{port}/ws/bench"
    session = aiohttp.ClientSession()
    send_every = senders / rate if rate > 0 else None
    tasks = [
        asyncio.create_task(sampled_viewer(session, url, results, stop, send_every if i < senders else None))
        for i in range(sample)
    ]
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(2.0)  # let joins settle before measuring
    rss_loaded = proc.memory_info().rss
    results.latencies.clear()
    results.sent = 0
    proc.cpu_percent(None)
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    cpu = proc.cpu_percent(None)
    elapsed = time.monotonic() - t0
    latencies = list(results.latencies)
    sent = results.sent
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        metrics = await resp.text()
    await session.close()
    dropped = re.search(r"^liveroom_ws_dropped_total ([0-9.e+]+)", metrics, re.M)
    for protocol in raw:
        if protocol.transport:
            protocol.transport.close()
    return {
        "viewers": n,
        "rate_in": round(sent / elapsed, 1),
        "connect_s": round(connect_seconds, 1),
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "server_cpu_pct": round(cpu, 1),
        "kib_per_conn": round((rss_loaded - rss_idle) / max(1, n) / 1024, 1),
        "server_rss_mib": round(rss_loaded / 2**20, 1),
        "dropped_frames": int(float(dropped.group(1))) if dropped else 0,
        "raw_bytes_per_viewer_s": round(statistics.mean([p.bytes for p in raw]) / (elapsed + 2), 1)
        if raw
        else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--viewers", default="500", help="N, or a comma list to push N up (e.g. 2000,5000,8000)"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="chat messages per second in (M)")
    parser.add_argument("--seconds", type=float, default=10.0, help=f"measurement window (≤ {MAX_SECONDS})")
    parser.add_argument("--sample", type=int, default=60, help="full clients that time delivery")
    parser.add_argument("--senders", type=int, default=50, help="how many of the sampled clients send chat")
    parser.add_argument("--batch", type=float, default=0.1, help="server batch interval, seconds")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit()
    if args.serve:
        asyncio.run(serve(args.serve, args.db, args.batch))
        return
    if args.seconds > MAX_SECONDS:
        parser.error(f"--seconds must be ≤ {MAX_SECONDS}")
    senders = min(args.senders, args.sample)
    print(f"chat load: rate {args.rate}/s in, {senders} senders, {args.sample} sampled clients, "
          f"batch {args.batch * 1000:.0f} ms, {args.seconds:.0f} s per run, {os.cpu_count()} cores")  # fmt: skip
    for n in [int(x) for x in args.viewers.split(",")]:
        port = free_port()
        server = start_server(port, args.batch)
        try:
            row = asyncio.run(run_one(server, port, n, args.rate, args.seconds, min(args.sample, n), senders))
        except Exception as exc:  # a run that breaks is a result too
            print(json.dumps({"viewers": n, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
            continue
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
