"""The relay's pure parts: frame assembly from RTP, keyframe gating, bounded viewer queues, offers."""

from __future__ import annotations

import pytest
from aiortc.rtp import RtpPacket

from media.config import IceServer
from media.rtc.forwarding import (
    FrameAssembler,
    MediaFrame,
    TimestampUnwrapper,
    vp8_dimensions,
    vp8_is_keyframe,
)
from media.rtc.health import FeedCounters, LinkStats, quality_problems, sample
from media.rtc.offers import MediaError, ice_link_headers, parse_offer, parse_sdpfrag
from media.rtc.relay import VIDEO_QUEUE, Fanout, SharedFrame, Timeline, ViewerTrack

KEY = b"\x10\x02\x00\x9d\x01\x2a\x80\x02\x68\x01" + b"k" * 20  # VP8 keyframe 640×360
DELTA = b"\x31\x02\x00" + b"d" * 20


def rtp(seq: int, ts: int, marker: bool, data: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq & 0xFFFF, timestamp=ts, marker=int(marker))
    p.ssrc = 1234
    p._data = data  # type: ignore[attr-defined]
    return p


def assembler(clock: list[float] | None = None) -> tuple[FrameAssembler, list[MediaFrame], list[int]]:
    out: list[MediaFrame] = []
    gaps: list[int] = []
    now = clock or [0.0]
    a = FrameAssembler("video", {96: "VP8"}, out.append, lambda: gaps.append(1), clock=lambda: now[0])
    return a, out, gaps


def test_vp8_header() -> None:
    assert vp8_is_keyframe(KEY) and vp8_dimensions(KEY) == (640, 360)
    assert not vp8_is_keyframe(DELTA) and vp8_dimensions(DELTA) is None


def test_frame_released_on_its_marker_packet_not_the_next_frame() -> None:
    a, out, _ = assembler()
    a.add(rtp(9, 0, True, DELTA))  # the first marker seen sets the frame boundary
    a.add(rtp(10, 3000, False, KEY[:10]))
    assert out == []
    a.add(rtp(11, 3000, True, KEY[10:]))
    assert len(out) == 1  # released without waiting for seq 12
    assert out[0].data == KEY and out[0].keyframe and out[0].codec == "VP8"


def test_out_of_order_packets_wait_and_a_lost_one_is_skipped_after_patience() -> None:
    clock = [0.0]
    a, out, gaps = assembler(clock)
    a.add(rtp(65534, 0, True, DELTA))
    a.add(rtp(65536, 3000, True, DELTA))  # seq 0 after the wrap, but 65535 is missing
    assert out == []
    a.add(rtp(65535, 3000, False, DELTA))  # the retransmission arrives
    assert len(out) == 1
    # Now a packet is lost for good: the frame after it still comes out after the patience window.
    a.add(rtp(2, 6000, True, DELTA))  # seq 1 never arrives
    a.add(rtp(3, 9000, True, KEY))
    assert len(out) == 1
    clock[0] = 1.0
    pli, _ = a.add(rtp(4, 12000, True, DELTA))
    assert pli and gaps == [1]
    assert [f.timestamp for f in out[1:]] == [9000, 12000]


def test_timestamps_unwrap() -> None:
    u = TimestampUnwrapper()
    assert [u.unwrap(t) for t in (0xFFFFF000, 0x00000100, 0xFFFFF800)] == [
        0xFFFFF000,
        0x100000100,
        0xFFFFF800,
    ]


def test_timeline_stays_continuous_across_publisher_sessions() -> None:
    now = [0.0]
    t = Timeline(90000, clock=lambda: now[0])
    assert t.map(500000) == 0 and t.map(503000) == 3000
    t.new_session()
    now[0] = 2.0
    assert t.map(17) == 3000 + 180000  # the new session starts where the wall clock says


async def test_new_viewer_waits_for_a_keyframe_and_asks_for_one() -> None:
    asked: list[int] = []
    fanout = Fanout("video", lambda: asked.append(1))
    track = ViewerTrack("video", "VP8")
    fanout.add(track)
    assert asked  # joining asks the publisher for a keyframe
    fanout.deliver("VP8", 0, False, DELTA)
    assert track.delivered == 0 and track.dropped == 1
    fanout.deliver("VP8", 3000, True, KEY)
    fanout.deliver("VP8", 6000, False, DELTA)
    first, second = await track.recv(), await track.recv()
    assert bytes(first) == KEY and first.pts == 3000 and bytes(second) == DELTA


async def test_slow_viewer_is_cut_back_to_the_next_keyframe_without_touching_others() -> None:
    fanout = Fanout("video", lambda: None)
    slow, fast = ViewerTrack("video", "VP8"), ViewerTrack("video", "VP8")
    fanout.add(slow)
    fanout.add(fast)
    fanout.deliver("VP8", 0, True, KEY)
    for i in range(1, VIDEO_QUEUE + 5):
        fanout.deliver("VP8", i * 3000, False, DELTA)
        await fast.recv()  # the fast viewer keeps up
    await fast.recv()
    assert slow.waiting_keyframe and slow.dropped > VIDEO_QUEUE
    fanout.deliver("VP8", 999000, True, KEY)
    assert (await slow.recv()).pts == 999000  # resumes at the keyframe, nothing stale
    assert fast.dropped == 0


