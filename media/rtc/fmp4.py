"""Fragmented MP4 (CMAF) boxes for HLS: an init segment and fragments of H.264 and AAC or Opus samples.

Pure functions over bytes, no I/O: `init_segment` describes the tracks once, `fragment` packs the
samples of one partial segment into `moof` + `mdat`. H.264 arrives as Annex B access units (what
the relay carries) and is stored length-prefixed, as MP4 wants it; nothing is re-encoded.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

VIDEO_TRACK = 1
AUDIO_TRACK = 2
VIDEO_TIMESCALE = 90000
AUDIO_TIMESCALE = 48000

# ISO/IEC 14496-12 sample flags: a sync sample depends on nothing; any other depends on earlier ones.
SYNC_SAMPLE = 0x02000000
NON_SYNC_SAMPLE = 0x01010000


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


# -- H.264 -------------------------------------------------------------------


def nal_units(access_unit: bytes) -> list[bytes]:
    """The NAL units of an Annex B access unit, start codes removed."""
    units: list[bytes] = []
    i, n = 0, len(access_unit)
    start = -1
    while i + 2 < n:
        if access_unit[i] == 0 and access_unit[i + 1] == 0 and access_unit[i + 2] == 1:
            if start >= 0:
                end = i - 1 if i > 0 and access_unit[i - 1] == 0 else i
                units.append(access_unit[start:end])
            i += 3
            start = i
            continue
        i += 1
    if start >= 0 and start < n:
        units.append(access_unit[start:])
    return [u for u in units if u]


def length_prefixed(units: list[bytes]) -> bytes:
    """MP4's sample format: each NAL unit behind its 4-byte length (parameter sets and AUDs left out)."""
    return b"".join(struct.pack(">I", len(u)) + u for u in units if u[0] & 0x1F not in (7, 8, 9))


