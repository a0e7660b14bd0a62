"""One socket in a room, and the fan-out that writes a pre-built frame to thousands of them.

A batch is serialised and framed once, then the same bytes are written to every
socket's transport. Going around `WebSocketResponse.send_str` saves re-encoding and
re-framing the payload per socket, which is most of the fan-out cost at thousands of
viewers; frames are uncompressed and written whole, so they cannot interleave with
aiohttp's own writes (pings, close).
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from media.hub.protocol import Out, Role

# A socket whose unsent output exceeds this is skipped (counted as dropped) until it drains …
SLOW_BUFFER_BYTES = 512 * 1024
# … and one that stays that far behind this long is gone: its transport is aborted at once (a close
# handshake would wait for a peer that does not read, and keep the socket's file and buffer meanwhile).
SLOW_DROP_S = 15.0
# How long a polite close (the close frame, written out) may take before the transport is aborted.
CLOSE_WAIT_S = 1.0


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final RFC 6455 text frame (server → client)."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


@dataclass(eq=False)
class Connection:
    id: str
    room_id: str
    viewer_id: str
    nickname: str
    role: Role
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    joined_at: float
    address: str = ""  # the client's address (media/web/clients.py), for the per-address caps
    identified: bool = False  # came with a valid viewer token (cookie or ?token=): may claim and enter
    recent_chat: deque[float] = field(default_factory=lambda: deque(maxlen=50))
    recent_actions: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    errors: deque[float] = field(default_factory=lambda: deque(maxlen=100))
    dropped: int = 0
    playback: str | None = None  # the path its player plays over (`WatchPath`), once it said
    fallback: bool = False
    slow_buffer_bytes: int = SLOW_BUFFER_BYTES
    slow_drop_s: float = SLOW_DROP_S
    behind_since: float | None = None  # monotonic time it went above slow_buffer_bytes

    @property
    def staff(self) -> bool:
        return self.role != "viewer"

    def write(self, frame: bytes) -> bool:
        """Write a ready frame; False when the socket is closing or too far behind."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.ws.closed:
            return False
        if transport.get_write_buffer_size() > self.slow_buffer_bytes:
            self.dropped += 1
            now = time.monotonic()
            if self.behind_since is None:
                self.behind_since = now
            elif now - self.behind_since > self.slow_drop_s:
                transport.abort()  # the reader sees the socket end and the room lets it go
            return False
        self.behind_since = None
        transport.write(frame)
        return True

    async def close(self, code: int, message: bytes) -> None:
        """Close with `code`; a peer that does not read in `CLOSE_WAIT_S` has its transport aborted."""
        await close_socket(self.ws, self.transport, code, message)

    def send(self, message: Out) -> bool:
        """Send one message to this socket alone, in the form its role may see."""
        body = message.for_staff() if self.staff else message.for_viewers()
        return self.write(text_frame(dumps(body)))


async def close_socket(
    ws: web.WebSocketResponse, transport: asyncio.Transport | None, code: int, message: bytes = b""
) -> None:
    """Close a server socket politely if the peer takes it within `CLOSE_WAIT_S`, else abort its transport,
    so its file descriptor and unsent buffer are freed now, not when the peer finally reads."""
    try:
        await asyncio.wait_for(ws.close(code=code, message=message), CLOSE_WAIT_S)
    except (TimeoutError, ConnectionError, RuntimeError):
        pass
    release(transport)


def release(transport: asyncio.Transport | None) -> None:
    """After a socket's end, its file is freed now: a transport still holding unsent bytes is aborted
    (`close` would wait for the peer to read them), one not yet closing is closed."""
    if transport is None:
        return
    if transport.get_write_buffer_size() > 0:
        transport.abort()
    elif not transport.is_closing():
        transport.close()
