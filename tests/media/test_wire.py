"""`FrameWire`: a frame's packets protected in place and sent in segmented runs arrive exactly as
packet-by-packet sends would have sent them, in order, whatever the sizes; and when the kernel
refuses or the socket is backed up, the rest still arrives, in order."""

from __future__ import annotations

import asyncio
import os
import random
from typing import Any

import pytest
from pylibsrtp import Policy, Session

from media.rtc import wire
from media.rtc.sender import header_template, ntp_now
from media.rtc.wire import FrameWire

KEY = os.urandom(30)


def _sessions() -> tuple[Session, Session]:
    tx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    rx = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_INBOUND))
    return tx, rx


def _rtp(sequence: int, size: int, ssrc: int = 0x1234) -> bytes:
    header = (
        bytes([0x80, 96]) + sequence.to_bytes(2, "big") + (9000).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
    )
    return header + random.randbytes(size)


class Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)


async def _send(packets: list[bytes], setup: Any = None) -> list[bytes]:
    loop = asyncio.get_running_loop()
    sink, got = await loop.create_datagram_endpoint(Collect, local_addr=("127.0.0.1", 0))
    out, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    tx, rx = _sessions()
    try:
        if setup is not None:
            setup(out)
        FrameWire().send(out, tx, packets, sink.get_extra_info("sockname"))
        for _ in range(100):
            if len(got.received) >= len(packets):
                break
            await asyncio.sleep(0.01)
        return [rx.unprotect(data) for data in got.received]
    finally:
        out.close()
        sink.close()


@pytest.mark.parametrize(
    "sizes",
    [
        [1100] * 5 + [400],  # a run with a shorter last packet: one sendmsg
        [1100] * 3,
        [300],
        [1100, 1100, 600, 1100, 1100],  # a short packet in the middle ends a run
        [500, 1100, 1100],  # a bigger one starts a new run
        [1100] * 70 + [90],  # more than 64 segments and more than one buffer
    ],
)
async def test_packets_arrive_byte_for_byte_and_in_order(sizes: list[int]) -> None:
    packets = [_rtp(i, size) for i, size in enumerate(sizes)]
    assert await _send(packets) == packets


async def test_without_segmentation_the_packets_still_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(wire._segmentation, "usable", False)
    packets = [_rtp(i, 1000) for i in range(8)]
    assert await _send(packets) == packets


async def test_a_refused_run_sends_the_rest_through_asyncio_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel says EIO to UDP_SEGMENT (no offload on the interface): that run and the rest go
    one by one, and segmentation is not tried again."""
    packets = [_rtp(i, 1000) for i in range(6)]

    class Refusing:
        def __init__(self, sock: Any) -> None:
            self._sock = sock

        def __getattr__(self, name: str) -> Any:  # sendto, close, fileno… are the socket's
            return getattr(self._sock, name)

        def sendmsg(self, *args: Any) -> int:
            raise OSError(5, "Input/output error")

    monkeypatch.setitem(wire._segmentation, "usable", True)

    def refuse(transport: Any) -> None:
        transport._sock = Refusing(transport._sock)
        transport.close = lambda real=transport.close, sock=transport._sock: (  # restore, then close
            setattr(transport, "_sock", sock._sock),
            real(),
        )

    assert await _send(packets, refuse) == packets
    assert not wire.segmentation_usable()


def test_header_template_matches_aiortc_serialization() -> None:
    from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
    from aiortc.rtp import HeaderExtensionsMap, RtpPacket

    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(
                    id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
                ),
            ]
        )
    )
    head, at = header_template(0xCAFE, 96, "0", extensions)
    assert at is not None
    ntp = ntp_now()
    head[4:8] = (123456).to_bytes(4, "big")
    head[at : at + 3] = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
    expected = RtpPacket(payload_type=96, timestamp=123456, ssrc=0xCAFE)
    expected.extensions.mid = "0"
    expected.extensions.abs_send_time = (ntp >> 14) & 0xFFFFFF
    assert bytes(head) == expected.serialize(extensions)
