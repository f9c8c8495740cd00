"""The funnel and its progress over time, counted by the database, never row by row in Python.

Funnel steps are the dated columns of CampaignMember, which also carries each member's directorate
and unit: one covering index (campaign, directorate, unit, the six step dates) answers the funnel with
an index-only scan. With a date range, a step counts the members who reached it during the period;
without one, everyone who reached it. Progress reads the daily rollup of bridge.tracker.stats, or the
members themselves when filtered by unit (a small set). Levels and before/after: bridge.tracker.stats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bridge.campaigns.models import CampaignMember
from bridge.tracker.filters import Filters
from bridge.tracker.models import DailyStat
from bridge.tracker.sql import as_date, day_of
from bridge.tracker.steps import STEP_NAMES, STEPS

GROUPS = ("campaign", "directorate", "unit")
MAX_BUCKETS = 400

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


@dataclass
class FunnelRow:
    key: tuple[str | int | None, ...]
    counts: dict[str, int]

    @property
    def targeted(self) -> int:
        return self.counts["targeted"]

    def share(self, step: str) -> float | None:
        return self.counts[step] / self.targeted if self.targeted else None


@dataclass
class Funnel:
    group: str | None
    rows: list[FunnelRow]
    total: FunnelRow


@dataclass
class ProgressPoint:
    day: date
    counts: dict[str, int]


def _scope(stmt: SelectT, campaign_ids: Sequence[int] | None, filters: Filters) -> SelectT:
    """Restrict to the campaigns and the members' directorate/unit."""
    if campaign_ids is not None:
        stmt = stmt.where(CampaignMember.campaign_id.in_(list(campaign_ids)))
    if filters.directorate:
        stmt = stmt.where(CampaignMember.directorate == filters.directorate)
    if filters.unit:
        stmt = stmt.where(CampaignMember.unit == filters.unit)
    return stmt


def _in_period(column: Any, filters: Filters) -> ColumnElement[bool]:
    conditions = [column.is_not(None)]
    if filters.start is not None:
        conditions.append(column >= filters.start)
    if filters.end is not None:
        conditions.append(column < filters.end)
    return and_(*conditions)


def _count_in_period(column: Any, filters: Filters, *, counted: Any = None) -> ColumnElement[int]:
    """count(counted) (count(*) when None), or the count of dates in the period. The period stays out
    of the WHERE clause on purpose: there, SQLite's planner leaves the covering index for a table scan
    (10x slower)."""
    if not filters.has_period:
        return func.count(counted) if counted is not None else func.count()
    return func.count(case((_in_period(column, filters), 1)))


def _empty() -> dict[str, int]:
    return dict.fromkeys(STEP_NAMES, 0)


def funnel(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters, group: str | None = None
) -> Funnel:
    """Funnel counts, optionally grouped by campaign, directorate or unit (unit = directorate + unit).

    One index-only scan of ix_campaign_member_tracker counts every step, grouped in the index's order
    (campaign, directorate, unit) so no sort is needed; the few resulting rows are folded here."""
    if group is not None and group not in GROUPS:
        raise ValueError(f"group must be one of {GROUPS}")
    member = CampaignMember
    keys = [member.campaign_id, member.directorate, member.unit][
        : {"directorate": 2, "unit": 3}.get(group or "", 1)
    ]
    counts_sql = [_count_in_period(column, filters, counted=column) for _name, column in STEPS]
    stmt = _scope(select(*keys, *counts_sql), campaign_ids, filters).group_by(*keys)
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    total = FunnelRow(key=(), counts=_empty())
    for record in session.execute(stmt):
        values = tuple(record)
        key: tuple[Any, ...] = ()
        if group == "campaign":
            key = (values[0],)
        elif group == "directorate":
            key = (values[1],)
        elif group == "unit":
            key = (values[1], values[2])
        counts = rows.setdefault(key, _empty())
        for name, n in zip(STEP_NAMES, values[len(keys) :], strict=True):
            counts[name] += int(n)
            total.counts[name] += int(n)
    ordered = [FunnelRow(key, counts) for key, counts in rows.items()] if group else []
    if group == "unit":
        ordered.sort(key=lambda r: (-r.targeted, tuple(str(k) for k in r.key)))
    else:
        ordered.sort(key=lambda r: tuple(str(k) for k in r.key))
    return Funnel(group=group, rows=ordered, total=total)


