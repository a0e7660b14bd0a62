"""Everything a review needs, gathered at the edges: the rulebook (script, product names, language),
the database (`DATABASE_URL`) and the run; shared by `liveroom report` and `liveroom compare`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.review.export import RunInfo
from bot.review.highlight_clips import clips_dir
from bot.review.kpi import ShowReview
from bot.review.load import RunNotFound, earlier_runs, find_run, list_runs, review_run
from bot.review.recordings import run_recordings
from bot.review.results import EarlierRun
from bot.review.tables import DEFAULT_CURRENCY, DEFAULT_TIMEZONE
from bot.rules import Rulebook, RuleErrors, load_rulebook
from media.i18n import CATALOGUE, t
from media.store.db import Database, database_url_from_env

CATALOGUE.add(
    "review.source",
    {
        "review.source.no_run": {
            "zh-CN": "“{show}”还没有开播记录（数据库 {url}）",
            "en": "show '{show}' has no run in the database ({url})",
        },
        "review.source.no_such_run": {
            "zh-CN": "“{show}”没有场次 {run}（已有：{known}）",
            "en": "show '{show}' has no run {run} (known: {known})",
        },
        "review.source.no_script": {
            "zh-CN": "规则里找不到“{show}”的脚本，只算整场和商品，不分环节",
            "en": "no script for '{show}' in the rules: show and product KPIs only, no segments",
        },
        "review.source.db_error": {
            "zh-CN": "读取数据库失败：{error}",
            "en": "cannot read the database: {error}",
        },
        "review.source.no_database": {
            "zh-CN": "还没有直播数据：{url} 不存在。先 make demo（或 liveroom run）开一场，再来复盘；"
            "别处的数据库用 DATABASE_URL 指定",
            "en": "no show data yet: {url} does not exist. Run a show first (make demo, or liveroom run); "
            "point DATABASE_URL at a database elsewhere",
        },
        "review.source.empty_database": {
            "zh-CN": "数据库 {url} 里还没有直播数据（没有 liveroom 的表）。先 make demo（或 liveroom run）开一场，"
            "或用 DATABASE_URL 指向有数据的数据库",
            "en": "the database {url} holds no show data (no liveroom tables). Run a show first "
            "(make demo, or liveroom run), or point DATABASE_URL at the database that has it",
        },
        "review.source.old_database": {
            "zh-CN": "数据库 {url} 是旧版本 liveroom 建的：运行一次 liveroom run --rules 规则目录（启动时会自动升级）后再复盘",
            "en": "the database {url} was made by an older liveroom: start liveroom run --rules DIR once "
            "(it upgrades the database on start) and review again",
        },
        "review.source.new_database": {
            "zh-CN": "数据库 {url} 是更新版本的 liveroom 建的：请先升级 liveroom",
            "en": "the database {url} was made by a newer liveroom: upgrade liveroom first",
        },
    },
)


EARLIER_SHOWS = 5
"""How many of the team's earlier shows the conclusions compare with (their median)."""


class ReviewError(Exception):
    """A user error: no such show or run, or the database cannot be read."""

    def __init__(self, key: str, lang: str, **params: object) -> None:
        super().__init__(key)
        self.key, self.lang, self.params = key, lang, params

    def render(self) -> str:
        return t(self.lang, self.key, **self.params)


@dataclass(frozen=True)
class LoadedReview:
    lang: str
    review: ShowReview
    info: RunInfo
    warnings: list[str] = field(default_factory=list)


async def open_data(lang: str, url: str | None = None) -> Database:
    """The database the review reads, open and checked: `url`, else `DATABASE_URL`, else the data
    directory's SQLite file — the one `liveroom run` and `liveroom demo` write, so the commands find the
    demo's runs with no environment variable. A database that is missing, empty, older or newer than
    this version is a `ReviewError` in plain words, never an SQL error. Shared by every command that
    reads the show data (report, compare, highlights, FAQ gaps); close it when done."""
    url = url or database_url_from_env()
    missing = _missing_sqlite_file(url)
    if missing is not None:
        raise ReviewError("review.source.no_database", lang, url=missing)
    database = Database.open(url)
    try:
        state = await database.schema_state()
    except (SQLAlchemyError, OSError) as exc:
        await database.close()
        raise ReviewError("review.source.db_error", lang, error=str(exc).splitlines()[0]) from exc
    if state != "current":
        await database.close()
        key = {"empty": "empty_database", "behind": "old_database", "ahead": "new_database"}[state]
        raise ReviewError(f"review.source.{key}", lang, url=_safe(url))
    return database