def _unescape(rbsp: bytes) -> bytes:
    """Drop emulation-prevention bytes (00 00 03 → 00 00)."""
    return rbsp.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def bit(self) -> int:
        byte = self.data[self.pos >> 3]
        value = (byte >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def bits(self, n: int) -> int:
        value = 0
        for _ in range(n):
            value = (value << 1) | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad exp-Golomb code in SPS")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last, nxt = 8, 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + bits.se() + 256) % 256
        last = nxt if nxt != 0 else last


def sps_dimensions(sps: bytes) -> tuple[int, int]:
    """Width and height of the picture a sequence parameter set describes (ITU-T H.264 §7.3.2.1)."""
    bits = _Bits(_unescape(sps[1:]))
    profile = bits.bits(8)
    bits.bits(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma_format = 1
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        chroma_format = bits.ue()
        if chroma_format == 3:
            bits.bit()
        bits.ue()  # bit depth luma
        bits.ue()  # bit depth chroma
        bits.bit()
        if bits.bit():  # seq_scaling_matrix_present
            for i in range(8 if chroma_format != 3 else 12):
                if bits.bit():
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.bit()
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.bit()
    width_mbs = bits.ue() + 1
    height_map_units = bits.ue() + 1
    frame_mbs_only = bits.bit()
    if not frame_mbs_only:
        bits.bit()
    bits.bit()  # direct_8x8_inference
    width, height = width_mbs * 16, height_map_units * 16 * (2 - frame_mbs_only)
    if bits.bit():  # frame_cropping
        left, right, top, bottom = bits.ue(), bits.ue(), bits.ue(), bits.ue()
        crop_x = 1 if chroma_format == 0 else 2 if chroma_format in (1, 2) else 1
        crop_y = (1 if chroma_format == 0 else 2 if chroma_format == 1 else 1) * (2 - frame_mbs_only)
        width -= (left + right) * crop_x
        height -= (top + bottom) * crop_y
    return width, height


@dataclass(frozen=True)
class VideoConfig:
    sps: bytes
    pps: bytes
    width: int
    height: int

    @property
    def codec(self) -> str:
        """The RFC 6381 codec string, e.g. avc1.42e01f."""
        return "avc1." + self.sps[1:4].hex()


def video_config(access_unit: bytes) -> VideoConfig | None:
    """The parameter sets of a keyframe's access unit (None when it carries none)."""
    units = nal_units(access_unit)
    sps = next((u for u in units if u[0] & 0x1F == 7), None)
    pps = next((u for u in units if u[0] & 0x1F == 8), None)
    if sps is None or pps is None or len(sps) < 4:
        return None
    width, height = sps_dimensions(sps)
    return VideoConfig(sps, pps, width, height)


# -- the init segment ----------------------------------------------------------


@dataclass(frozen=True)
class AudioConfig:
    codec: str  # "aac" | "opus"
    channels: int = 2
    sample_rate: int = AUDIO_TIMESCALE
    specific: bytes = b""  # AAC: the AudioSpecificConfig (the encoder's extradata)
    pre_skip: int = 312  # Opus: samples the decoder drops at the start

    @property
    def codec_string(self) -> str:
        return "mp4a.40.2" if self.codec == "aac" else "opus"


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _tkhd(track: int, width: int = 0, height: int = 0, audio: bool = False) -> bytes:
    return full_box(
        b"tkhd",
        0,
        3,  # enabled, in movie
        struct.pack(">IIIII", 0, 0, track, 0, 0),
        b"\x00" * 8,
        struct.pack(">hhhH", 0, 0, 0x0100 if audio else 0, 0),
        _MATRIX,
        struct.pack(">II", width << 16, height << 16),
    )


def _mdhd(timescale: int) -> bytes:
    return full_box(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, 0, 0x55C4, 0))  # 'und'


def _hdlr(kind: bytes, name: bytes) -> bytes:
    return full_box(b"hdlr", 0, 0, struct.pack(">I", 0), kind, b"\x00" * 12, name + b"\x00")


def _stbl(sample_entry: bytes) -> bytes:
    empty = struct.pack(">I", 0)
    return box(
        b"stbl",
        full_box(b"stsd", 0, 0, struct.pack(">I", 1), sample_entry),
        full_box(b"stts", 0, 0, empty),
        full_box(b"stsc", 0, 0, empty),
        full_box(b"stsz", 0, 0, struct.pack(">II", 0, 0)),
        full_box(b"stco", 0, 0, empty),
    )


def _dinf() -> bytes:
    return box(b"dinf", full_box(b"dref", 0, 0, struct.pack(">I", 1), full_box(b"url ", 0, 1)))


def _avc1(video: VideoConfig) -> bytes:
    avcc = box(
        b"avcC",
        bytes([1, video.sps[1], video.sps[2], video.sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(video.sps)),
        video.sps,
        b"\x01",
        struct.pack(">H", len(video.pps)),
        video.pps,
    )
    return box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data reference index
        b"\x00" * 16,
        struct.pack(">HH", video.width, video.height),
        struct.pack(">II", 0x00480000, 0x00480000),  # 72 dpi
        struct.pack(">I", 0),
        struct.pack(">H", 1),  # frame count
        b"\x00" * 32,  # compressor name
        struct.pack(">Hh", 0x0018, -1),
        avcc,
    )


def _descriptor(tag: int, payload: bytes) -> bytes:
    size = len(payload)
    return (
        bytes(
            [
                tag,
                0x80 | (size >> 21 & 0x7F),
                0x80 | (size >> 14 & 0x7F),
                0x80 | (size >> 7 & 0x7F),
                size & 0x7F,
            ]
        )
        + payload
    )


def _audio_entry(audio: AudioConfig) -> bytes:
    common = (
        b"\x00" * 6
        + struct.pack(">H", 1)
        + b"\x00" * 8
        + struct.pack(">HHHH", audio.channels, 16, 0, 0)
        + struct.pack(">I", audio.sample_rate << 16)
    )
    if audio.codec == "aac":
        decoder_config = _descriptor(
            0x04,
            bytes([0x40, 0x15])
            + b"\x00\x00\x00"
            + struct.pack(">II", 0, 0)
            + _descriptor(0x05, audio.specific),
        )
        es = _descriptor(
            0x03, struct.pack(">HB", AUDIO_TRACK, 0) + decoder_config + _descriptor(0x06, b"\x02")
        )
        return box(b"mp4a", common, full_box(b"esds", 0, 0, es))
    dops = box(b"dOps", struct.pack(">BBHIhB", 0, audio.channels, audio.pre_skip, audio.sample_rate, 0, 0))
    return box(b"Opus", common, dops)


def init_segment(video: VideoConfig, audio: AudioConfig | None) -> bytes:
    """`ftyp` + `moov` for one H.264 track and, optionally, one audio track."""
    traks = [
        box(
            b"trak",
            _tkhd(VIDEO_TRACK, video.width, video.height),
            box(
                b"mdia",
                _mdhd(VIDEO_TIMESCALE),
                _hdlr(b"vide", b"liveroom video"),
                box(b"minf", full_box(b"vmhd", 0, 1, b"\x00" * 8), _dinf(), _stbl(_avc1(video))),
            ),
        )
    ]
    trexes = [full_box(b"trex", 0, 0, struct.pack(">IIIII", VIDEO_TRACK, 1, 0, 0, 0))]
    if audio is not None:
        traks.append(
            box(
                b"trak",
                _tkhd(AUDIO_TRACK, audio=True),
                box(
                    b"mdia",
                    _mdhd(AUDIO_TIMESCALE),
                    _hdlr(b"soun", b"liveroom audio"),
                    box(b"minf", full_box(b"smhd", 0, 0, b"\x00" * 4), _dinf(), _stbl(_audio_entry(audio))),
                ),
            )
        )
        trexes.append(full_box(b"trex", 0, 0, struct.pack(">IIIII", AUDIO_TRACK, 1, 0, 0, 0)))
    mvhd = full_box(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, 1000, 0),
        struct.pack(">IH", 0x00010000, 0x0100),
        b"\x00" * 10,
        _MATRIX,
        b"\x00" * 24,
        struct.pack(">I", AUDIO_TRACK + 1),
    )
    ftyp = box(b"ftyp", b"iso6", struct.pack(">I", 0), b"iso6", b"cmfc", b"mp41", b"avc1")
    return ftyp + box(b"moov", mvhd, *traks, box(b"mvex", *trexes))


