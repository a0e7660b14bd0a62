"""Codecs between publishers and viewers, with real aiortc peers: every viewer is answered with a codec
the host sends (or may send), or gets a 406 that names the room's codec; offers that aiortc would accept
but could never connect are refused before they take the host's slot."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import until

from .clients import StampedPattern, count_frames, wait_connected, whep_play, whip_publish
from .conftest import TOKEN, MediaHarness, build

pytestmark = pytest.mark.timeout(90)

AUTH = {"Content-Type": "application/sdp", "Authorization": f"Bearer {TOKEN}"}


def video_codecs(sdp: str) -> list[str]:
    """Codec names of the first m=video section, in order (RTX left out)."""
    video = sdp.split("m=video", 1)[1].split("m=", 1)[0]
    names = [line.split()[1].split("/")[0] for line in video.splitlines() if line.startswith("a=rtpmap:")]
    return [n for n in names if n.lower() != "rtx"]


async def test_viewers_of_a_vp8_host_get_frames_or_a_406_naming_vp8(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, body = await whip_publish(
            http, media.base, "demo", TOKEN, video=StampedPattern(320, 180), video_codec="VP8"
        )
        assert resp.status == 201, body
        await wait_connected(pub)
        vp8, h264 = None, None
        try:
            vp8, vresp, tracks = await whep_play(http, media.base, "demo", video_codec="VP8")
            assert vresp.status == 201
            frames, _ = await count_frames(tracks[0], 2.0)
            assert frames >= 40, f"only {frames} frames in 2 s"

            h264, hresp, _ = await whep_play(http, media.base, "demo", video_codec="H264")
            text = await hresp.text()
            assert hresp.status == 406, text
            assert "VP8" in text and "H264" in text  # what the room sends, and what the offer had
            assert hresp.headers["X-Room-Video-Codec"] == "VP8"
            assert media.media.viewer_count("demo") == 1  # the refused viewer holds nothing
            assert "X-Room-Video-Codec" in hresp.headers["Access-Control-Expose-Headers"]
        finally:
            for pc in (vp8, h264, pub):
                if pc is not None:
                    await pc.close()


async def _early_viewer_plays_an_h264_host(harness: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        # The page opened before the host went live: it offers what Chromium offers, VP8 and H.264.
        viewer, vresp, tracks = await whep_play(http, harness.base, "demo")
        answer = await vresp.text()
        assert vresp.status == 201, answer
        assert set(video_codecs(answer)) == {"VP8", "H264"}  # ready for either
        try:
            pub, resp, body = await whip_publish(
                http, harness.base, "demo", TOKEN, video=StampedPattern(320, 180), video_codec="H264"
            )
            assert resp.status == 201, body
            assert set(video_codecs(body)) == {"H264"}  # one codec, two H.264 profiles
            frames, latencies = await count_frames(tracks[0], 2.0)
            assert frames >= 40, f"only {frames} frames in 2 s"
            latencies.sort()
            assert latencies[len(latencies) // 2] < 250
            assert harness.media.viewer_count("demo") == 1  # the same session, never dropped
            assert "viewer_media_left" not in harness.kinds()
            await pub.close()
        finally:
            await viewer.close()


async def test_a_viewer_who_came_before_an_h264_host_gets_its_frames(media: MediaHarness) -> None:
    await _early_viewer_plays_an_h264_host(media)


async def test_the_same_through_a_media_worker_process(tmp_path: Path) -> None:
    harness = build(tmp_path, media_workers=2)
    server = TestServer(harness.app, host="127.0.0.1")
    await server.start_server()
    harness.base = str(server.make_url("")).rstrip("/")
    try:
        await _early_viewer_plays_an_h264_host(harness)
    finally:
        await server.close()


async def test_a_vp8_only_early_viewer_of_an_h264_host_is_told_which_codec_to_offer(
    media: MediaHarness,
) -> None:
    async with aiohttp.ClientSession() as http:
        viewer, vresp, _ = await whep_play(http, media.base, "demo", video_codec="VP8")
        assert vresp.status == 201
        pub, resp, _ = await whip_publish(
            http, media.base, "demo", TOKEN, video=StampedPattern(320, 180), video_codec="H264"
        )
        try:
            assert resp.status == 201
            # It cannot decode what arrives: its session ends (the player offers again) …
            await until(lambda: media.media.viewer_count("demo") == 0, within=15)
            again, aresp, _ = await whep_play(http, media.base, "demo", video_codec="VP8")
            await again.close()
            # … and the new offer is told what the room sends.
            assert aresp.status == 406 and "this room sends H264" in await aresp.text()
        finally:
            await viewer.close()
            await pub.close()


def _without_fingerprint(sdp: str) -> str:
    return "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith("a=fingerprint:"))


async def test_an_offer_without_a_fingerprint_is_refused_and_the_host_publishes_at_once(
    media: MediaHarness,
) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, _ = await whip_publish(http, media.base, "demo", TOKEN)  # to have a real offer to cut
        offer = pub.localDescription.sdp
        await pub.close()
        assert resp.status == 201
        location = resp.headers["Location"]
        assert (await http.delete(media.base + location, headers=AUTH)).status == 200
        media.events.clear()

        bad = await http.post(f"{media.base}/whip/demo", data=_without_fingerprint(offer), headers=AUTH)
        text = await bad.text()
        assert bad.status == 400 and "fingerprint" in text, text
        status = await (await http.get(f"{media.base}/whep/demo/status")).json()
        assert status["live"] is False  # it holds no slot

        host, resp, body = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        try:
            assert resp.status == 201, body  # no 409: the slot was free all along
            await wait_connected(host)
            await until(lambda: "stream_started" in media.kinds())
        finally:
            await host.close()
        # The same refusal on WHEP: a viewer without a fingerprint could never connect either.
        viewer, _, _ = await whep_play(http, media.base, "demo")
        await viewer.close()
        bad = await http.post(
            f"{media.base}/whep/demo",
            data=_without_fingerprint(viewer.localDescription.sdp),
            headers={"Content-Type": "application/sdp"},
        )
        assert bad.status == 400 and "fingerprint" in await bad.text()


async def test_a_publisher_that_never_connects_raises_no_stream_alert(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pub, resp, _ = await whip_publish(http, media.base, "demo", TOKEN)
        assert resp.status == 201
        await pub.close()  # gone before ICE and DTLS complete
        [peer] = media.media.publishers.values()
        assert not peer.ever_connected
        await media.media._end_publisher(peer, "no_media")  # what the watch does after 20 s
        await until(lambda: "publish_failed" in media.kinds())
        await asyncio.sleep(0.1)
        assert "stream_down" not in media.kinds() and "stream_stopped" not in media.kinds()
        failed = next(d for _, k, d in media.events if k == "publish_failed")
        assert failed["slot"] == "host" and failed["reason"] == "no_media"
        assert not media.media.is_live("demo")
