"""The relay's own send path: `ForwardingSender` (one packetization per frame for all viewers)
and the publisher's socket read in bursts."""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

import aiohttp
from aiortc.rtp import RtpPacket

from media.rtc.forwarding import _drain_on_readable
from media.rtc.sender import ForwardingSender

from .clients import StampedPattern, whep_play, whip_publish
from .conftest import TOKEN, MediaHarness


async def test_viewer_senders_share_payloads_and_answer_nacks_from_what_they_sent(
    media: MediaHarness,
) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, body = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        assert resp.status == 201, body
        viewers = [await whep_play(http, media.base, "demo") for _ in range(2)]
        try:
            for _, _, tracks in viewers:
                await asyncio.wait_for(tracks[0].recv(), 10)
            senders = [
                s
                for record in media.media.viewers.values()
                for s in record.local.pc.getSenders()  # type: ignore[union-attr]
                if s.kind == "video"
            ]
            assert len(senders) == 2 and all(isinstance(s, ForwardingSender) for s in senders)
            # Both viewers were sent the same frame payloads (cut once), each with its own header.
            first, second = ({RtpPacket.parse(d).payload for d in s._sent.values()} for s in senders)
            assert first & second
            ssrcs = {RtpPacket.parse(next(iter(s._sent.values()))).ssrc for s in senders}
            assert len(ssrcs) == 2

            sender = senders[0]
            seq, original = next(
                (p.sequence_number, p) for p in map(RtpPacket.parse, sender._sent.values()) if p.marker
            )
            resent: list[bytes] = []

            async def capture(data: bytes) -> None:
                resent.append(data)

            sender.transport._send_rtp = capture  # type: ignore[method-assign]
            await sender._retransmit(seq)
            await sender._retransmit((seq + 30000) % 65536)  # never sent: nothing
            assert len(resent) == 1
            rtx = RtpPacket.parse(resent[0])
            # The viewer negotiated RTX: the payload is the original sequence number, then the original payload.
            assert rtx.ssrc == sender._rtx_ssrc
            assert struct.unpack("!H", rtx.payload[:2])[0] == seq
            assert rtx.payload[2:] == original.payload
        finally:
            for pc, _, _ in viewers:
                await pc.close()
            await pub.close()


class Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)


async def _received_after_two_turns(drain: bool) -> int:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Collect, local_addr=("127.0.0.1", 0))
    try:
        if drain:
            assert _drain_on_readable(transport, protocol, burst=64)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            for i in range(20):
                out.sendto(b"packet %d" % i, transport.get_extra_info("sockname"))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return len(protocol.received)
    finally:
        transport.close()


async def test_publisher_socket_is_read_in_bursts_not_one_datagram_per_loop_turn() -> None:
    # asyncio alone reads one datagram per loop turn: a busy relay loop would fall behind its publisher.
    assert await _received_after_two_turns(drain=False) <= 3
    assert await _received_after_two_turns(drain=True) == 20
