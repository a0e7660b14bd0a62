"""Stream health samples and alerts, recording to WebM, and viewers served by worker processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import av
import pytest
from aiohttp.test_utils import TestServer
from prometheus_client import generate_latest

from media.rtc.offers import MediaError, parse_sdpfrag

from .clients import StampedPattern, count_frames, wait_connected, whep_play, whip_publish
from .conftest import TOKEN, MediaHarness, build
from .test_whip_whep import wait_for

pytestmark = pytest.mark.timeout(60)


async def serve(harness: MediaHarness) -> AsyncIterator[MediaHarness]:
    server = TestServer(harness.app, host="127.0.0.1")
    await server.start_server()
    harness.base = str(server.make_url("")).rstrip("/")
    yield harness
    await server.close()


@pytest.fixture
async def recording(tmp_path: Path) -> AsyncIterator[MediaHarness]:
    async for h in serve(build(tmp_path, record=True)):
        yield h


@pytest.fixture
async def two_workers(tmp_path: Path) -> AsyncIterator[MediaHarness]:
    async for h in serve(build(tmp_path, media_workers=2)):
        yield h


def event(media: MediaHarness, kind: str) -> Callable[[], bool]:
    return lambda: kind in media.kinds()


async def test_health_is_sampled_exposed_and_an_outage_raises_stream_down(media: MediaHarness) -> None:
    async with aiohttp.ClientSession() as http:
        pub, _resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        viewer, _, tracks = await whep_play(http, media.base, "demo")
        try:
            await wait_connected(pub)
            await count_frames(tracks[0], 2.5)
            await wait_for(lambda: (media.media.health("demo").get("host") or {}).get("fps", 0) > 20)
            health = media.media.health("demo")
            host = health["host"]
            assert health["live"] and health["viewers"] == 1
            assert (host["width"], host["height"]) == (320, 180)
            assert host["bitrate_kbps"] > 0 and host["publisher_connected"] is True
            assert host["codec"] == "VP8" and host["packet_loss"] == 0.0
            assert "stream_health" in media.kinds()
            text = generate_latest(media.media.registry).decode()
            assert 'liveroom_media_video_fps{room="demo",slot="host"}' in text
            assert 'liveroom_media_viewers{room="demo"} 1.0' in text

            # The publisher vanishes without DELETE (crash, network): an outage for the alert rules.
            await pub.close()
            await wait_for(event(media, "stream_down"), 15)
            down = next(d for _, k, d in media.events if k == "stream_down")
            assert down["slot"] == "host"
            assert not media.media.is_live("demo")
        finally:
            await viewer.close()
            await pub.close()


async def test_recording_muxes_the_received_packets_into_webm(recording: MediaHarness) -> None:
    media = recording
    async with aiohttp.ClientSession() as http:
        pub, resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        try:
            await wait_connected(pub)
            await asyncio.sleep(3)
            assert (await http.delete(media.base + resp.headers["Location"])).status == 200
            await wait_for(event(media, "recording_saved"))
        finally:
            await pub.close()
    saved = next(d for _, k, d in media.events if k == "recording_saved")
    assert saved["error"] is None and saved["path"].endswith(".webm")
    with av.open(saved["path"]) as container:
        video = container.streams.video[0]
        assert video.codec_context.name in ("vp8", "libvpx")
        packets = [p for p in container.demux(video) if p.size]
        assert len(packets) >= 60  # ~30 fps for ~3 s, as received
    with av.open(saved["path"]) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (320, 180)


async def test_media_workers_serve_viewers_from_the_same_encoded_stream(two_workers: MediaHarness) -> None:
    media = two_workers
    assert media.media.pool is not None and len(media.media.pool.links) == 2
    async with aiohttp.ClientSession() as http:
        pub, _resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        viewers = [await whep_play(http, media.base, "demo") for _ in range(2)]
        try:
            results = await asyncio.gather(*(count_frames(tracks[0], 2.0) for _, _, tracks in viewers))
            for frames, _ in results:
                assert frames / 2.0 >= 25
            workers = {record.worker for record in media.media.viewers.values()}
            assert workers == {0, 1}  # one viewer per worker process
            for _, vresp, _ in viewers:
                assert (await http.delete(media.base + vresp.headers["Location"])).status == 200
            assert media.media.viewer_count("demo") == 0
        finally:
            for pc, _, _ in viewers:
                await pc.close()
            await pub.close()


async def test_media_workers_carry_the_cohost_guest_too(two_workers: MediaHarness) -> None:
    """A viewer served by a worker process gets host and guest as two tracks, like one served in-process."""
    media = two_workers
    async with aiohttp.ClientSession() as http:
        host, _resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        guest_token = media.media.create_guest_invite("demo")
        guest, gresp, body = await whip_publish(
            http, media.base, "demo", guest_token, video=StampedPattern(160, 90), audio=False
        )
        assert gresp.status == 201, body
        viewers = [await whep_play(http, media.base, "demo", slots=2) for _ in range(2)]
        try:
            assert {record.worker for record in media.media.viewers.values()} == {0, 1}
            for _, _, tracks in viewers:
                host_frames, guest_frames = await asyncio.gather(
                    count_frames(tracks[0], 2.0), count_frames(tracks[1], 2.0)
                )
                assert host_frames[0] / 2.0 >= 25 and guest_frames[0] / 2.0 >= 25
                assert (await tracks[0].recv()).width == 320 and (await tracks[1].recv()).width == 160
        finally:
            for pc, _, _ in viewers:
                await pc.close()
            await guest.close()
            await host.close()


async def test_a_crashed_media_worker_is_replaced_and_serves_again(two_workers: MediaHarness) -> None:
    media = two_workers
    pool = media.media.pool
    assert pool is not None
    async with aiohttp.ClientSession() as http:
        pub, _resp, _ = await whip_publish(http, media.base, "demo", TOKEN, video=StampedPattern(320, 180))
        first = [await whep_play(http, media.base, "demo") for _ in range(2)]
        try:
            await asyncio.gather(*(count_frames(tracks[0], 1.0) for _, _, tracks in first))
            crashed = pool.links[0]
            old_pid = crashed.process.pid
            crashed.process.kill()  # as if the worker process crashed mid-show
            await wait_for(lambda: media.media.viewer_count("demo") == 1, 10)  # its viewer is let go
            await wait_for(lambda: crashed.writer is not None and crashed.process.pid != old_pid, 20)
            assert crashed.restarts == 1
            # New viewers land on both processes again (the least loaded first) and play.
            again = [await whep_play(http, media.base, "demo") for _ in range(2)]
            try:
                results = await asyncio.gather(*(count_frames(tracks[0], 2.0) for _, _, tracks in again))
                for frames, _ in results:
                    assert frames / 2.0 >= 25
                assert 0 in {record.worker for record in media.media.viewers.values()}
            finally:
                for pc, _, _ in again:
                    await pc.close()
        finally:
            for pc, _, _ in first:
                await pc.close()
            await pub.close()


async def test_trickle_reaches_a_viewer_held_by_a_worker(two_workers: MediaHarness) -> None:
    media = two_workers
    pool = media.media.pool
    assert pool is not None
    async with aiohttp.ClientSession() as http:
        pc, vresp, _ = await whep_play(http, media.base, "demo")
        try:
            location = vresp.headers["Location"]
            session_id = location.rsplit("/", 1)[1]
            record = media.media.viewers[session_id]
            assert record.local is None and record.worker is not None  # held by a worker process
            ufrag = pc.localDescription.sdp.split("a=ice-ufrag:")[1].split()[0]
            frag = f"a=ice-ufrag:{ufrag}\r\nm=video 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
            headers = {"Content-Type": "application/trickle-ice-sdpfrag"}
            assert (await http.patch(media.base + location, data=frag, headers=headers)).status == 204
            restart = "a=ice-ufrag:newufrag\r\na=ice-pwd:newpasswordnewpassword\r\n"
            assert (await http.patch(media.base + location, data=restart, headers=headers)).status == 422
            unknown = location.rsplit("/", 1)[0] + "/nosuchsession"
            assert (await http.patch(media.base + unknown, data=frag, headers=headers)).status == 404
            # The worker process itself took the candidate (and knows only its own viewers).
            candidates = parse_sdpfrag(frag).candidates
            assert await pool.trickle(record.worker, session_id, candidates) == 1
            pool.links[record.worker].viewers["stranger"] = "demo"
            with pytest.raises(MediaError) as missing:
                await pool.trickle(record.worker, "stranger", candidates)
            assert missing.value.status == 404
        finally:
            await pc.close()
