"""Chat fan-out benchmark: N viewers on one room, M chat messages/s in; prints delivery latency
p50/p99, the server's CPU %, its event-loop lag, and the load generator's own CPU. Loopback
only; not a test.

Processes, so that the generator is not what gets measured:

* the server — the real hub on a temporary SQLite file; a bench-only probe in it measures
  event-loop lag (a 10 ms sleep that wakes late) and GC pauses, read at `/_bench/loop`;
* `--gen-procs` raw-viewer workers — plain sockets that complete the WebSocket handshake,
  then read and drop every byte from a bare epoll loop (no asyncio, no frame parsing);
* one sampler — `--sample` full WebSocket clients (`--senders` of them also send the chat)
  that time every line from the moment it was sent, with nothing else to do;
* this process, which only starts the others and reads everyone's CPU over the window.

If a generator worker or the sampler shows ~100 % CPU, or the sampler's loop lag is high,
the numbers describe the generator, not the server — the row says so (`generator_saturated`).

    .venv/bin/python bench/chat_load.py --viewers 500 --rate 100 --seconds 10
    .venv/bin/python bench/chat_load.py --viewers 2000,5000,8000 --rate 100 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import os
import re
import resource
import secrets
import select
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAX_SECONDS = 40  # raw viewers do not answer the server's 30 s heartbeat pings
LAG_TICK = 0.01  # the loop-lag probe sleeps this long and records how late it wakes
SATURATED_PCT = 85.0  # a generator process above this share of one core may be the bottleneck


def raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class LoopProbe:
    """Event-loop lag (how late a short sleep wakes) and GC pauses, since the last `take`."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.gc: list[tuple[int, float]] = []
        self._gc_start = 0.0

    def install_gc(self) -> None:
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc.append((int(info.get("generation", 0)), time.perf_counter() - self._gc_start))

    async def run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(LAG_TICK)
            self.lags.append(max(0.0, time.perf_counter() - t0 - LAG_TICK))

    def take(self) -> dict[str, float]:
        lags, self.lags = self.lags, []
        pauses, self.gc = self.gc, []
        gen2 = [d for g, d in pauses if g == 2]
        return {
            "lag_p99_ms": round(percentile(lags, 99) * 1000, 1),
            "lag_max_ms": round(max(lags, default=0.0) * 1000, 1),
            "stalls_over_50ms": sum(1 for x in lags if x > 0.05),
            "gc_max_ms": round(max((d for _, d in pauses), default=0.0) * 1000, 1),
            "gc_gen2": len(gen2),
        }


# ---------------------------------------------------------------- the server process


async def serve(port: int, db_path: str, batch: float) -> None:
    from aiohttp import web

    from media.app import create_app
    from media.config import Moderation, RoomSettings, ServerSettings
    from media.rooms import RoomDirectory
    from media.store.db import Database
    from media.web.routes import setup_room

    db = Database.open(f"sqlite+aiosqlite:///{db_path}")
    await db.migrate()
    room = RoomSettings(
        id="bench",
        title="bench",
        moderation=Moderation(max_message_length=200, rate_messages=10_000, rate_per_seconds=1),
    )
    app = create_app(ServerSettings(secret="bench-secret"), RoomDirectory([room]))
    setup_room(app, db, batch_interval=batch)
    probe = LoopProbe()
    probe.install_gc()

    async def loop_stats(request: web.Request) -> web.Response:
        return web.json_response(probe.take())

    app.router.add_get("/_bench/loop", loop_stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
    probe_task = asyncio.create_task(probe.run())
    print("READY", flush=True)
    await asyncio.Event().wait()
    probe_task.cancel()


def start_server(port: int, batch: float) -> subprocess.Popen[bytes]:
    """The hub in a process of its own, on a fresh SQLite file; returns once it listens."""
    tmp = tempfile.mkdtemp(prefix="chat-load-")
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(port), "--db", os.path.join(tmp, "bench.db"),
         "--batch", str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )  # fmt: skip
    assert server.stdout is not None
    if b"READY" not in server.stdout.readline():
        server.kill()
        raise RuntimeError("server did not start")
    return server


# ---------------------------------------------------------------- raw viewers (worker processes)


