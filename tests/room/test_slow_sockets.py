"""Issue 19 row 6: a dropped WebSocket closes its transport at once. 200 clients that never read (in
another process, which keeps its ends open) are dropped once they fall behind, and the server's open
files are back to where they were within 10 s of the drop."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time

from conftest import until

from .harness import MakeRoomApp

CLIENTS = 200

# Connects CLIENTS sockets with a tiny receive buffer, upgrades them to WebSocket, then never reads.
NEVER_READS = textwrap.dedent(
    """
    import socket, sys, time
    port, n = int(sys.argv[1]), int(sys.argv[2])
    keep = []
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(
            b"GET /ws/demo HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n"
        )
        keep.append(s)
    time.sleep(120)
    """
)


def open_sockets() -> int:
    """This process's open sockets (the server's ends; the clients' are in their own process)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return count


async def test_never_reading_sockets_are_dropped_and_their_files_freed(make_room_app: MakeRoomApp) -> None:
    app = await make_room_app()
    app.hub.slow_buffer_bytes = 64 * 1024  # behind by 64 KiB …
    app.hub.slow_drop_s = 1.0  # … for a second: gone (the defaults: 512 KiB, 15 s)
    viewer = await app.viewer()  # one that reads, and stays
    await asyncio.sleep(0.5)
    baseline = open_sockets()
    port = app.client.server.port
    clients = await asyncio.create_subprocess_exec(
        sys.executable, "-c", NEVER_READS, str(port), str(CLIENTS), stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await until(lambda: app.hub.connection_count() == CLIENTS + 1, within=30)
        assert open_sockets() >= baseline + CLIENTS
        text = "长" * 1900  # about 6 KB a frame
        dropped_at = None
        for _ in range(100):
            await asyncio.gather(*(app.hub.say("demo", text) for _ in range(20)))
            await asyncio.sleep(0.05)
            if app.hub.connection_count() == 1:
                dropped_at = time.monotonic()
                break
        if dropped_at is None:
            await until(lambda: app.hub.connection_count() == 1, within=20)
            dropped_at = time.monotonic()
        await until(lambda: open_sockets() <= baseline, within=10)
        assert time.monotonic() - dropped_at < 10
        assert clients.returncode is None  # the clients never closed their ends
        # the reader that kept up is still there and still hears the room
        await app.hub.say("demo", "还在吗")
        await viewer.wait_for(lambda m: m.get("type") == "chat" and m.get("text") == "还在吗")
    finally:
        clients.kill()
        await clients.wait()
