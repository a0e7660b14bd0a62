"""A frame's RTP packets onto one viewer's socket in as few calls as the kernel allows.

Per packet, the plain way costs a Python call into pylibsrtp (which allocates and copies),
asyncio's `sendto` and one `sendto` system call with its own trip through the UDP stack.
`FrameWire` protects every packet of a frame in place in one buffer, calling libsrtp through
pylibsrtp's own cffi binding, and hands the frame to the kernel with one `sendmsg` per run
of equal-sized packets using UDP generic segmentation offload (`UDP_SEGMENT`, Linux ≥ 4.18):
the kernel cuts the run into datagrams, byte for byte what separate sends would have been.

Anything unusual falls back to the plain way for that frame: asyncio already holding
unsent data for the socket (its order must be kept), a socket that would block, a kernel or
interface without segmentation offload (then never tried again in this process), a libsrtp
or pylibsrtp this binding does not know.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)

UDP_SEGMENT = getattr(socket, "UDP_SEGMENT", 103)  # linux/udp.h
SOL_UDP = getattr(socket, "SOL_UDP", 17)
SEGMENT_SIZE = struct.Struct("=H")
MAX_SEGMENTS = 64  # the kernel's UDP_MAX_SEGMENTS
BUFFER = 65000  # one sendmsg carries at most 64 KiB
SRTP_TRAILER = 16 + 128  # pylibsrtp's SRTP_MAX_TRAILER_LEN: room left after each packet

try:  # pylibsrtp's cffi binding: `lib.srtp_protect(srtp_t, void *packet, int *length)`
    from pylibsrtp import _binding

    _ffi: Any = _binding.ffi
    _lib: Any = _binding.lib
except ImportError:  # pragma: no cover - a pylibsrtp without its binding module
    _ffi = _lib = None

_segmentation = {"usable": True}


def segmentation_usable() -> bool:
    """False once the kernel refused UDP_SEGMENT in this process."""
    return _segmentation["usable"]


class FrameWire:
    """One viewer's buffer for its frames' protected packets."""

    __slots__ = ("_cdata", "_length", "_view")

    def __init__(self) -> None:
        self._cdata: Any = None
        self._view: memoryview | None = None
        self._length: Any = None
        if _ffi is not None:
            self._cdata = _ffi.new("char[]", BUFFER + SRTP_TRAILER)
            self._view = memoryview(_ffi.buffer(self._cdata))
            self._length = _ffi.new("int *")

    def send(self, transport: Any, srtp: Any, packets: Sequence[bytes], address: Any) -> None:
        """Protect `packets` with the connection's SRTP session (`srtp`: a `pylibsrtp.Session`) and
        send them, in order, to `address` through the asyncio datagram `transport`."""
        sock = getattr(transport, "_sock", None)
        handle = getattr(srtp, "_srtp", None)
        if (
            self._view is None
            or sock is None
            or handle is None
            or getattr(transport, "_buffer", None)  # asyncio holds unsent data: keep the order
            or not _segmentation["usable"]
        ):
            for packet in packets:
                transport.sendto(srtp.protect(packet), address)
            return
        srtp_t = handle[0]
        view, cdata, length, protect = self._view, self._cdata, self._length, _lib.srtp_protect
        sizes: list[int] = []
        offset = 0
        plain = False  # a send was refused: the rest goes through asyncio, in order
        for packet in packets:
            n = len(packet)
            if n + SRTP_TRAILER > BUFFER:
                raise ValueError(f"an RTP packet of {n} bytes")
            if offset + n + SRTP_TRAILER > BUFFER:  # the buffer is full: send what it holds
                plain = not self._send_runs(transport, sock, sizes, address) or plain
                sizes, offset = [], 0
            view[offset : offset + n] = packet
            length[0] = n
            status = protect(srtp_t, cdata + offset, length)
            if status != 0:
                log.warning("SRTP protect failed (libsrtp status %d): a packet is not sent", status)
                continue
            if plain:
                transport.sendto(bytes(view[offset : offset + length[0]]), address)
                continue
            sizes.append(length[0])
            offset += length[0]
        if sizes:
            self._send_runs(transport, sock, sizes, address)

    def _send_runs(self, transport: Any, sock: socket.socket, sizes: list[int], address: Any) -> bool:
        """Send the buffer's packets (their protected `sizes`, back to back) in runs of equal size
        (the last of a run may be shorter). False when the kernel refused and the rest went through
        asyncio's own queue."""
        view = self._view
        assert view is not None
        start = index = 0
        total = len(sizes)
        while index < total:
            segment = sizes[index]
            end = index + 1
            while end < total and end - index < MAX_SEGMENTS and sizes[end] == segment:
                end += 1
            if end < total and end - index < MAX_SEGMENTS and sizes[end] < segment:
                end += 1  # a run may end with one shorter packet
            length = sum(sizes[index:end])
            chunk = view[start : start + length]
            try:
                if end - index == 1:
                    sock.sendto(chunk, address)
                else:
                    sock.sendmsg([chunk], [(SOL_UDP, UDP_SEGMENT, SEGMENT_SIZE.pack(segment))], 0, address)
            except (BlockingIOError, InterruptedError):
                self._queue(transport, sizes[index:], start, address)
                return False
            except OSError as exc:
                if end - index > 1 and exc.errno in (
                    errno.EIO,
                    errno.EINVAL,
                    errno.ENOPROTOOPT,
                    errno.EOPNOTSUPP,
                ):
                    _segmentation["usable"] = False
                    log.info("UDP segmentation offload refused here (%s): sending packet by packet", exc)
                    self._queue(transport, sizes[index:], start, address)
                    return False
                transport._protocol.error_received(exc)  # as asyncio reports a failed send
            start += length
            index = end
        return True

    def _queue(self, transport: Any, sizes: list[int], start: int, address: Any) -> None:
        """The buffer's packets from `start` on, one by one through asyncio (which queues them)."""
        view = self._view
        assert view is not None
        for size in sizes:
            transport.sendto(bytes(view[start : start + size]), address)
            start += size