def handshake_request() -> bytes:
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    return (
        "GET /ws/bench HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def raw_worker(port: int, count: int) -> None:
    """Open `count` viewers, say READY, then read and drop everything until STOP on stdin."""
    socks: list[socket.socket] = []
    chunk = 200
    for first in range(0, count, chunk):
        batch = []
        for _ in range(min(chunk, count - first)):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(handshake_request())
            batch.append(s)
        for s in batch:
            head = b""
            while b"\r\n\r\n" not in head:
                data = s.recv(65536)
                if not data:
                    raise ConnectionError("closed during handshake")
                head += data
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(head[:80].decode(errors="replace"))
            s.setblocking(False)
            socks.append(s)
    print("READY", flush=True)
    poller = select.epoll()
    by_fd = {s.fileno(): s for s in socks}
    for fd in by_fd:
        poller.register(fd, select.EPOLLIN)
    stdin = sys.stdin.fileno()
    poller.register(stdin, select.EPOLLIN)
    buf = bytearray(256 * 1024)
    total = closed = 0
    running = True
    while running:
        events = poller.poll(1.0)
        for fd, _ in events:
            if fd == stdin:
                running = False
                continue
            try:
                n = by_fd[fd].recv_into(buf)
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                poller.unregister(fd)
                closed += 1
            total += n
        if len(events) < 64:
            time.sleep(0.002)  # let more sockets become readable: fewer polls, same bytes
    print(json.dumps({"bytes": total, "closed_by_server": closed}), flush=True)
    for s in socks:
        s.close()


# ---------------------------------------------------------------- sampled clients (own process)


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)  # monotonic seconds, one per latency
    sent: int = 0
    send_errors: int = 0


async def sampled_viewer(
    session: Any, url: str, results: Results, stop: asyncio.Event, send_every: float | None,
    connected: asyncio.Queue[None],
) -> None:  # fmt: skip
    import aiohttp

    async with session.ws_connect(url, max_msg_size=0) as ws:
        connected.put_nowait(None)

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
                results.received_at.append(now / 1e9)
        if speaker:
            speaker.cancel()


async def sampler(port: int, sample: int, senders: int, rate: float, settle: float, seconds: float) -> None:
    """READY once connected; on GO: settle, START, measure, RESULT {...}."""
    import aiohttp

    loop = asyncio.get_running_loop()
    probe = LoopProbe()
    probe_task = asyncio.create_task(probe.run())
    results = Results()
    stop = asyncio.Event()
    connected: asyncio.Queue[None] = asyncio.Queue()
    send_every = senders / rate if rate > 0 and senders else None
    url = f"http://127.0.0.1:{port}/ws/bench"
    session = aiohttp.ClientSession()
    tasks = [
        asyncio.create_task(
            sampled_viewer(session, url, results, stop, send_every if i < senders else None, connected)
        )
        for i in range(sample)
    ]
    for _ in range(sample):
        await asyncio.wait_for(connected.get(), 60)
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # GO
    await asyncio.sleep(settle)
    results.latencies.clear()
    results.received_at.clear()
    results.sent = 0
    probe.take()
    print("START", flush=True)
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    latencies, sent = list(results.latencies), results.sent
    # p99 of each second of the window: is the tail steady, or a few bad seconds?
    by_second: dict[int, list[float]] = {}
    for at, lat in zip(results.received_at, latencies, strict=False):
        by_second.setdefault(int(at - t0), []).append(lat)
    per_second = [round(percentile(by_second.get(i, []), 99) * 1000) for i in range(int(elapsed))]
    own = probe.take()
    print("RESULT " + json.dumps({
        "elapsed": elapsed, "latencies": latencies, "sent": sent, "send_errors": results.send_errors,
        "p99_by_second_ms": per_second,
        "lag_p99_ms": own["lag_p99_ms"], "lag_max_ms": own["lag_max_ms"],
    }), flush=True)  # fmt: skip
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await session.close()
    probe_task.cancel()


# ---------------------------------------------------------------- the orchestrator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )


def expect(proc: subprocess.Popen[bytes], word: str) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    if not line.startswith(word):
        raise RuntimeError(f"expected {word} from pid {proc.pid}, got {line.strip()!r} (exit {proc.poll()})")
    return line[len(word) :].strip()


