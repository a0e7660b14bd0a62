"""WHIP ingest and WHEP playback with real aiortc peer connections over loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp
import pytest

from .clients import StampedPattern, count_frames, wait_connected, whep_play, whip_publish
from .conftest import TOKEN, MediaHarness

pytestmark = pytest.mark.timeout(60)


async def wait_for(predicate: Callable[[], bool], limit_s: float = 10.0) -> None:
    end = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


def first_video_codec(sdp: str) -> str:
    video = sdp.split("m=video", 1)[1]
    return video.split("a=rtpmap:", 1)[1].split()[1].split("/")[0]


async def test_publish_needs_the_room_token(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pc, resp, body = await whip_publish(http, media.base, "demo", None)
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        pc, resp, body = await whip_publish(http, media.base, "demo", "not-the-token")
        assert resp.status == 401
        assert not media.media.is_live("demo")

        pc, resp, body = await whip_publish(http, media.base, "demo", TOKEN)
        try:
            assert resp.status == 201, body
            assert resp.headers["Content-Type"].startswith("application/sdp")
            location = resp.headers["Location"]
            assert location.startswith("/whip/demo/")
            assert resp.headers["ETag"].startswith('"')
            assert "a=recvonly" in body
            await wait_connected(pc)
            assert media.media.is_live("demo")
            await wait_for(lambda: "stream_started" in media.kinds())

            # A second host publisher is refused while the first is on.
            _pc2, resp2, _ = await whip_publish(http, media.base, "demo", TOKEN)
            assert resp2.status == 409

            resp = await http.delete(media.base + location, headers={"Authorization": f"Bearer {TOKEN}"})
            assert resp.status == 200
            assert not media.media.is_live("demo")
            assert (await http.delete(media.base + location)).status == 404
            await wait_for(lambda: "stream_stopped" in media.kinds())
            stopped = next(d for _, k, d in media.events if k == "stream_stopped")
            assert stopped["reason"] == "deleted"
            assert "stream_down" not in media.kinds()  # the host's own stop is no outage
        finally:
            await pc.close()


async def test_two_viewers_get_full_frame_rate_and_delete_ends_each(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, body = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        assert resp.status == 201, body
        viewers = [await whep_play(http, media.base, "demo") for _ in range(2)]
        try:
            for _pc, vresp, _tracks in viewers:
                assert vresp.status == 201
                assert vresp.headers["Location"].startswith("/whep/demo/")
            results = await asyncio.gather(*(count_frames(tracks[0], 3.0) for _, _, tracks in viewers))
            for frames, latencies in results:
                assert frames / 3.0 >= 25, f"only {frames / 3.0:.1f} fps"
                latencies.sort()
                assert latencies[len(latencies) // 2] < 250  # stamped publisher→viewer delay, ms
            assert media.media.viewer_count("demo") == 2

            for _pc, vresp, _ in viewers:
                location = vresp.headers["Location"]
                assert (await http.delete(media.base + location)).status == 200
                assert (await http.delete(media.base + location)).status == 404
            assert media.media.viewer_count("demo") == 0
            assert media.kinds().count("viewer_media_left") == 2
        finally:
            for pc, _, _ in viewers:
                await pc.close()
            await pub.close()


async def test_an_h264_publisher_is_forwarded_as_h264(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, body = await whip_publish(
            http, media.base, "demo", TOKEN, video=StampedPattern(320, 180), video_codec="H264"
        )
        assert resp.status == 201, body
        assert "H264/90000" in body and "VP8/90000" not in body
        stream = media.media.streams["demo"]
        await wait_for(lambda: stream.live and stream.slots["host"].counters.codec == "H264")
        pc, vresp, tracks = await whep_play(http, media.base, "demo")  # the viewer offers VP8 and H.264
        try:
            answer = await vresp.text()
            assert first_video_codec(answer) == "H264"  # what the host sends comes first
            frames, latencies = await count_frames(tracks[0], 2.0)
            assert frames / 2.0 >= 25, f"only {frames / 2.0:.1f} fps"
            latencies.sort()
            assert latencies[len(latencies) // 2] < 250
        finally:
            await pc.close()
            await pub.close()


async def test_bad_requests_get_clear_answers_and_the_server_keeps_going(media: MediaHarness) -> None:
    sdp = {"Content-Type": "application/sdp"}
    auth = {**sdp, "Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        base = media.base
        resp = await http.post(f"{base}/whip/demo", data="hello", headers=auth)
        assert resp.status == 400 and "SDP" in await resp.text()
        resp = await http.post(f"{base}/whip/demo", data="v=0\r\nm=video what\r\n", headers=auth)
        assert resp.status == 400
        resp = await http.post(f"{base}/whep/demo", data="v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n", headers=sdp)
        assert resp.status == 400
        resp = await http.post(
            f"{base}/whip/demo", data="v=0", headers={**auth, "Content-Type": "text/plain"}
        )
        assert resp.status == 415 and resp.headers["Accept-Post"] == "application/sdp"
        resp = await http.post(f"{base}/whep/demo", json={"sdp": "v=0"})
        assert resp.status == 415
        resp = await http.post(f"{base}/whip/nosuchroom", data="v=0", headers=auth)
        assert resp.status == 404 and "nosuchroom" in await resp.text()
        resp = await http.post(f"{base}/whep/nosuchroom", data="v=0", headers=sdp)
        assert resp.status == 404
        resp = await http.post(f"{base}/whep/demo", data="v=0\r\n" + "a=x\r\n" * 20000, headers=sdp)
        assert resp.status == 413
        resp = await http.delete(f"{base}/whep/demo/nosuchsession")
        assert resp.status == 404

        # A viewer's (recvonly) offer sent to WHIP, and a publisher's to WHEP, are refused.
        pc, _vresp, _ = await whep_play(http, base, "demo")
        await pc.close()
        resp = await http.post(f"{base}/whip/demo", data=pc.localDescription.sdp, headers=auth)
        assert resp.status == 400 and "sendonly" in await resp.text()

        resp = await http.options(f"{base}/whip/demo")
        assert resp.status == 204
        assert resp.headers["Accept-Post"] == "application/sdp"
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]

        # Still serving: a real publisher goes live, trickle and If-Match follow RFC 9725.
        pub, resp, _body = await whip_publish(http, base, "demo", TOKEN)
        assert resp.status == 201
        location, etag = resp.headers["Location"], resp.headers["ETag"]
        frag = {"Content-Type": "application/trickle-ice-sdpfrag", "Authorization": f"Bearer {TOKEN}"}
        ufrag = pub.localDescription.sdp.split("a=ice-ufrag:")[1].split()[0]
        good = f"a=ice-ufrag:{ufrag}\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
        assert (
            await http.patch(base + location, data=good, headers={**frag, "If-Match": etag})
        ).status == 204
        assert (
            await http.patch(base + location, data=good, headers={**frag, "If-Match": '"other"'})
        ).status == 412
        restart = "a=ice-ufrag:newufrag\r\na=ice-pwd:newpasswordnewpassword\r\n"
        assert (
            await http.patch(base + location, data=restart, headers={**frag, "If-Match": "*"})
        ).status == 422
        assert (await http.patch(base + location, data=good, headers=auth)).status == 415
        await wait_connected(pub)
        assert media.media.is_live("demo")
        await pub.close()


async def test_early_viewer_waits_and_resumes_after_the_host_reconnects(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        viewer, vresp, tracks = await whep_play(http, media.base, "demo")
        assert vresp.status == 201  # nobody live yet: the viewer waits on an open session
        status = await (await http.get(f"{media.base}/whep/demo/status")).json()
        assert status == {"live": False, "guest": False}
        try:
            pub, resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
            first = await asyncio.wait_for(tracks[0].recv(), 10)
            frames, _ = await count_frames(tracks[0], 1.0)
            assert frames >= 20
            assert (await http.delete(media.base + resp.headers["Location"])).status == 200
            await pub.close()
            await asyncio.sleep(0.5)

            pub2, resp2, _ = await whip_publish(
                http, media.base, "demo", TOKEN, video=StampedPattern(320, 180)
            )
            assert resp2.status == 201
            frames, _ = await count_frames(tracks[0], 1.0)
            assert frames >= 20  # the same viewer session plays the new stream
            later = await tracks[0].recv()
            assert later.pts > first.pts  # one continuous timeline for the viewer's decoder
            await pub2.close()
        finally:
            await viewer.close()


async def test_cohost_guest_is_a_second_stream_the_host_can_end(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        host, resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        assert resp.status == 201
        guest_token = media.media.create_guest_invite("demo")
        guest, gresp, body = await whip_publish(
            http, media.base, "demo", guest_token, video=StampedPattern(160, 90), audio=False
        )
        assert gresp.status == 201, body
        viewer, _vresp, tracks = await whep_play(http, media.base, "demo", slots=2)
        try:
            host_frame = await asyncio.wait_for(tracks[0].recv(), 10)
            guest_frame = await asyncio.wait_for(tracks[1].recv(), 10)
            assert (host_frame.width, guest_frame.width) == (320, 160)  # two tracks, no mixing

            assert await media.media.end_guest("demo")
            assert not media.media.streams["demo"].slots["guest"].live
            assert media.media.is_live("demo")
            await wait_for(lambda: "guest_ended" in media.kinds())
            # The invite is spent: the guest cannot come back with it.
            _again, aresp, _ = await whip_publish(http, media.base, "demo", guest_token, audio=False)
            assert aresp.status == 401
            frames, _ = await count_frames(tracks[0], 1.0)
            assert frames >= 20  # the host plays on
        finally:
            for pc in (viewer, guest, host):
                await pc.close()
