"""A viewer's RTP sender for relayed frames: aiortc's `RTCRtpSender`, sending in place.

aiortc's loop, per packet and per viewer, packetizes the frame again, builds an
`RtpPacket` with header extensions (two `datetime` conversions for abs-send-time),
serializes it and goes through four coroutine layers down to `sendto`. With the
frame already cut into payloads once for all viewers (`SharedFrame`), this sender is
called by the relay with each frame as it arrives (`ViewerTrack.direct`: no task
woken per frame and viewer) and serializes one header per frame and per viewer, patches marker and sequence
number into a copy for each packet, and hands the frame's packets to `FrameWire`, which
protects them in place with the connection's SRTP session and sends them to the selected ICE
pair's socket in one segmented `sendmsg` per run of equal-sized packets. The wire format is the
same: same header extensions (mid, abs-send-time), same RTCP sender reports
(their counters are kept per frame) and NACK retransmissions (with RTX when
negotiated) from a history of what was sent.

Installed on a viewer transceiver's sender before negotiation completes, by
`use_forwarding_sender`; anything else keeps aiortc's own sender.
"""

from __future__ import annotations

import asyncio
import struct
import time
from typing import Any

from aiortc import RTCRtpSender
from aiortc.codecs import is_rtx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket
from aiortc.utils import random32

from media.rtc.relay import SharedFrame, ViewerTrack
from media.rtc.wire import FrameWire

SEQUENCE = struct.Struct("!H")
TIMESTAMP = struct.Struct("!I")
NTP_EPOCH = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
# A viewer's socket holding this much unsent (the kernel refused more): its frames are skipped
# until the next keyframe rather than queued behind.
BACKED_UP = 256 * 1024
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
        ssrc = self._ssrc
        sequence_number = random_sequence_number()
        octets = packets_sent = 0
        timestamp_origin = random32()
        history = RTP_HISTORY_SIZE
        wire = FrameWire()

        head, abs_send_time_at = header_template(ssrc, default_type, mid, extensions_map)

        def send_frame(frame: SharedFrame) -> bool:
            """One frame to this viewer, in the caller's turn: the header patched for the frame, then
            each packet (marker and sequence number patched) to `FrameWire`. False (nothing sent)
            when the socket is backed up."""
            nonlocal sequence_number, octets, packets_sent
            payloads = frame.payloads
            if not payloads:
                return True
            if dtls._state != State.CONNECTED:
                raise ConnectionError("not connected")
            pair = connection._nominated.get(1)
            if pair is None:
                raise ConnectionError("no ICE pair selected")
            transport = pair.protocol.transport
            if transport is None or transport.is_closing():
                raise ConnectionError("socket closed")
            if transport.get_write_buffer_size() > BACKED_UP:  # type: ignore[attr-defined]  # asyncio has it
                return False
            payload_type = types.get(frame.codec.upper(), default_type)
            timestamp = (timestamp_origin + frame.timestamp) & 0xFFFFFFFF
            ntp = ntp_now()
            TIMESTAMP.pack_into(head, 4, timestamp)
            if abs_send_time_at is not None:
                head[abs_send_time_at : abs_send_time_at + 3] = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
            last = len(payloads) - 1
            packets = []
            for i, payload in enumerate(payloads):
                head[1] = (0x80 if i == last else 0) | payload_type
                SEQUENCE.pack_into(head, 2, sequence_number)
                data = bytes(head) + payload
                sent[sequence_number % history] = data
                packets.append(data)
                sequence_number = (sequence_number + 1) & 0xFFFF
            wire.send(transport, dtls._tx_srtp, packets, pair.remote_addr)
            octets = (octets + frame.size) & 0xFFFFFFFF
            packets_sent = (packets_sent + len(payloads)) & 0xFFFFFFFF
            # What the RTCP sender reports read (aiortc keeps them per packet; per frame is enough).
            setattr(self, mangled + "ntp_timestamp", ntp)
            setattr(self, mangled + "rtp_timestamp", timestamp)
            setattr(self, mangled + "octet_count", octets)
            setattr(self, mangled + "packet_count", packets_sent)
            return True

        try:
            for frame in track.take_queued():
                send_frame(frame)
            track.direct = send_frame
            await track.ended()
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        finally:
            track.direct = None
            track.stop()
            getattr(self, mangled + "rtp_exited").set()

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


def header_template(
    ssrc: int, payload_type: int, mid: str | None, extensions_map: Any
) -> tuple[bytearray, int | None]:
    """One viewer's RTP header with its header extensions (mid, abs-send-time) as aiortc writes it,
    and where abs-send-time's 3 bytes are in it (None when not negotiated): per frame only the
    timestamp and abs-send-time change, per packet the marker and sequence number."""
    packet = RtpPacket(payload_type=payload_type, timestamp=0, ssrc=ssrc)
    packet.extensions.mid = mid
    packet.extensions.abs_send_time = 0
    zero = packet.serialize(extensions_map)
    packet.extensions.abs_send_time = 0xFFFFFF
    ones = packet.serialize(extensions_map)
    at = next((i for i, (x, y) in enumerate(zip(zero, ones, strict=True)) if x != y), None)
    return bytearray(zero), at


def ntp_now() -> int:
    """The wall clock as a 64-bit NTP timestamp (aiortc's `current_ntp_time`, without datetime)."""
    return int((time.time() + NTP_EPOCH) * (1 << 32)) & 0xFFFFFFFFFFFFFFFF


def use_forwarding_sender(sender: RTCRtpSender) -> None:
    """Make a just-created viewer sender a `ForwardingSender` (same object, same state)."""
    sender.__class__ = ForwardingSender