def tell(proc: subprocess.Popen[bytes], line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()


def get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as resp:
        return str(resp.read().decode())


def run_one(
    port: int, server: subprocess.Popen[bytes], n: int, args: argparse.Namespace
) -> dict[str, object]:
    import psutil

    sample = min(args.sample, n)
    senders = min(args.senders, sample)
    raw_count = n - sample
    procs = max(1, min(args.gen_procs, raw_count)) if raw_count else 0
    shares = [raw_count // procs + (1 if i < raw_count % procs else 0) for i in range(procs)]
    srv = psutil.Process(server.pid)
    rss_idle = srv.memory_info().rss
    workers: list[subprocess.Popen[bytes]] = []
    sampler_proc: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        workers = [child("--raw-worker", str(port), "--count", str(share)) for share in shares]
        for w in workers:
            expect(w, "READY")
        sampler_proc = child(
            "--sampler", str(port), "--sample", str(sample), "--senders", str(senders),
            "--rate", str(args.rate), "--seconds", str(args.seconds), "--settle", "2",
        )  # fmt: skip
        expect(sampler_proc, "READY")
        connect_seconds = time.monotonic() - started
        gens = [psutil.Process(w.pid) for w in workers]
        samp = psutil.Process(sampler_proc.pid)
        tell(sampler_proc, "GO")
        expect(sampler_proc, "START")
        for p in (srv, samp, *gens):
            p.cpu_percent(None)
        get(port, "/_bench/loop")  # reset the server's loop-lag probe
        host0 = psutil.cpu_times()
        rss_loaded = srv.memory_info().rss
        result = json.loads(expect(sampler_proc, "RESULT"))
        cpu = srv.cpu_percent(None)
        samp_cpu = samp.cpu_percent(None)
        gen_cpu = [round(p.cpu_percent(None), 1) for p in gens]
        host1 = psutil.cpu_times()
        busy = sum(
            getattr(host1, f) - getattr(host0, f) for f in ("user", "system", "nice", "softirq", "irq")
        )
        host_pct = busy / max(1e-9, (sum(host1) - sum(host0))) * 100
        loop_stats = json.loads(get(port, "/_bench/loop"))
        metrics = get(port, "/metrics")
        for w in workers:
            tell(w, "STOP")
        totals = []
        for w in workers:
            assert w.stdout is not None
            totals.append(json.loads(w.stdout.readline()))
        raw_bytes = sum(t["bytes"] for t in totals)
        closed = sum(t["closed_by_server"] for t in totals)
    finally:
        for p in (*workers, *([sampler_proc] if sampler_proc else [])):
            if p.poll() is None:
                p.kill()
            p.wait()
    latencies: list[float] = result["latencies"]
    elapsed: float = result["elapsed"]
    dropped = re.search(r"^liveroom_ws_dropped_total ([0-9.e+]+)", metrics, re.M)
    saturated = (
        samp_cpu > SATURATED_PCT or any(c > SATURATED_PCT for c in gen_cpu) or result["lag_max_ms"] > 100
    )
    return {
        "viewers": n,
        "rate_in": round(result["sent"] / elapsed, 1),
        "connect_s": round(connect_seconds, 1),
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        "p99_by_second_ms": result["p99_by_second_ms"],
        "server_cpu_pct": round(cpu, 1),
        "server_loop": loop_stats,
        "gen_cpu_pct": gen_cpu,
        "sampler_cpu_pct": round(samp_cpu, 1),
        "sampler_lag_max_ms": result["lag_max_ms"],
        "host_busy_pct": round(host_pct, 1),
        "generator_saturated": saturated,
        "kib_per_conn": round((rss_loaded - rss_idle) / max(1, n) / 1024, 1),
        "server_rss_mib": round(rss_loaded / 2**20, 1),
        "dropped_frames": int(float(dropped.group(1))) if dropped else 0,
        "closed_by_server": closed,
        "raw_bytes_per_viewer_s": round(raw_bytes / max(1, raw_count) / (elapsed + 2), 1) if raw_count else 0,
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
    parser.add_argument("--gen-procs", type=int, default=2, help="processes that hold the raw viewers")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--raw-worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sampler", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--settle", type=float, default=2.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    raise_fd_limit()
    if args.serve:
        asyncio.run(serve(args.serve, args.db, args.batch))
        return
    if args.raw_worker:
        raw_worker(args.raw_worker, args.count)
        return
    if args.sampler:
        asyncio.run(sampler(args.sampler, args.sample, args.senders, args.rate, args.settle, args.seconds))
        return
    if args.seconds > MAX_SECONDS:
        parser.error(f"--seconds must be ≤ {MAX_SECONDS}")
    senders = min(args.senders, args.sample)
    load = os.getloadavg()
    print(f"chat load: rate {args.rate}/s in, {senders} senders, {args.sample} sampled clients, "
          f"{args.gen_procs} raw-viewer processes, batch {args.batch * 1000:.0f} ms, {args.seconds:.0f} s "
          f"per run, {os.cpu_count()} cores, load average {load[0]:.2f} at start", flush=True)  # fmt: skip
    for n in [int(x) for x in args.viewers.split(",")]:
        port = free_port()
        server = start_server(port, args.batch)
        try:
            row = run_one(port, server, n, args)
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
