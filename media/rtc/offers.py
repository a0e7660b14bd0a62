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
from media.rtc.turn import for_own_peers, handed_out

MAX_SDP_BYTES = 64 * 1024
MAX_TRACKS_PER_KIND = 2  # host and co-host guest
DTLS_HASHES = ("sha-256", "sha-384", "sha-512")  # what aiortc's DTLS can verify
RELAYED_VIDEO = ("VP8", "H264")  # forwarded as received; never transcoded


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
        if m.ice is None or not m.ice.usernameFragment or not m.ice.password:
            raise MediaError(400, f"m={m.kind} line lacks ICE credentials (a=ice-ufrag and a=ice-pwd)")
        # aiortc accepts an offer with a=setup but no a=fingerprint, then fails inside its DTLS start:
        # the session would hold the slot with nothing behind it.
        if m.dtls is None or not any(f.algorithm.lower() in DTLS_HASHES for f in m.dtls.fingerprints):
            raise MediaError(
                400,
                f"m={m.kind} line lacks a DTLS fingerprint (a=fingerprint:sha-256 …; "
                f"one of {', '.join(DTLS_HASHES)})",
            )
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


def publisher_video_codec(offered: tuple[str, ...], *, prefer_h264: bool = False) -> str:
    """The one video codec a publisher is answered with: the first relayed codec in the publisher's own
    order (its encoder's preference), or H.264 whenever offered if the room packages HLS (H.264 only)."""
    relayable = [c.upper() for c in offered if c.upper() in RELAYED_VIDEO]
    if not relayable:
        raise MediaError(
            406,
            f"the offer has no video codec this server relays ({', '.join(RELAYED_VIDEO)}); "
            f"it offered {', '.join(dict.fromkeys(offered)) or 'none'}",
        )
    if prefer_h264 and "H264" in relayable:
        return "H264"
    return relayable[0]


def viewer_video_codecs(
    offered: tuple[str, ...], sending: str | None, likely: str = "VP8"
) -> tuple[str, ...]:
    """The video codecs a viewer is answered with, first the one the room sends (or will likely send).

    Every relayed codec the viewer offered is negotiated, so a viewer who joined before the host (or
    while the host reconnects) plays whatever codec the host turns out to send, without renegotiation.
    A viewer who cannot take what a live host sends gets a 406 that names the codec.
    """
    wanted = {c.upper() for c in offered}
    playable = tuple(c for c in RELAYED_VIDEO if c in wanted)
    if not playable:
        raise MediaError(
            406,
            f"the offer has no video codec this server relays ({', '.join(RELAYED_VIDEO)}); "
            f"it offered {', '.join(dict.fromkeys(offered)) or 'none'}",
        )
    if sending is not None and sending not in playable:
        raise MediaError(
            406,
            f"this room sends {sending} video and the offer has only {', '.join(playable)}; "
            f"offer {sending} to play it",
            {"X-Room-Video-Codec": sending},
        )
    first = sending or (likely if likely in playable else playable[0])
    return (first, *(c for c in playable if c != first))


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
    """The servers for liveroom's own peer connections (secret-based TURN with credentials of its own)."""
    return [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in for_own_peers(servers)
    ]


def ice_link_headers(servers: tuple[IceServer, ...], session: str | None = None) -> list[str]:
    """`Link: <turn:…>; rel="ice-server"` values (RFC 9725 §4.6): STUN for anyone, TURN only in a
    `session`'s answer and only with short-lived credentials (media/rtc/turn.py)."""
    links = []
    for server in handed_out(servers, session):
        for url in server.urls:
            value = f'<{url}>; rel="ice-server"'
            if server.username is not None and server.credential is not None:
                user = server.username.replace('"', "")
                cred = server.credential.replace('"', "")
                value += f'; username="{user}"; credential="{cred}"; credential-type="password"'
            links.append(value)
    return links
