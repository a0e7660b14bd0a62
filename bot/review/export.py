"""The report as JSON (one object, rates as fractions with their parts under `ratios`) and as CSV files."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.review.conclusions import Conclusions, Finding, conclude
from bot.review.gaps import faq_gaps
from bot.review.highlight_clips import read_manifest
from bot.review.highlights import Highlight, find_highlights
from bot.review.kpi import Kpis, ProductKpis, ShowReview
from bot.review.recordings import Recording
from bot.review.records import Ratio
from bot.review.results import EarlierRun
from bot.review.tables import (
    DEFAULT_CURRENCY,
    DEFAULT_TIMEZONE,
    KPI_ROWS,
    Table,
    build_tables,
    format_cell,
    kpi_value,
    lottery_note,
)
from media.i18n import currency_sign, t


@dataclass(frozen=True)
class RunInfo:
    """What the report says about the run beyond its numbers, and how it writes clock times and amounts
    (the room's `timezone` and `currency`, room.yaml)."""

    show_id: str
    title: str = ""
    run_id: int | None = None
    speed: float = 1.0
    product_names: Mapping[str, str] = field(default_factory=dict)
    recordings: tuple[Recording, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    currency: str = DEFAULT_CURRENCY
    earlier: tuple[EarlierRun, ...] = ()  # the team's earlier shows in the room, newest first
    clips_dir: Path | None = None  # where `liveroom highlights` put this run's clips

    def highlights(self, review: ShowReview, lang: str) -> list[Highlight]:
        """The run's highlights (高光切片), found in its numbers."""
        return find_highlights(review, lang, self.product_names, self.money)

    def clips(self) -> dict[str, dict[str, Any]]:
        """The clips cut for this run, by highlight slug (none before `liveroom highlights` ran)."""
        return read_manifest(self.clips_dir) if self.clips_dir is not None else {}

    def conclusions(self, review: ShowReview, lang: str) -> Conclusions:
        """The run's conclusions in words (复盘结论), against the earlier shows' median."""
        return conclude(review, lang, self.product_names, self.money, self.earlier)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def money(self) -> str:
        """The currency sign amounts are written with: ¥ for CNY."""
        return currency_sign(self.currency)

    def local(self, when: dt.datetime) -> dt.datetime:
        return when.astimezone(self.tz)

    def tables(self, review: ShowReview, lang: str) -> list[Table]:
        """The report's tables, with this run's product names, currency and time zone."""
        return build_tables(review, lang, self.product_names, self.money, self.tz)


def _plain(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def _kpi_fields(k: Kpis) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ratios: dict[str, dict[str, Any]] = {}
    for key, unit in KPI_ROWS:
        if key.startswith("bot_"):
            continue
        value = kpi_value(k, key)
        if isinstance(value, Ratio):
            ratios[key] = {"numerator": _plain(value.numerator), "denominator": value.denominator}
            out[key] = float(value.money()) if unit == "money" else round(value.value, 6)
        else:
            out[key] = _plain(value)
    out["bot"] = {
        "answered": k.bot.answered,
        "abstained": k.bot.abstained,
        "escalated": k.bot.escalated,
        "suggested": k.bot.suggested,
        "suggested_sent": k.bot.suggested_sent,
        "suggested_edited": k.bot.suggested_edited,
        "dismissed": k.bot.dismissed,
        "handed_over": k.bot.handed_over,
    }
    out["human_answers"] = len(k.human_answer_seconds)
    out["ratios"] = ratios
    return out


def _product_fields(p: ProductKpis, names: Mapping[str, str]) -> dict[str, Any]:
    ratios = {
        key: {"numerator": _plain(r.numerator), "denominator": r.denominator}
        for key, r in (
            ("ctr", p.ctr),
            ("conversion", p.conversion),
            ("buyer_rate", p.buyer_rate),
            ("gmv_per_viewer", p.gmv_per_viewer),
        )
    }
    exposed, clicked, bought = p.funnel
    return {
        "sku": p.sku,
        "name": names.get(p.sku, ""),
        "pinned_seconds": round(p.pinned_seconds, 3),
        "exposed": p.exposed,
        "clickers": p.clickers,
        "clicks": p.clicks,
        "ctr": round(p.ctr.value, 6),
        "buyers": p.buyers,
        "conversion": round(p.conversion.value, 6),
        "buyer_rate": round(p.buyer_rate.value, 6),
        "orders": p.orders,
        "units": p.units,
        "gmv": float(p.gmv),
        "gmv_per_viewer": float(p.gmv_per_viewer.money()),
        "funnel": {"exposed": exposed, "clicked": clicked, "bought": bought},
        "ratios": ratios,
    }


def _finding(f: Finding) -> dict[str, Any]:
    return {"text": f.text, "about": f.about, "numbers": dict(f.numbers)}


def to_json(review: ShowReview, info: RunInfo, lang: str = "zh-CN") -> dict[str, Any]:
    """The whole report as one JSON-ready object; times in the room's time zone (ISO 8601 with offset)."""
    out: dict[str, Any] = {
        "show_id": info.show_id,
        "title": info.title,
        "run_id": info.run_id,
        "speed": info.speed,
        "timezone": info.timezone,
        "currency": info.currency,
        "started_at": info.local(review.start).isoformat(),
        "ended_at": info.local(review.end).isoformat(),
        "duration_seconds": round(review.seconds, 3),
    }
    conclusions = info.conclusions(review, lang)
    out["conclusions"] = {
        "good": [_finding(f) for f in conclusions.good],
        "problems": [_finding(f) for f in conclusions.problems],
        "next": [_finding(f) for f in conclusions.next],
        "earlier_shows": conclusions.history,
    }
    out.update(_kpi_fields(review.show))
    out["segments"] = [
        {
            "id": s.window.id,
            "kind": s.window.kind,
            "title": s.window.title,
            "product": s.product,
            "start_seconds": round((s.window.start - review.start).total_seconds(), 3),
            "end_seconds": round((s.window.end - review.start).total_seconds(), 3),
            **_kpi_fields(s.kpis),
        }
        for s in review.segments
    ]
    out["products"] = [_product_fields(p, info.product_names) for p in review.products]
    out["coupons"] = [
        {
            "coupon_id": c.coupon_id,
            "title": c.title,
            "pushed": c.pushed,
            "claimed": c.claimed,
            "refused": c.refused,
            "used": c.used,
            "sold_out": c.sold_out,
        }
        for c in review.coupons
    ]
    out["lotteries"] = [
        {
            "lottery_id": x.lottery_id,
            "prize": x.prize,
            "entries": x.entries,
            "entrants": x.entrants,
            "eligible": x.eligible,
            "promised": x.promised,
            "winners": x.winners,
            "short": x.short,
            "note": lottery_note(x, lang) or None,
        }
        for x in review.lotteries
    ]
    out["recordings"] = [
        {
            "path": str(r.file() or r.path) if r.path else None,
            "on_this_machine": r.file() is not None,
            "started_at": info.local(r.started_at).isoformat(),
            "start_seconds": round((r.started_at - review.start).total_seconds(), 3),
            "seconds": None if r.seconds is None else round(r.seconds, 3),
            "bytes": file.stat().st_size if (file := r.file()) else None,
            "packets": r.packets,
            "dropped": r.dropped,
            "error": r.error,
        }
        for r in info.recordings
    ]
    clips = info.clips()
    out["highlights"] = [
        {
            "number": h.number,
            "kind": h.kind,
            "title": h.title,
            "sku": h.sku,
            "start_seconds": round(h.start, 3),
            "end_seconds": round(h.end, 3),
            "local_start": info.local(review.start + dt.timedelta(seconds=h.start)).isoformat(),
            "orders": h.orders,
            "gmv": float(h.gmv),
            "clicks": h.clicks,
            "likes": h.likes,
            "chat": h.chat,
            "clip": str(clips[h.slug]["file"]) if clips.get(h.slug, {}).get("file") else None,
        }
        for h in info.highlights(review, lang)
    ]
    out["faq_gaps"] = [g.as_json() for g in faq_gaps(review.queued)]
    out["refused"] = dict(review.refused)  # chat, new_viewers, claims, entries, clicks (non-zero only)
    out["votes"] = [
        {
            "vote_id": v.vote_id,
            "question": v.question,
            "turnout": round(v.turnout.value, 6),
            "winner": info.product_names.get(v.winner, v.winner) if v.winner else None,
            "tallies": [
                {"option": info.product_names.get(option, option), "ballots": n} for option, n in v.tallies
            ],
            "ratios": {"turnout": {"numerator": v.turnout.numerator, "denominator": v.turnout.denominator}},
        }
        for v in review.votes
    ]
    return out


def write_csv(tables: list[Table], directory: Path, lang: str) -> list[Path]:
    """One CSV file per table (UTF-8 with BOM, so spreadsheet programs read the Chinese right).

    Numbers stay numbers; a column holding rates becomes three: the fraction, its numerator and its
    denominator.
    """
    directory.mkdir(parents=True, exist_ok=True)
    numerator, denominator = t(lang, "review.col.numerator"), t(lang, "review.col.denominator")
    # Amounts stay plain numbers (spreadsheets sum them); the currency goes in the label.
    written: list[Path] = []
    for table in tables:
        ratio_columns = {
            c for c in range(len(table.columns)) if any(isinstance(row[c], Ratio) for row in table.rows)
        }
        header: list[str] = []
        for c, column in enumerate(table.columns):
            header.append(
                f"{column.label} ({table.money.strip()})" if column.unit == "money" else column.label
            )
            if c in ratio_columns:
                header += [f"{column.label} {numerator}", f"{column.label} {denominator}"]
        path = directory / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for r, row in enumerate(table.rows):
                cells: list[str] = []
                for c, cell in enumerate(row):
                    unit = table.unit(r, c)
                    if isinstance(cell, Ratio):
                        value = f"{cell.money():.2f}" if unit == "money" else f"{cell.value:.6g}"
                        cells += [value, str(_plain(cell.numerator)), str(cell.denominator)]
                        continue
                    if isinstance(cell, Decimal):
                        cells.append(f"{cell:.2f}")
                    elif unit == "clock" and cell is not None:
                        cells.append(format_cell(cell, unit))
                    elif isinstance(cell, float):
                        cells.append(f"{cell:.6g}")
                    else:
                        cells.append("" if cell is None else str(cell))
                    if c in ratio_columns:
                        cells += ["", ""]
                if table.row_units and table.row_units[r] == "money":
                    cells[0] = f"{cells[0]} ({table.money.strip()})"
                writer.writerow(cells)
        written.append(path)
    return written
