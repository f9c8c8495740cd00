"""Dialect-aware SQL pieces: the UTC day of a datetime column (SQLite stores UTC datetimes as
'YYYY-MM-DD HH:MM:SS.ffffff' text, PostgreSQL as timestamptz) and the normalisation of what comes back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, cast, func
from sqlalchemy.sql.elements import ColumnElement


def day_of(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a datetime column, as cheaply as each database allows."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    # config.database.UTCDateTime stores UTC: the first ten characters are the UTC day.
    return func.substr(column, 1, 10)


def as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
