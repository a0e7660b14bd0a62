"""Settings the room server runs with: what the bot's rulebook tells the media side.

`media` never imports `bot`; the bot builds these plain dataclasses from the
rulebook and hands them to the server (at start-up and on every reload).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None
    secret: str | None = None  # coturn's static-auth-secret: short-lived credentials per session
    ttl: float = 4 * 3600.0  # how long those stay valid


@dataclass(frozen=True)
class Gift:
    id: str
    name: str
    icon: str = "🎁"


@dataclass(frozen=True)
class Moderation:
    blocked_words: tuple[str, ...] = ()
    max_message_length: int = 200
    rate_messages: int = 5
    rate_per_seconds: float = 10.0
    links: str = "team_only"  # block | allow | team_only


@dataclass(frozen=True)
class Limits:
    """Caps per client address (`room.yaml` `limits`); `exempt` lists addresses or networks they skip."""

    new_viewers_per_minute: int = 20  # new viewer ids (cookies) one address is given a minute
    claims_per_coupon: int = 10  # claims of one coupon from one address
    entries_per_lottery: int = 10  # entries into one lottery from one address
    exempt: tuple[str, ...] = ("127.0.0.1", "::1")  # this machine: the demo audience, a proxy in front


@dataclass(frozen=True)
class ProductCard:
    sku: str
    name: str
    price: float
    link: str
    live_price: float | None = None
    stock: int | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()
    image: str | None = None  # products.yaml `image:` (a picture URL); the pages draw a placeholder without


@dataclass(frozen=True)
class CouponCard:
    """A coupon of coupons.yaml as the pages show it (满199减50 / 无门槛5元) and the studio pushes it."""

    id: str
    title: str
    link: str
    discount: float
    min_spend: float = 0.0
    quantity: int | None = None
    valid_minutes: int | None = None


@dataclass(frozen=True)
class VotePreset:
    """A vote of a show script, ready for the studio's one-tap button (options already in words)."""

    id: str
    question: str
    options: tuple[str, ...]
    duration_s: float
    allow_change: bool = False
    show: str = ""


@dataclass(frozen=True)
class LotteryPreset:
    """A 福袋 of a show script, for the studio's one-tap button and the viewer page's conditions."""

    id: str
    prize: str
    winners: int
    window_s: float
    keyword: str | None = None
    min_watch_seconds: float = 0.0
    present: bool = True
    require: tuple[str, ...] = ()
    prize_value: float | None = None
    show: str = ""


@dataclass(frozen=True)
class FlashSalePreset:
    """A 限时秒杀 countdown of a show script, for the studio's one-tap button."""

    title: str
    duration_s: float
    sku: str | None = None
    stock: int | None = None
    show: str = ""


@dataclass(frozen=True)
class Restream:
    whip_url: str
    token: str | None = None


@dataclass(frozen=True)
class HlsOutput:
    """`room.yaml` `hls`: package the host's H.264 (never re-encoded) as fMP4 HLS under /hls/{room}/."""

    segment_s: float = 1.0  # target segment length; segments start at keyframes
    part_s: float | None = 0.25  # LL-HLS partial segments; None: whole segments only
    window: int = 6  # segments kept in the rolling playlist (and in memory)
    audio: str = "aac"  # "aac": Opus transcoded (plays everywhere); "opus": copied (MSE browsers only)


@dataclass(frozen=True)
class Playback:
    """`room.yaml` `playback`: where the viewer page plays the video from (the room itself stays here)."""

    via: str = "whep"  # "whep" (WebRTC) | "hls"
    whep_url: str | None = None  # an external SFU's WHEP endpoint (fed by `restream`); None: liveroom's own
    hls_url: str | None = None  # a CDN's playlist URL; None: liveroom's own /hls/{room}/index.m3u8 (if `hls`)
    fallback: bool = True  # play HLS when WebRTC cannot connect (when there is an HLS URL)


