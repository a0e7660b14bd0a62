"""HLS output with a real aiortc H.264 publisher: LL-HLS playlist, blocking reload, parts, segments that
decode (video copied, audio AAC), cache headers, a bounded window, ENDLIST when the host stops; the
recording keeps working beside it."""

from __future__ import annotations

import asyncio
import io
import re
import time
from pathlib import Path

import aiohttp
import av
import pytest
from conftest import until

from media.config import HlsOutput

from .clients import StampedPattern, latency_ms, wait_connected, whip_publish
from .conftest import TOKEN, build, serve

pytestmark = pytest.mark.timeout(120)


def hint(playlist: str) -> tuple[str, int, int]:
    gen, msn, part = re.search(
        r'PRELOAD-HINT:TYPE=PART,URI="([0-9a-f]+)-(\d+)\.(\d+)\.m4s"', playlist
    ).groups()  # type: ignore[union-attr]
    return gen, int(msn), int(part)


def segments(playlist: str) -> list[tuple[float, str]]:
    return [(float(d), uri) for d, uri in re.findall(r"#EXTINF:([\d.]+),\n(\S+)", playlist)]


async def test_an_h264_host_is_packaged_as_ll_hls(tmp_path: Path) -> None:
    harness = build(tmp_path, record=True, hls=HlsOutput(segment_s=1.0, part_s=0.25, window=4))
    server = await serve(harness)
    base = harness.base + "/hls/demo"
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.get(f"{base}/index.m3u8")
            assert resp.status == 404 and "not live" in await resp.text()
            assert resp.headers["Cache-Control"] == "no-cache"

            pub, published, body = await whip_publish(
                http, harness.base, "demo", TOKEN, video=StampedPattern(320, 180)
            )  # offers VP8 and H.264: a room with HLS answers H.264
            assert published.status == 201, body
            assert "H264/90000" in body and "VP8/90000" not in body
            await wait_connected(pub)
            await until(lambda: "hls_started" in harness.kinds(), within=15)
            started = next(d for _, k, d in harness.events if k == "hls_started")
            assert started["codecs"].startswith("avc1.42") and started["codecs"].endswith("mp4a.40.2")

            resp = await http.get(f"{base}/index.m3u8")
            playlist = await resp.text()
            assert resp.status == 200, playlist
            assert resp.headers["Content-Type"].startswith("application/vnd.apple.mpegurl")
            assert resp.headers["Cache-Control"] == "public, max-age=1"
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            for tag in ("#EXT-X-VERSION:9", "#EXT-X-PART-INF:PART-TARGET=0.250", "CAN-BLOCK-RELOAD=YES"):
                assert tag in playlist
            gen, msn, part = hint(playlist)
            init = await http.get(f"{base}/{gen}-init.mp4")
            assert init.status == 200 and init.headers["Cache-Control"].endswith("immutable")
            init_data = await init.read()

            # Preload hint: asked for before it exists, answered the moment it does.
            asked = time.monotonic()
            hinted = await http.get(f"{base}/{gen}-{msn}.{part}.m4s")
            assert hinted.status == 200 and len(await hinted.read()) > 100
            assert time.monotonic() - asked < 2.0
            # Blocking playlist reload for the part after it.
            blocked = await http.get(f"{base}/index.m3u8", params={"_HLS_msn": msn, "_HLS_part": part + 1})
            text = await blocked.text()
            assert blocked.status == 200 and blocked.headers["Cache-Control"] == "public, max-age=60"
            assert f"{gen}-{msn}.{part + 1}.m4s" in text or f"{gen}-{msn}.m4s" in text

            # A few seconds of whole segments: ~1 s each, starting with keyframes, decodable.
            await asyncio.sleep(4.5)
            playlist = await (await http.get(f"{base}/index.m3u8")).text()
            listed = segments(playlist)
            assert 3 <= len(listed) <= 4, playlist  # the window holds 4
            assert all(0.45 <= d <= 1.8 for d, _ in listed), listed
            assert "#EXT-X-PROGRAM-DATE-TIME:" in playlist and "INDEPENDENT=YES" in playlist
            data = init_data
            for _, uri in listed:
                seg = await http.get(f"{base}/{uri}")
                assert seg.status == 200 and seg.headers["Cache-Control"].endswith("immutable")
                data += await seg.read()
            container = av.open(io.BytesIO(data))
            video_frames, audio_frames, stamps = 0, 0, []
            for packet in container.demux():
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        video_frames += 1
                        assert (frame.width, frame.height) == (320, 180)
                        stamps.append(frame)
                    else:
                        audio_frames += 1
            seconds = sum(d for d, _ in listed)
            assert video_frames >= 25 * seconds, (video_frames, seconds)  # every frame, copied
            assert audio_frames >= 40 * seconds  # AAC: 1024 samples at 48 kHz
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"
            # The stamp the publisher drew survives (no re-encode smears it): the newest segment is recent.
            assert latency_ms(stamps[-1]) < 4000

            # Bad requests get clear answers.
            assert (await http.get(f"{base}/index.m3u8", params={"_HLS_part": "1"})).status == 400
            far = await http.get(f"{base}/index.m3u8", params={"_HLS_msn": str(msn + 1000)})
            assert far.status == 400
            assert (await http.get(f"{base}/00000000-{msn}.m4s")).status == 404
            assert (await http.get(f"{base}/index.m3u8", params={"_HLS_msn": "x"})).status == 400
            assert len(harness.media.hls["demo"].segments) <= 5  # bounded: the window and the one being cut

            # The host stops: the playlist ends, the recording is saved as before.
            location = published.headers["Location"]
            gone = await http.delete(harness.base + location, headers={"Authorization": f"Bearer {TOKEN}"})
            assert gone.status == 200
            await pub.close()
            await until(lambda: "hls_stopped" in harness.kinds() and "recording_saved" in harness.kinds())
            final = await (await http.get(f"{base}/index.m3u8")).text()
            assert final.rstrip().endswith("#EXT-X-ENDLIST") and "PRELOAD-HINT" not in final
            stopped = next(d for _, k, d in harness.events if k == "hls_stopped")
            assert stopped["segments"] >= 5 and stopped["error"] is None
            saved = next(d for _, k, d in harness.events if k == "recording_saved")
            assert saved["packets"] > 100 and saved["path"].endswith(".mkv")
    finally:
        await server.close()


