"""The relay's send path alone: what each viewer costs the server per second of 30 fps video.

Method
------
* One process. N real aiortc connections on loopback (ICE, DTLS, SRTP), each a server side
  with a relayed video track (`ViewerTrack` + `ForwardingSender`, as `media.rtc.viewers`
  builds them) and a viewer side whose sockets, once connected, drop what arrives without
  reading it: the viewers' own work is not in the numbers.
* A `Fanout` is fed 30 frames a second of a 1 Mbps VP8-sized stream (a keyframe every 2 s,
  random bytes cut by aiortc's VP8 packetizer, ~4 packets a frame) for `--seconds`.
* The process's CPU time (user + system, which includes the kernel's loopback delivery of
  every packet sent) over the window, less the same window with no viewer, divided by N:
  % of one core per viewer. `frames` checks every viewer was sent every frame.
* Repeatable on a busy machine in a way the whole-system `media_bench.py` is not: nothing
  else runs in this process and no viewer process competes for the core; `--repeat` runs
  the window several times and prints the median.

Usage: `python bench/send_path_bench.py --viewers 50,150 --seconds 5 --repeat 3`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiortc import RTCPeerConnection  # noqa: E402

from media.rtc.relay import Fanout, ViewerTrack  # noqa: E402
from media.rtc.sender import use_forwarding_sender  # noqa: E402

FPS = 30
BITRATE = 1_000_000


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


async def _pair(fanout: Fanout) -> tuple[RTCPeerConnection, RTCPeerConnection, ViewerTrack]:
    server, viewer = RTCPeerConnection(), RTCPeerConnection()
    track = ViewerTrack("video", ("VP8",))
    transceiver = server.addTransceiver(track, direction="sendonly")
    use_forwarding_sender(transceiver.sender)
    transceiver.sender._send_keyframe = lambda: None  # type: ignore[method-assign]
    viewer.addTransceiver("video", direction="recvonly")
    await viewer.setLocalDescription(await viewer.createOffer())
    await server.setRemoteDescription(viewer.localDescription)
    await server.setLocalDescription(await server.createAnswer())
    await viewer.setRemoteDescription(server.localDescription)
    for _ in range(200):
        if server.connectionState == "connected" and viewer.connectionState == "connected":
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("a loopback connection did not come up")
    # The viewer side stops reading: what arrives is dropped by the kernel, unread.
    loop = asyncio.get_running_loop()
    for t in viewer.getTransceivers():
        ice = t.receiver.transport.transport
        for protocol in ice._connection._protocols:
            if protocol.transport is not None:
                loop._remove_reader(protocol.transport.get_extra_info("socket").fileno())  # type: ignore[attr-defined]
    fanout.add(track)
    return server, viewer, track


async def _window(fanout: Fanout, seconds: float, frame_sizes: list[int], blob: bytes) -> float:
    loop = asyncio.get_running_loop()
    start_cpu, start = _cpu(), loop.time()
    frames = int(seconds * FPS)
    for n in range(frames):
        size = frame_sizes[n % len(frame_sizes)]
        fanout.deliver("VP8", n * 3000, n % (2 * FPS) == 0, blob[:size])
        delay = start + (n + 1) / FPS - loop.time()
        await asyncio.sleep(max(0.0, delay))
    await asyncio.sleep(0.2)  # the senders' last frames
    return _cpu() - start_cpu


async def bench(counts: list[int], seconds: float, repeat: int) -> None:
    rng = random.Random(7)
    average = BITRATE // 8 // FPS
    sizes = [
        average * 6 if n % (2 * FPS) == 0 else int(average * rng.uniform(0.7, 1.1)) for n in range(2 * FPS)
    ]
    blob = rng.randbytes(max(sizes))
    print(f"send path bench: {os.cpu_count()} cores, {seconds:g} s windows × {repeat}, 30 fps ~1 Mbps VP8")
    print("viewers  cpu_pct  baseline_pct  per_viewer_pct  frames_min  frames_expected")
    empty = Fanout("video")
    baseline = statistics.median([await _window(empty, seconds, sizes, blob) for _ in range(repeat)])
    for count in counts:
        fanout = Fanout("video")
        pairs = [await _pair(fanout) for _ in range(count)]
        await asyncio.sleep(0.5)
        for _, _, track in pairs:
            track.delivered = 0
        used = statistics.median([await _window(fanout, seconds, sizes, blob) for _ in range(repeat)])
        delivered = min(track.delivered for _, _, track in pairs)
        per_viewer = (used - baseline) / seconds / count * 100
        print(
            f"{count}  {used / seconds * 100:.1f}  {baseline / seconds * 100:.1f}  {per_viewer:.3f}  "
            f"{delivered}  {int(seconds * FPS) * repeat}",
            flush=True,
        )
        for server, viewer, _ in pairs:
            await server.close()
            await viewer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="50,150")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.monotonic()
    asyncio.run(bench([int(v) for v in args.viewers.split(",")], args.seconds, args.repeat))
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
