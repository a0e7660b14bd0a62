"""A viewer's RTP sender for relayed frames: aiortc's `RTCRtpSender` with a leaner send loop.

aiortc's loop, per packet and per viewer, packetizes the frame again, builds an
`RtpPacket` with header extensions (two `datetime` conversions for abs-send-time),
serializes it and goes through four coroutine layers down to `sendto`. With the
frame already cut into payloads once for all viewers (`SharedFrame`), this loop
serializes one header per frame and per viewer, patches marker and sequence
number into a copy for each packet, protects it with the connection's SRTP
session and hands it to the selected ICE pair's socket. The wire format is the
same: same header extensions (mid, abs-send-time), same RTCP sender reports
(their counters are kept per frame) and NACK retransmissions (with RTX when
negotiated) from a history of what was sent.

Installed on a viewer transceiver's sender before negotiation completes, by
`use_forwarding_sender`; anything else keeps aiortc's own sender.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from aiortc import RTCRtpSender
from aiortc.clock import current_ntp_time
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket
from aiortc.utils import random32, uint16_add, uint32_add

from media.rtc.relay import ViewerTrack

SEQUENCE = struct.Struct("!H")
MANGLED = "_RTCRtpSender__"  # aiortc's private attributes, as Python stores them


class ForwardingSender(RTCRtpSender):
    """Sends a `ViewerTrack`'s shared frames; everything else (RTCP, stats, stop) is aiortc's."""

    _sent: dict[int, bytes]
    # Negotiated payload types by codec name, and RTX payload types by the payload type they repair: a
    # viewer negotiated with VP8 and H.264 is sent whichever the publisher sends, each with its own type.
    _payload_types: dict[str, int]
    _rtx_types: dict[int, int]

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        self._payload_types = {}
        self._rtx_types = {}
        for codec in parameters.codecs:
            if is_rtx(codec):
                self._rtx_types[int(str(codec.parameters["apt"]))] = codec.payloadType or 0
            else:
                self._payload_types.setdefault(codec.name.upper(), codec.payloadType or 0)
        await super().send(parameters)

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        track = self.track
        if not isinstance(track, ViewerTrack):  # not a relayed feed: aiortc's own loop
            await super()._run_rtp(codec)
            return
        mangled = MANGLED
        getattr(self, mangled + "rtp_started").set()
        extensions_map = getattr(self, mangled + "rtp_header_extensions_map")
        mid = getattr(self, mangled + "mid")
        self._sent = {}
        sent = self._sent
        dtls = self.transport
        connection = dtls.transport._connection
        default_type = codec.payloadType or 0  # always set once negotiated
        types = getattr(self, "_payload_types", {})
        sequence_number = random_sequence_number()
        timestamp_origin = random32()
        octets = packets = 0
        try:
            while True:
                frame = await track.next_frame()
                payloads = frame.payloads
                if not payloads:
                    continue
                payload_type = types.get(frame.codec.upper(), default_type)
                timestamp = uint32_add(timestamp_origin, frame.timestamp)
                ntp = current_ntp_time()
                first = RtpPacket(payload_type=payload_type, timestamp=timestamp, ssrc=self._ssrc)
                first.extensions.abs_send_time = (ntp >> 14) & 0x00FFFFFF
                first.extensions.mid = mid
                head = bytearray(first.serialize(extensions_map))
                last = len(payloads) - 1
                for i, payload in enumerate(payloads):
                    head[1] = (0x80 if i == last else 0) | payload_type
                    SEQUENCE.pack_into(head, 2, sequence_number)
                    data = bytes(head) + payload
                    sent[sequence_number % RTP_HISTORY_SIZE] = data
                    self._send(dtls, connection, data)
                    sequence_number = uint16_add(sequence_number, 1)
                octets += frame.size
                packets += len(payloads)
                # What the RTCP sender reports read (aiortc keeps them per packet; per frame is enough).
                setattr(self, mangled + "ntp_timestamp", ntp)
                setattr(self, mangled + "rtp_timestamp", timestamp)
                setattr(self, mangled + "octet_count", octets)
                setattr(self, mangled + "packet_count", packets)
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        finally:
            track.stop()
            getattr(self, mangled + "rtp_exited").set()

    @staticmethod
    def _send(dtls: Any, connection: Any, data: bytes) -> None:
        if dtls._state != State.CONNECTED:
            raise ConnectionError("not connected")
        pair = connection._nominated.get(1)
        if pair is None:
            raise ConnectionError("no ICE pair selected")
        pair.protocol.transport.sendto(dtls._tx_srtp.protect(data), pair.remote_addr)

    async def _retransmit(self, sequence_number: int) -> None:
        """A NACKed packet: put it back where aiortc's retransmission (RTX wrapping) finds it."""
        data = getattr(self, "_sent", {}).get(sequence_number % RTP_HISTORY_SIZE)
        if data is not None:
            packet = RtpPacket.parse(data, getattr(self, MANGLED + "rtp_header_extensions_map"))
            getattr(self, MANGLED + "rtp_history")[sequence_number % RTP_HISTORY_SIZE] = packet
            rtx = getattr(self, "_rtx_types", {})
            if rtx:  # wrap it in the RTX type that repairs its own codec
                setattr(self, MANGLED + "rtx_payload_type", rtx.get(packet.payload_type))
        await super()._retransmit(sequence_number)


def use_forwarding_sender(sender: RTCRtpSender) -> None:
    """Make a just-created viewer sender a `ForwardingSender` (same object, same state)."""
    sender.__class__ = ForwardingSender