def funnel_from_rollup(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters, group: str | None = None
) -> Funnel:
    """The funnel summed from the daily rollup (as of the last statistics refresh): the all-campaigns
    overview reads a few thousand rows instead of every member. No unit grouping or filter."""
    if group not in (None, "campaign", "directorate") or filters.unit:
        raise ValueError("the rollup has no unit: use funnel()")
    keys: list[Any] = []
    if group == "campaign":
        keys = [DailyStat.campaign_id]
    elif group == "directorate":
        keys = [DailyStat.directorate]
    stmt = select(DailyStat.step, *keys, func.sum(DailyStat.members)).group_by(DailyStat.step, *keys)
    if campaign_ids is not None:
        stmt = stmt.where(DailyStat.campaign_id.in_(list(campaign_ids)))
    if filters.directorate:
        stmt = stmt.where(DailyStat.directorate == filters.directorate)
    if filters.date_from:
        stmt = stmt.where(DailyStat.day >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(DailyStat.day <= filters.date_to)
    rows: dict[tuple[Any, ...], dict[str, int]] = {}
    total = FunnelRow(key=(), counts=_empty())
    for step, *key, n in session.execute(stmt):
        value = int(n or 0)
        if group == "directorate":
            key = [key[0] or None]
        rows.setdefault(tuple(key), _empty())[step] += value
        total.counts[step] += value
    ordered = sorted((FunnelRow(k, c) for k, c in rows.items()), key=lambda r: tuple(str(k) for k in r.key))
    return Funnel(group=group, rows=ordered if group else [], total=total)


def _live_days(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters
) -> list[tuple[str, Any, int]]:
    dialect = session.get_bind().dialect.name
    parts = []
    for name, column in STEPS:
        bucket = day_of(dialect, column).label("day")
        part = select(literal(name).label("step"), bucket, _count_in_period(column, filters).label("n"))
        parts.append(_scope(part.where(column.is_not(None)), campaign_ids, filters).group_by(bucket))
    return [tuple(r) for r in session.execute(union_all(*parts))]


def _rollup_days(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters
) -> list[tuple[str, Any, int]]:
    stmt = select(DailyStat.step, DailyStat.day, func.sum(DailyStat.members)).group_by(
        DailyStat.step, DailyStat.day
    )
    if campaign_ids is not None:
        stmt = stmt.where(DailyStat.campaign_id.in_(list(campaign_ids)))
    if filters.directorate:
        stmt = stmt.where(DailyStat.directorate == filters.directorate)
    if filters.date_from:
        stmt = stmt.where(DailyStat.day >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(DailyStat.day <= filters.date_to)
    return [(step, day, int(n or 0)) for step, day, n in session.execute(stmt)]


def progress(
    session: Session,
    campaign_ids: Sequence[int] | None,
    filters: Filters,
    period: str = "day",
    *,
    live: bool = False,
) -> list[ProgressPoint]:
    """How many members reached each step per day (UTC) or per ISO week (from Monday), gaps filled with
    zeros. From the daily rollup unless filtered by unit (or ``live``)."""
    if period not in ("day", "week"):
        raise ValueError("period must be day or week")
    rows = (
        _live_days(session, campaign_ids, filters)
        if live or filters.unit
        else _rollup_days(session, campaign_ids, filters)
    )
    found: dict[date, dict[str, int]] = {}
    for step, raw_day, n in rows:
        if not n:
            continue
        day = as_date(raw_day)
        if period == "week":
            day -= timedelta(days=day.weekday())
        found.setdefault(day, _empty())[step] += n
    if not found:
        return []
    step_days = 7 if period == "week" else 1
    first, last = min(found), max(found)
    first = max(first, last - timedelta(days=step_days * (MAX_BUCKETS - 1)))
    points: list[ProgressPoint] = []
    day = first
    while day <= last:
        points.append(ProgressPoint(day, found.get(day, _empty())))
        day += timedelta(days=step_days)
    return points


def units_of(session: Session, campaign_ids: Sequence[int] | None, directorate: str | None) -> list[str]:
    """The units present in the campaigns (for the filter's choices)."""
    stmt = (
        select(CampaignMember.unit)
        .where(CampaignMember.unit.is_not(None))
        .distinct()
        .order_by(CampaignMember.unit)
    )
    if campaign_ids is not None:
        stmt = stmt.where(CampaignMember.campaign_id.in_(list(campaign_ids)))
    if directorate:
        stmt = stmt.where(CampaignMember.directorate == directorate)
    return [u for u in session.scalars(stmt.limit(2000)) if u]