async def run_ids(show_id: str, lang: str) -> list[int]:
    """The ids of a show's runs, oldest first."""
    database = await open_data(lang)
    try:
        async with database.sessions() as session:
            return [r.id for r in await list_runs(session, show_id)]
    except SQLAlchemyError as exc:
        raise ReviewError("review.source.db_error", lang, error=str(exc).splitlines()[0]) from exc
    finally:
        await database.close()


def _missing_sqlite_file(url: str) -> str | None:
    """The SQLite file a URL names when it does not exist (opening it would create an empty one)."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return None
    return None if Path(name).exists() else name


def _rulebook(rules: str | None) -> Rulebook | None:
    from bot.rules import default_rules_dir

    try:
        return load_rulebook(rules or default_rules_dir())
    except (RuleErrors, OSError):
        return None


async def load_review(
    show_id: str,
    run_id: int | None = None,
    rules: str | None = None,
    lang: str | None = None,
    db: Database | None = None,
    rulebook: Rulebook | None = None,
    earlier: bool = True,
) -> LoadedReview:
    """The review of run `run_id` of `show_id` (default: its latest run), with the team's earlier shows
    in the room (their show KPIs, for the conclusions) unless `earlier=False`."""
    book = rulebook or _rulebook(rules)
    lang = lang or (book.room.language if book else "zh-CN")
    script = book.shows.get(show_id) if book else None
    warnings = [] if script is not None else [t(lang, "review.source.no_script", show=show_id)]
    own = db is None
    url = database_url_from_env()
    database = db or await open_data(lang, url)
    try:
        async with database.sessions() as session:
            try:
                run = await find_run(session, show_id, run_id)
            except RunNotFound:
                if run_id is None:
                    raise ReviewError("review.source.no_run", lang, show=show_id, url=_safe(url)) from None
                known = ", ".join(str(r.id) for r in await list_runs(session, show_id)) or "—"
                raise ReviewError(
                    "review.source.no_such_run", lang, show=show_id, run=run_id, known=known
                ) from None
        review = await review_run(database, run, script)
        async with database.sessions() as session:
            recordings = await run_recordings(session, run.room_id, review.start, review.end)
            before = await earlier_runs(session, run, EARLIER_SHOWS) if earlier else []
        history = []
        for earlier_run in before:
            past = await review_run(database, earlier_run, None)
            history.append(
                EarlierRun(earlier_run.show_id, earlier_run.id, earlier_run.speed, past.show, past.seconds)
            )
    except SQLAlchemyError as exc:
        raise ReviewError("review.source.db_error", lang, error=str(exc).splitlines()[0]) from exc
    finally:
        if own:
            await database.close()
    names = {p.sku: p.name for p in book.products} if book else {}
    info = RunInfo(
        show_id=show_id,
        title=script.title if script else show_id,
        run_id=run.id,
        speed=run.speed,
        product_names=names,
        recordings=recordings,
        timezone=book.room.timezone if book else DEFAULT_TIMEZONE,
        currency=book.room.currency if book else DEFAULT_CURRENCY,
        earlier=tuple(history),
        clips_dir=clips_dir(show_id, run.id, recordings),
    )
    return LoadedReview(lang, review, info, warnings)


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def load_for_command(args: argparse.Namespace, *, earlier: bool = True) -> LoadedReview | None:
    """For a command with `show`, `run`, `rules` and `lang`: the review, its warnings printed to
    stderr; None once the error (no such show or run, an unreadable database) is printed there."""
    try:
        loaded = asyncio.run(load_review(args.show, args.run, args.rules, args.lang, earlier=earlier))
    except ReviewError as exc:
        print(exc.render(), file=sys.stderr)
        return None
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    return loaded
