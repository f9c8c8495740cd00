"""Tracker filters (directorate, unit, date range), parsed from query strings by views and the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


class FilterError(ValueError):
    """A filter value is invalid: ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    directorate: str | None = None
    unit: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def start(self) -> datetime | None:
        """Inclusive lower bound (UTC midnight of date_from)."""
        return datetime.combine(self.date_from, time(), UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """Exclusive upper bound (UTC midnight after date_to)."""
        return datetime.combine(self.date_to + timedelta(days=1), time(), UTC) if self.date_to else None

    @property
    def has_period(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def as_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.directorate:
            params["directorate"] = self.directorate
        if self.unit:
            params["unit"] = self.unit
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        return params


def _date(args: Mapping[str, str], name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FilterError(name, "expected a date as YYYY-MM-DD") from exc


def parse_filters(args: Mapping[str, str]) -> Filters:
    directorate = (args.get("directorate") or "").strip() or None
    unit = (args.get("unit") or "").strip() or None
    if directorate and len(directorate) > 50:
        raise FilterError("directorate", "at most 50 characters")
    if unit and len(unit) > 200:
        raise FilterError("unit", "at most 200 characters")
    date_from, date_to = _date(args, "from"), _date(args, "to")
    if date_from and date_to and date_to < date_from:
        raise FilterError("to", "the end date is before the start date")
    return Filters(directorate, unit, date_from, date_to)