DEFAULT_GIFTS = (
    Gift("heart", "小心心", "💗"),
    Gift("rose", "玫瑰", "🌹"),
    Gift("rocket", "火箭", "🚀"),
)


@dataclass(frozen=True)
class RoomSettings:
    """One room as the server sees it."""

    id: str
    title: str
    language: str = "zh-CN"
    bot_name: str = "助理"
    publish_token: str = ""
    team_password: str = ""
    moderation: Moderation = field(default_factory=Moderation)
    gifts: tuple[Gift, ...] = DEFAULT_GIFTS
    products: tuple[ProductCard, ...] = ()
    ice_servers: tuple[IceServer, ...] = ()
    record: bool = False
    restream: Restream | None = None
    hls: HlsOutput | None = None
    playback: Playback = field(default_factory=Playback)
    timezone: str = "Asia/Shanghai"  # clock times on the team's pages (the replay)
    currency: str = "CNY"
    limits: Limits = field(default_factory=Limits)
    # What the pages offer from the rulebook: coupons.yaml, and the shows' votes, 福袋 and flash sales.
    coupons: tuple[CouponCard, ...] = ()
    votes: tuple[VotePreset, ...] = ()
    lotteries: tuple[LotteryPreset, ...] = ()
    flash_sales: tuple[FlashSalePreset, ...] = ()

    def product(self, sku: str) -> ProductCard | None:
        return next((p for p in self.products if p.sku == sku), None)


DATA_DIR = "var"
DATABASE_FILE = "liveroom.db"


def default_database_url(env: dict[str, str] | None = None) -> str:
    """The one default every process uses: `DATABASE_URL`, else the SQLite file in the data directory
    (`$LIVEROOM_DATA_DIR/liveroom.db`, `var/liveroom.db` by default) — the server, the demo and every
    command that reads the data find the same file."""
    env = dict(os.environ) if env is None else env
    data_dir = env.get("LIVEROOM_DATA_DIR") or DATA_DIR
    return env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/{DATABASE_FILE}"


@dataclass(frozen=True)
class ServerSettings:
    """Process-wide settings, from the environment."""

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = "sqlite+aiosqlite:///var/liveroom.db"
    bus_url: str | None = None
    secret: str = ""  # the order webhook's key, shared with the shop; the bot fills it in (env or generated)
    # The master of the keys that never leave the server (sessions, viewer ids); the bot fills it in
    # (LIVEROOM_SIGNING_KEY or a generated, stored one); a random one for a server built without it.
    signing_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    data_dir: str = "var"
    # Proxies whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto are believed (addresses or CIDRs).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")

    @classmethod
    def from_env(cls, host: str | None = None, port: int | None = None) -> ServerSettings:
        data_dir = os.environ.get("LIVEROOM_DATA_DIR") or DATA_DIR
        return cls(
            host=host or os.environ.get("HOST", "127.0.0.1"),
            port=port or int(os.environ.get("PORT", "8080")),
            database_url=default_database_url(),
            bus_url=os.environ.get("LIVEROOM_BUS_URL") or None,
            secret=os.environ.get("LIVEROOM_SECRET", ""),
            signing_key=os.environ.get("LIVEROOM_SIGNING_KEY") or secrets.token_urlsafe(32),
            data_dir=data_dir,
            trusted_proxies=trusted_proxies_from_env(),
        )


def trusted_proxies_from_env() -> tuple[str, ...]:
    """`LIVEROOM_TRUSTED_PROXIES`: comma- or space-separated addresses and CIDR ranges; unset: this
    machine (127.0.0.1, ::1); `none` (or empty): no proxy is trusted."""
    value = os.environ.get("LIVEROOM_TRUSTED_PROXIES")
    if value is None:
        return ServerSettings.trusted_proxies
    if value.strip().lower() == "none":
        return ()
    return tuple(v for v in value.replace(",", " ").split() if v)
