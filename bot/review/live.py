"""Live numbers for the studio (实时数据): the review's own fold kept open while the show runs.

The studio endpoint keeps one `LiveNumbers` per run, feeds it each new event from the log (in id order),
and asks for `snapshot(now)` every few seconds; the numbers are the same KPIs `liveroom report` gives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from bot.review.kpi import Tally
from bot.review.records import Ratio
from bot.review.windows import SegmentWindow
from media.events import RoomEvent

SNAPSHOT_EVERY_SECONDS = 5.0


@dataclass(frozen=True)
class LiveSnapshot:
    at: dt.datetime
    online: int
    peak: int
    peak_at: dt.datetime
    unique_viewers: int
    clicks: int
    ctr: Ratio
    coupons_claimed: int
    orders: int
    gmv: str  # yuan, two decimals
    segment: str | None  # the id of the segment under way

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "online": self.online,
            "peak": self.peak,
            "peak_at": self.peak_at.isoformat(),
            "unique_viewers": self.unique_viewers,
            "clicks": self.clicks,
            "ctr": round(self.ctr.value, 4),
            "ctr_of": [self.ctr.numerator, self.ctr.denominator],
            "coupons_claimed": self.coupons_claimed,
            "orders": self.orders,
            "gmv": self.gmv,
            "segment": self.segment,
        }


class LiveNumbers:
    """The running tally of one show run."""

    def __init__(self, start: dt.datetime, segments: Iterable[SegmentWindow] = ()) -> None:
        self.tally = Tally(start, segments)

    def feed(self, events: Iterable[RoomEvent]) -> None:
        self.tally.add_all(events)

    def snapshot(self, now: dt.datetime) -> LiveSnapshot:
        review = self.tally.result(now)
        show = review.show
        segment = next((s.window.id for s in review.segments if s.window.start <= now < s.window.end), None)
        return LiveSnapshot(
            at=now,
            online=review.online_now,
            peak=show.peak_concurrent,
            peak_at=review.start + dt.timedelta(seconds=show.peak_at),
            unique_viewers=show.unique_viewers,
            clicks=show.clicks,
            ctr=show.ctr,
            coupons_claimed=show.coupons_claimed,
            orders=show.orders,
            gmv=f"{show.gmv:.2f}",
            segment=segment,
        )