# -- fragments -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sample:
    data: bytes
    duration: int  # in the track's timescale
    sync: bool = True


def _traf(track: int, decode_time: int, samples: list[Sample], data_offset: int) -> bytes:
    entries = b"".join(
        struct.pack(">III", s.duration, len(s.data), SYNC_SAMPLE if s.sync else NON_SYNC_SAMPLE)
        for s in samples
    )
    return box(
        b"traf",
        full_box(b"tfhd", 0, 0x020000, struct.pack(">I", track)),  # default-base-is-moof
        full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time)),
        full_box(b"trun", 0, 0x000701, struct.pack(">Ii", len(samples), data_offset), entries),
    )


def fragment(sequence: int, tracks: list[tuple[int, int, list[Sample]]]) -> bytes:
    """One `moof` + `mdat`: for each `(track id, decode time, samples)` with samples, in that order."""
    tracks = [t for t in tracks if t[2]]

    def moof(offsets: list[int]) -> bytes:
        return box(
            b"moof",
            full_box(b"mfhd", 0, 0, struct.pack(">I", sequence)),
            *(
                _traf(track, time, samples, off)
                for (track, time, samples), off in zip(tracks, offsets, strict=True)
            ),
        )

    size = len(moof([0] * len(tracks)))  # offsets do not change the size
    offsets, at = [], size + 8
    for _, _, samples in tracks:
        offsets.append(at)
        at += sum(len(s.data) for s in samples)
    payload = b"".join(s.data for _, _, samples in tracks for s in samples)
    return moof(offsets) + box(b"mdat", payload)
