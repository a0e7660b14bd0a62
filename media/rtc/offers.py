"""What a WHIP/WHEP request carries, checked before any peer connection exists.

Pure functions over text: SDP offers, trickle-ICE fragments, the ICE servers a
room advertises. Anything wrong becomes a `MediaError` with the HTTP status and
a message that says what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCIceServer
from aiortc.rtcicetransport import RTCIceCandidate
from aiortc.sdp import SessionDescription, candidate_from_sdp

from media.config import IceServer

MAX_SDP_BYTES = 64 * 1024
MAX_TRACKS_PER_KIND = 2  # host and co-host guest


class MediaError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class OfferSummary:
    kinds: tuple[str, ...]  # m-line kinds in order
    directions: tuple[str, ...]
    video_codecs: tuple[str, ...]  # offered codec names, first m=video line
    ice_ufrag: str | None


def parse_offer(sdp: str, *, publishing: bool) -> OfferSummary:
    """Check an offer's shape: SDP at all, audio/video m-lines, the direction the role needs."""
    if len(sdp.encode()) > MAX_SDP_BYTES:
        raise MediaError(413, f"SDP offer larger than {MAX_SDP_BYTES} bytes")
    if not sdp.lstrip().startswith("v=0"):
        raise MediaError(400, "body is not an SDP offer (expected it to start with 'v=0')")
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception as exc:  # aiortc's parser raises whatever the bad line trips
        raise MediaError(400, f"malformed SDP offer: {exc!r}") from exc
    media = [m for m in parsed.media if m.kind in ("audio", "video")]
    if not media:
        raise MediaError(400, "SDP offer has no audio or video m-line")
    if any(m.kind not in ("audio", "video") for m in parsed.media):
        raise MediaError(400, "SDP offer may only contain audio and video m-lines")
    wanted = ("sendonly", "sendrecv") if publishing else ("recvonly", "sendrecv")
    for m in media:
        if m.direction not in wanted:
            raise MediaError(
                400,
                f"m={m.kind} line is {m.direction}; a {'WHIP' if publishing else 'WHEP'} offer needs {wanted[0]}",
            )
        if m.ice is None or not m.ice.usernameFragment or m.dtls is None:
            raise MediaError(400, f"m={m.kind} line lacks ICE credentials or a DTLS fingerprint")
    kinds = tuple(m.kind for m in media)
    for kind in ("audio", "video"):
        limit = 1 if publishing else MAX_TRACKS_PER_KIND
        if kinds.count(kind) > limit:
            raise MediaError(400, f"at most {limit} {kind} m-line(s) per offer")
    video = next((m for m in media if m.kind == "video"), None)
    video_codecs = tuple(c.mimeType.split("/")[1] for c in video.rtp.codecs) if video else ()
    assert media[0].ice is not None
    return OfferSummary(
        kinds=kinds,
        directions=tuple(str(m.direction) for m in media),
        video_codecs=video_codecs,
        ice_ufrag=media[0].ice.usernameFragment,
    )


@dataclass
class SdpFragment:
    ice_ufrag: str | None = None
    ice_pwd: str | None = None
    mid: str | None = None
    candidates: list[RTCIceCandidate] = field(default_factory=list)
    end_of_candidates: bool = False


def parse_sdpfrag(text: str) -> SdpFragment:
    """RFC 8840 `application/trickle-ice-sdpfrag` body → credentials and candidates."""
    frag = SdpFragment()
    mid: str | None = None
    mline = -1
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("m="):
            mline += 1
            continue
        if not line.startswith("a="):
            continue
        name, _, value = line[2:].partition(":")
        if name == "ice-ufrag":
            frag.ice_ufrag = value
        elif name == "ice-pwd":
            frag.ice_pwd = value
        elif name == "mid":
            mid = value
            frag.mid = frag.mid or value
        elif name == "end-of-candidates":
            frag.end_of_candidates = True
        elif name == "candidate":
            try:
                candidate = candidate_from_sdp(value)
            except (AssertionError, ValueError, IndexError) as exc:
                raise MediaError(400, f"bad ICE candidate line: {line!r}") from exc
            candidate.sdpMid = mid
            candidate.sdpMLineIndex = max(mline, 0)
            frag.candidates.append(candidate)
    return frag


def rtc_ice_servers(servers: tuple[IceServer, ...]) -> list[RTCIceServer]:
    return [RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential) for s in servers]


def ice_link_headers(servers: tuple[IceServer, ...]) -> list[str]:
    """`Link: <turn:…>; rel="ice-server"` values (RFC 9725 §4.6)."""
    links = []
    for server in servers:
        for url in server.urls:
            value = f'<{url}>; rel="ice-server"'
            if server.username is not None and server.credential is not None:
                user = server.username.replace('"', "")
                cred = server.credential.replace('"', "")
                value += f'; username="{user}"; credential="{cred}"; credential-type="password"'
            links.append(value)
    return links