async def test_a_vp8_host_gets_no_hls_and_a_room_without_hls_says_so(tmp_path: Path) -> None:
    harness = build(tmp_path, hls=HlsOutput())
    server = await serve(harness)
    try:
        async with aiohttp.ClientSession() as http:
            pub, resp, _ = await whip_publish(
                http, harness.base, "demo", TOKEN, video=StampedPattern(160, 90), video_codec="VP8"
            )
            assert resp.status == 201
            await until(lambda: "hls_unavailable" in harness.kinds())
            unavailable = next(d for _, k, d in harness.events if k == "hls_unavailable")
            assert unavailable["codec"] == "VP8"
            assert (await http.get(f"{harness.base}/hls/demo/index.m3u8")).status == 404
            await pub.close()
    finally:
        await server.close()
    plain = build(tmp_path / "plain")
    server = await serve(plain)
    try:
        async with aiohttp.ClientSession() as http:
            resp = await http.get(f"{plain.base}/hls/demo/index.m3u8")
            assert resp.status == 404 and "room.yaml `hls`" in await resp.text()
            assert (await http.get(f"{plain.base}/hls/nosuchroom/index.m3u8")).status == 404
    finally:
        await server.close()


async def test_without_parts_the_playlist_is_plain_hls(tmp_path: Path) -> None:
    harness = build(tmp_path, hls=HlsOutput(segment_s=1.0, part_s=None, audio="opus"))
    server = await serve(harness)
    try:
        async with aiohttp.ClientSession() as http:
            pub, resp, _ = await whip_publish(
                http, harness.base, "demo", TOKEN, video=StampedPattern(160, 90)
            )
            assert resp.status == 201
            await until(
                lambda: harness.media.hls.get("demo") is not None and harness.media.hls["demo"].produced >= 2,
                within=20,
            )
            playlist = await (await http.get(f"{harness.base}/hls/demo/index.m3u8")).text()
            assert "#EXT-X-PART" not in playlist and "PRELOAD-HINT" not in playlist
            assert "#EXT-X-VERSION:7" in playlist
            stream = harness.media.hls["demo"]
            gen = stream.generation
            data = await (await http.get(f"{harness.base}/hls/demo/{gen}-init.mp4")).read()
            _, uri = segments(playlist)[0]
            data += await (await http.get(f"{harness.base}/hls/demo/{uri}")).read()
            container = av.open(io.BytesIO(data))
            assert container.streams.audio[0].codec_context.name == "opus"  # copied, not transcoded
            decoded = sum(1 for packet in container.demux() for _ in packet.decode())
            assert decoded > 30
            await pub.close()
    finally:
        await server.close()
