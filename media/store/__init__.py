"""The room's database: models, the `Database` handle, and small atomic helpers at its edge."""

from media.store.coupons import ClaimResult, ClaimStatus, claim_coupon, push_coupon
from media.store.db import Database, database_url_from_env, normalize_url
from media.store.events import append_event, events_after, room_events, run_events
from media.store.once import Recorded, insert_once
from media.store.types import UTCDateTime, utcnow

__all__ = [
    "ClaimResult",
    "ClaimStatus",
    "Database",
    "Recorded",
    "UTCDateTime",
    "append_event",
    "claim_coupon",
    "database_url_from_env",
    "events_after",
    "insert_once",
    "normalize_url",
    "push_coupon",
    "room_events",
    "run_events",
    "utcnow",
]
