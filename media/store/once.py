"""Insert-or-report-existing: the one database move behind every "at most once" rule.

The row goes in with `INSERT … ON CONFLICT DO NOTHING RETURNING`; when the unique key is
already taken the existing row is read back instead. Nothing raises, so the caller's
transaction stays usable (PostgreSQL aborts a transaction on a failed INSERT).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from media.store.models import Base

RowT = TypeVar("RowT", bound=Base)


@dataclass(frozen=True)
class Recorded(Generic[RowT]):
    """The row now in the database, and whether this call is the one that wrote it."""

    row: RowT
    created: bool


def dialect_insert(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for `model` with the session's dialect's ON CONFLICT support."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise ValueError(f"unsupported database {name!r}")


async def insert_once(
    session: AsyncSession, model: type[RowT], values: Mapping[str, Any], key: Sequence[str]
) -> Recorded[RowT]:
    """Insert `values` unless a row with the same `key` columns exists; return either row.

    `key` must be a primary key or UNIQUE constraint of `model`. A NULL in a key column
    never conflicts (SQL treats NULLs as distinct), so such a row is always inserted.
    """
    insert = dialect_insert(session, model)
    statement = (
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=list(key))
        .returning(model)
        .execution_options(populate_existing=True)
    )
    inserted = (await session.scalars(statement)).one_or_none()
    if inserted is not None:
        return Recorded(inserted, created=True)
    existing = await session.scalars(
        select(model)
        .filter_by(**{column: values[column] for column in key})
        .execution_options(populate_existing=True)
    )
    return Recorded(existing.one(), created=False)
