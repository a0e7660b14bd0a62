"""`liveroom clip`: cutting a clip out of a recording made by the media server's `Recorder`, packets copied."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from bot.cli import main
from bot.review.clips import ClipError, cut, format_size, parse_time
from media.rtc.recording import RecordedPacket, Recorder

SECONDS = 10
FPS = 30
VIDEO_BASE = 5 * 90000  # a second live stretch: its timestamps go on from the first one's
AUDIO_BASE = 5 * 48000
SAMPLES = 960  # 20 ms of Opus


def encoded_show(codec: str) -> list[RecordedPacket]:
    """What a host publishes: 10 s of video with a keyframe every second, and Opus audio (VP8 only)."""
    video = av.CodecContext.create("libvpx" if codec == "VP8" else "libx264", "w")
    video.width, video.height, video.pix_fmt = 160, 90, "yuv420p"
    video.time_base, video.framerate, video.gop_size = Fraction(1, 90000), Fraction(FPS), FPS
    video.options = (
        {"keyint_min": str(FPS)}
        if codec == "VP8"
        else {"tune": "zerolatency", "bf": "0", "sc_threshold": "0"}
    )
    packets: list[RecordedPacket] = []

    def keep(kind: str, base: int, encoded: list[av.Packet]) -> None:
        for p in encoded:
            assert p.pts is not None
            packets.append(
                RecordedPacket(
                    kind, codec if kind == "video" else "opus", base + p.pts, p.is_keyframe, bytes(p)
                )
            )

    for i in range(SECONDS * FPS):
        picture = np.full((90, 160, 3), (i * 7) % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * 90000 // FPS, video.time_base
        keep("video", VIDEO_BASE, video.encode(frame))
    keep("video", VIDEO_BASE, video.encode(None))
    if codec == "VP8":
        audio = av.CodecContext.create("libopus", "w")
        audio.sample_rate, audio.layout, audio.format = 48000, "stereo", "s16"
        audio.time_base = Fraction(1, 48000)
        tone = (np.sin(np.arange(SAMPLES) / 10.0) * 8000).astype(np.int16)
        for j in range(SECONDS * 48000 // SAMPLES):
            frame = av.AudioFrame.from_ndarray(
                np.stack([tone, tone]).reshape(1, -1), format="s16", layout="stereo"
            )
            frame.sample_rate, frame.pts, frame.time_base = 48000, j * SAMPLES, audio.time_base
            keep("audio", AUDIO_BASE, audio.encode(frame))
    # as the relay hands them over: in time order across the two streams
    return sorted(packets, key=lambda p: p.pts / (90000 if p.kind == "video" else 48000))


def record(directory: Path, codec: str) -> Path:
    recorder = Recorder(directory, f"demo-20250101-12000{0 if codec == 'VP8' else 1}")
    for packet in encoded_show(codec):
        recorder.write(packet)
    recorder.close()
    assert recorder.error is None and recorder.dropped == 0 and recorder.path is not None
    return recorder.path


@pytest.fixture(scope="module")
def webm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record(tmp_path_factory.mktemp("recordings"), "VP8")


def packets(path: Path) -> list[tuple[str, float, bool, bytes]]:
    """(kind, seconds from the file's first packet, keyframe, data) in file order."""
    with av.open(str(path)) as container:
        found = [
            (p.stream.type, float(p.pts * p.time_base), p.is_keyframe, bytes(p))
            for p in container.demux()
            if p.pts is not None and p.size
        ]
    origin = min(at for _, at, _, _ in found)
    return [(kind, round(at - origin, 3), key, data) for kind, at, key, data in found]


def duration(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return container.duration / 1_000_000


def test_clip_starts_at_the_keyframe_before_start_and_copies_the_packets(webm: Path, tmp_path: Path) -> None:
    assert packets(webm)[0][1] == 0.0
    clip = tmp_path / "clip.webm"

    result = cut(webm, clip, 2.5, 6.0)

    assert result.start_s == pytest.approx(2.0, abs=0.002) and result.end_s == 6.0
    got = packets(clip)
    video = [p for p in got if p[0] == "video"]
    audio = [p for p in got if p[0] == "audio"]
    assert video[0][1:3] == (0.0, True)  # opens on a keyframe, rebased to 0
    assert len(video) == 4 * FPS and len(audio) == 4 * 50
    assert 3.5 <= duration(clip) <= 3.5 + 1.0 and result.duration_s == pytest.approx(duration(clip), abs=0.01)
    # no re-encode: the clip's packets are the recording's, byte for byte, from 2.0 s up to 6.0 s
    source = [p for p in packets(webm) if result.start_s - 0.001 <= p[1] < 6.0]
    for kind in ("video", "audio"):
        assert [data for k, _, _, data in got if k == kind] == [data for k, _, _, data in source if k == kind]
    with av.open(str(clip)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (160, 90)
    assert result.size_bytes == clip.stat().st_size > 0


def test_clip_on_a_keyframe_starts_there_and_an_end_past_the_recording_stops_at_its_end(
    webm: Path, tmp_path: Path
) -> None:
    result = cut(webm, tmp_path / "tail.webm", 7.0, 60.0)
    assert result.start_s == pytest.approx(7.0, abs=0.002)
    assert result.end_s == pytest.approx(SECONDS, abs=0.05)
    assert duration(tmp_path / "tail.webm") == pytest.approx(3.0, abs=0.05)


def test_h264_recording_gives_an_mkv_clip(tmp_path: Path) -> None:
    mkv = record(tmp_path, "H264")
    assert mkv.suffix == ".mkv"
    clip = tmp_path / "clip.mkv"
    result = cut(mkv, clip, 4.2, 5.0)
    assert result.start_s == pytest.approx(4.0, abs=0.002)
    with av.open(str(clip)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        first = next(p for p in container.demux(video=0) if p.size)
        assert first.is_keyframe and first.pts == 0
    assert [d for k, _, _, d in packets(clip)] == [
        d for k, at, _, d in packets(mkv) if k == "video" and 4.0 <= at < 5.0
    ]


def test_a_recording_the_server_never_finished_can_still_be_cut(webm: Path, tmp_path: Path) -> None:
    # killed mid-stream: no duration, no index at the end
    unfinished = tmp_path / "unfinished.webm"
    unfinished.write_bytes(webm.read_bytes()[: webm.stat().st_size * 6 // 10])
    result = cut(unfinished, tmp_path / "clip.webm", 3.5, 4.5)
    assert result.start_s == pytest.approx(3.0, abs=0.002)
    assert packets(tmp_path / "clip.webm")[0][2] is True


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("12:30", 750.0), ("12:28.4", 748.4), ("1:02:03.5", 3723.5), (".5", 0.5)],
)
def test_times_read_as_seconds_mm_ss_or_hh_mm_ss(text: str, seconds: float) -> None:
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "1:75", "1:60:00", "-5", "1:2:3:4", "1e3", "12:", "nan"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ClipError) as err:
        parse_time(text, "--end")
    assert err.value.key == "bad_time" and "--end" in err.value.render("zh-CN")


# -- the command -------------------------------------------------------------


def clip_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["clip", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_writes_next_to_the_recording_and_says_where_it_started(
    webm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / webm.name
    shutil.copy(webm, src)
    code, out, _ = clip_cli(capsys, str(src), "--start", "00:02.5", "--end", "0:06")
    clip = tmp_path / "demo-20250101-120000-clip-0002-0006.webm"
    assert code == 0 and clip.exists()
    assert "从 00:02 的关键帧开始（要求 00:02.5）" in out
    assert f"已写入 {clip}：时长 00:04" in out and "KB" in out

    code, _, err = clip_cli(capsys, str(src), "--start", "2.5", "--end", "6")
    assert code == 2 and f"{clip} 已存在；要覆盖请加 --force" in err
    code, out, _ = clip_cli(
        capsys, str(src), "--start", "3", "--end", "6", "-o", str(clip), "--force", "--lang", "en"
    )
    # 3 s is a keyframe: nothing to explain
    assert code == 0 and out == f"wrote {clip}: 00:03 long, {format_size(clip.stat().st_size)}\n"
    assert packets(clip)[0][2] is True and duration(clip) == pytest.approx(3.0, abs=0.05)


def no_keyframe_at_start(webm: Path, dst: Path) -> Path:
    """A file that starts mid-GOP (not one of ours: the recorder waits for a keyframe)."""
    with av.open(str(webm)) as src, av.open(str(dst), "w", format="webm") as out:
        stream = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(video=0):
            if packet.pts is not None and packet.pts * packet.time_base >= Fraction(5, 1) + Fraction(1, 10):
                packet.stream = stream
                out.mux(packet)
    return dst


def test_command_errors_exit_2_in_chinese_then_english(
    webm: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.webm").write_text("不是视频", encoding="utf-8")
    (tmp_path / "folder.webm").mkdir()
    out = str(tmp_path / "c.webm")
    cases = [
        ([str(tmp_path / "gone.webm"), "--start", "1", "--end", "2"], "找不到录像文件", "no such recording"),
        ([str(tmp_path / "folder.webm"), "--start", "1", "--end", "2"], "读不了", "cannot read"),
        ([str(tmp_path / "notes.webm"), "--start", "1", "--end", "2"], "不是录像", "is not a recording"),
        (
            [str(webm), "--start", "1:75", "--end", "2:00"],
            "--start 的时间“1:75”看不懂",
            "cannot read the time '1:75'",
        ),
        (
            [str(webm), "--start", "0:05", "--end", "4"],
            "结束时间 00:04 要晚于开始时间 00:05",
            "must come after",
        ),
        ([str(webm), "--start", "0:30", "--end", "0:40"], "只有 00:10", "is 00:10 long"),
        (
            [str(no_keyframe_at_start(webm, tmp_path / "midgop.webm")), "--start", "0.5", "--end", "2"],
            "之前没有关键帧",
            "no keyframe at or before 00:00.5",
        ),
        (
            [str(webm), "--start", "1", "--end", "2", "-o", str(tmp_path / "c.mp4")],
            "要以 .webm 结尾",
            "must end in .webm",
        ),
    ]
    for args, chinese, english in cases:
        code, _, err = clip_cli(capsys, *args, "-o", out) if "-o" not in args else clip_cli(capsys, *args)
        assert (code, chinese in err) == (2, True), (args, err)
        code, _, err = clip_cli(capsys, *args, "--lang", "en", *(["-o", out] if "-o" not in args else []))
        assert (code, english in err) == (2, True), (args, err)
    assert not Path(out).exists() and not list(tmp_path.glob("*.part"))
