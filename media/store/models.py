"""The tables of the room's database: the append-only event log and the state it is replayed from.

Rules that must hold even under concurrent writers (one claim per viewer, one firing
per cue, one entry per viewer…) are UNIQUE constraints here, not checks in Python.

Caveat, on both SQLite and PostgreSQL: UNIQUE treats NULLs as distinct, so a unique key
that includes a nullable `run_id` (votes, lotteries) does not stop two rows with the same
key when `run_id` is NULL — i.e. outside a show run. Inside a run it is enforced.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from media.store.types import BigId, Json, Money, UTCDateTime, utcnow

__all__ = [
    "AlertOutbox",
    "Ballot",
    "Base",
    "ChatMessage",
    "CouponClaim",
    "CouponStock",
    "CueFiring",
    "Draw",
    "EventRow",
    "Follow",
    "Lottery",
    "LotteryEntry",
    "Order",
    "ProductClick",
    "ProductPin",
    "RoomRow",
    "Show",
    "ShowRun",
    "StockOut",
    "UTCDateTime",
    "Viewer",
    "Vote",
]

# Named constraints, so later migrations (and SQLite batch mode) can find them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROOM_ID = String(64)
VIEWER_ID = String(128)
KEY = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: Json,
    }


def _one_of(column: str, *values: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class RoomRow(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(ROOM_ID, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Show(Base):
    __tablename__ = "shows"

    id: Mapped[str] = mapped_column(KEY, primary_key=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID, index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime | None]


class ShowRun(Base):
    __tablename__ = "show_runs"
    __table_args__ = (_one_of("status", "running", "paused", "ended"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    show_id: Mapped[str] = mapped_column(KEY, index=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID, index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    speed: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    shift_seconds: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    status: Mapped[str] = mapped_column(String(16), default="running", server_default="running")
    paused_at: Mapped[datetime | None]


class Viewer(Base):
    __tablename__ = "viewers"

    id: Mapped[str] = mapped_column(VIEWER_ID, primary_key=True)  # the signed anonymous id
    room_id: Mapped[str] = mapped_column(ROOM_ID, index=True)
    nickname: Mapped[str] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    muted: Mapped[bool] = mapped_column(default=False, server_default="0")


class EventRow(Base):
    """One line of the append-only log; review numbers are computed from these alone."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_room_id_ts", "room_id", "ts"),
        Index("ix_events_run_id_kind", "run_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    run_id: Mapped[int | None]
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    viewer_id: Mapped[str | None] = mapped_column(VIEWER_ID)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_messages_room_id_ts", "room_id", "ts"),
        _one_of("role", "viewer", "bot", "team", "host"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    run_id: Mapped[int | None] = mapped_column(index=True)
    viewer_id: Mapped[str | None] = mapped_column(VIEWER_ID)
    nickname: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    reply_to: Mapped[int | None] = mapped_column(BigId)
    deleted: Mapped[bool] = mapped_column(default=False, server_default="0")
    cue: Mapped[str | None] = mapped_column(KEY)


class ProductPin(Base):
    __tablename__ = "product_pins"
    __table_args__ = (Index("ix_product_pins_room_id_pinned_at", "room_id", "pinned_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    run_id: Mapped[int | None] = mapped_column(index=True)
    sku: Mapped[str] = mapped_column(KEY)
    pinned_at: Mapped[datetime] = mapped_column(default=utcnow)
    unpinned_at: Mapped[datetime | None]
    cue: Mapped[str | None] = mapped_column(KEY)


class ProductClick(Base):
    __tablename__ = "product_clicks"
    __table_args__ = (Index("ix_product_clicks_room_id_ts", "room_id", "ts"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    run_id: Mapped[int | None] = mapped_column(index=True)
    sku: Mapped[str] = mapped_column(KEY)
    viewer_id: Mapped[str | None] = mapped_column(VIEWER_ID)
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class CouponStock(Base):
    """A pushed coupon and how many were claimed; `quantity` NULL means unlimited."""

    __tablename__ = "coupon_stock"
    __table_args__ = (CheckConstraint("quantity IS NULL OR claimed <= quantity", name="not_oversold"),)

    room_id: Mapped[str] = mapped_column(ROOM_ID, primary_key=True)
    coupon_id: Mapped[str] = mapped_column(KEY, primary_key=True)
    run_id: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int | None]
    claimed: Mapped[int] = mapped_column(default=0, server_default="0")
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]


class CouponClaim(Base):
    __tablename__ = "coupon_claims"
    __table_args__ = (
        UniqueConstraint("room_id", "coupon_id", "viewer_id"),
        ForeignKeyConstraint(
            ["room_id", "coupon_id"], ["coupon_stock.room_id", "coupon_stock.coupon_id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    coupon_id: Mapped[str] = mapped_column(KEY)
    viewer_id: Mapped[str] = mapped_column(VIEWER_ID)
    run_id: Mapped[int | None] = mapped_column(index=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    used: Mapped[bool] = mapped_column(default=False, server_default="0")


class Vote(Base):
    __tablename__ = "votes"
    # NULL run_id is not covered by the unique key (see the module docstring).
    __table_args__ = (UniqueConstraint("run_id", "vote_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID, index=True)
    run_id: Mapped[int | None]
    vote_key: Mapped[str] = mapped_column(KEY)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column(Json)
    allow_change: Mapped[bool] = mapped_column(default=False, server_default="0")
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    winner: Mapped[int | None]
    cue: Mapped[str | None] = mapped_column(KEY)


class Ballot(Base):
    __tablename__ = "ballots"
    __table_args__ = (UniqueConstraint("vote_id", "viewer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    viewer_id: Mapped[str] = mapped_column(VIEWER_ID)
    option: Mapped[int]
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class Lottery(Base):
    __tablename__ = "lotteries"
    # NULL run_id is not covered by the unique key (see the module docstring).
    __table_args__ = (
        UniqueConstraint("run_id", "lottery_key"),
        _one_of("status", "open", "drawn", "cancelled"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID, index=True)
    run_id: Mapped[int | None]
    lottery_key: Mapped[str] = mapped_column(KEY)
    prize: Mapped[str] = mapped_column(String(200))
    prize_value: Mapped[Decimal | None]
    winners: Mapped[int]
    keyword: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(128))
    seed_hash: Mapped[str] = mapped_column(String(128))
    eligibility: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    cue: Mapped[str | None] = mapped_column(KEY)


class LotteryEntry(Base):
    __tablename__ = "lottery_entries"
    __table_args__ = (UniqueConstraint("lottery_id", "viewer_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    lottery_id: Mapped[int] = mapped_column(ForeignKey("lotteries.id", ondelete="CASCADE"))
    viewer_id: Mapped[str] = mapped_column(VIEWER_ID)
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class Draw(Base):
    """The published result of a lottery; `id` is the DRAW_ID that `liveroom verify-draw` takes."""

    __tablename__ = "draws"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    lottery_id: Mapped[int] = mapped_column(ForeignKey("lotteries.id", ondelete="CASCADE"), unique=True)
    seed: Mapped[str] = mapped_column(String(128))
    algorithm: Mapped[str] = mapped_column(String(64))
    entrants: Mapped[list[str]] = mapped_column(Json)  # sorted eligible viewer ids
    winners: Mapped[list[str]] = mapped_column(Json)
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)


class CueFiring(Base):
    """A cue recorded before (`firing`) and after (`done`…) it happens, once per run."""

    __tablename__ = "cue_firings"
    __table_args__ = (
        UniqueConstraint("run_id", "cue_id"),
        _one_of("state", "firing", "done", "missed", "skipped"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("show_runs.id", ondelete="CASCADE"))
    cue_id: Mapped[str] = mapped_column(KEY)
    state: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(default=False, server_default="0")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_room_id_ts", "room_id", "ts"),)

    order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    run_id: Mapped[int | None] = mapped_column(index=True)
    sku: Mapped[str] = mapped_column(KEY)
    quantity: Mapped[int]
    amount: Mapped[Decimal]
    viewer_id: Mapped[str | None] = mapped_column(VIEWER_ID)
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class StockOut(Base):
    """A product whose orders reached its stock: one row per room, run and sku, however many orders.

    `run_key` is the show run's id, or 0 for orders outside any run (run ids start at 1); a
    NULL there would never conflict (see the module docstring), so it is not one.
    """

    __tablename__ = "stock_outs"

    room_id: Mapped[str] = mapped_column(ROOM_ID, primary_key=True)
    run_key: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(KEY, primary_key=True)
    stock: Mapped[int]
    sold: Mapped[int]
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class AlertOutbox(Base):
    """Alerts waiting to reach the team chat; `key` makes enqueueing idempotent."""

    __tablename__ = "alert_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class Follow(Base):
    __tablename__ = "follows"

    room_id: Mapped[str] = mapped_column(ROOM_ID, primary_key=True)
    viewer_id: Mapped[str] = mapped_column(VIEWER_ID, primary_key=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow)


class EndedSession(Base):
    """A team or host session signed out before it expired: its cookie is refused on every instance.

    Kept until `expires_at` (after that the cookie is refused for its age anyway)."""

    __tablename__ = "ended_sessions"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[str] = mapped_column(ROOM_ID)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)