def test_a_viewer_sent_in_place_is_skipped_to_a_keyframe_when_backed_up_and_stopped_when_gone() -> None:
    asked: list[int] = []
    fanout = Fanout("video", lambda: asked.append(1))
    backed_up, gone, fine = (ViewerTrack("video", "VP8") for _ in range(3))
    got: list[int] = []
    state = {"full": False}

    def full(frame: SharedFrame) -> bool:
        if state["full"]:
            return False
        got.append(frame.timestamp)
        return True

    def closed(frame: SharedFrame) -> bool:
        raise ConnectionError("not connected")

    backed_up.direct, gone.direct = full, closed
    fine_frames: list[SharedFrame] = []
    fine.direct = lambda frame: fine_frames.append(frame) is None
    for track in (backed_up, gone, fine):
        fanout.add(track)
    fanout.deliver("VP8", 0, True, KEY)
    assert len(got) == 1 and gone.readyState == "ended" and gone.direct is None
    state["full"] = True
    fanout.deliver("VP8", 3000, False, DELTA)
    assert backed_up.waiting_keyframe and asked  # the publisher is asked for a keyframe
    state["full"] = False
    fanout.deliver("VP8", 6000, False, DELTA)  # not a keyframe: still skipped
    assert len(got) == 1
    fanout.deliver("VP8", 9000, True, KEY)
    assert len(got) == 2 and not backed_up.waiting_keyframe
    assert len(fine_frames) == 4  # the others never noticed
    assert gone not in fanout.tracks


def test_codec_mismatch_ends_the_viewer() -> None:
    ended: list[int] = []
    fanout = Fanout("video")
    track = ViewerTrack("video", "VP8", on_codec_mismatch=lambda: ended.append(1))
    fanout.add(track)
    fanout.deliver("H264", 0, True, b"\x00\x00\x00\x01\x65")
    fanout.deliver("H264", 1, True, b"\x00\x00\x00\x01\x65")
    assert ended == [1]


def test_offer_checks() -> None:
    with pytest.raises(MediaError) as e:
        parse_offer("not sdp", publishing=True)
    assert e.value.status == 400
    with pytest.raises(MediaError) as e:
        parse_offer("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", publishing=False)
    assert "no audio or video" in e.value.message


def test_sdpfrag_and_ice_links() -> None:
    frag = parse_sdpfrag(
        "a=ice-ufrag:abcd\r\na=ice-pwd:secretsecretsecret\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\na=end-of-candidates\r\n"
    )
    assert frag.ice_ufrag == "abcd" and frag.end_of_candidates
    assert frag.candidates[0].ip == "192.0.2.1" and frag.candidates[0].sdpMid == "0"
    with pytest.raises(MediaError):
        parse_sdpfrag("a=candidate:garbage\r\n")
    fixed = (IceServer(("stun:stun.example.com", "turn:turn.example.com:3478"), "u", "p"),)
    # a fixed TURN password is never handed out (issue 19 row 8); STUN is, to anyone
    assert ice_link_headers(fixed) == ['<stun:stun.example.com>; rel="ice-server"']
    assert ice_link_headers(fixed, session="s1") == ['<stun:stun.example.com>; rel="ice-server"']
    # with coturn's shared secret a session's answer carries its own short-lived credentials
    shared = (IceServer(("turn:turn.example.com:3478",), secret="shh"),)
    assert ice_link_headers(shared) == []
    (link,) = ice_link_headers(shared, session="s1")
    assert link.startswith('<turn:turn.example.com:3478>; rel="ice-server"; username="')
    assert ':s1"' in link and 'credential-type="password"' in link and '"shh"' not in link


def test_health_sample_and_verdict() -> None:
    before, now = FeedCounters(), FeedCounters()
    for i in range(50):
        now.count(
            MediaFrame(
                "video", "VP8", KEY if i % 25 == 0 else DELTA, i * 3000, i % 25 == 0, received_at=i / 10
            )
        )
    s = sample(
        "host",
        before,
        now,
        5.0,
        LinkStats(),
        LinkStats(100, 10),
        connected=True,
        viewers=3,
        monotonic_now=5.0,
    )
    assert s.fps == 10.0 and (s.width, s.height) == (640, 360) and s.keyframe_interval_s == 2.5
    assert s.packet_loss == pytest.approx(10 / 110, abs=1e-3)
    problems = quality_problems(s)
    assert any("fps" in p for p in problems) and any("loss" in p for p in problems)


def test_a_keyframe_that_opens_the_stream_is_not_lost() -> None:
    a, out, _ = assembler()
    a.add(rtp(100, 0, False, KEY[:12]))
    a.add(rtp(101, 0, True, KEY[12:]))
    assert len(out) == 1 and out[0].keyframe
