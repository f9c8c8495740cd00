"""One row per campaign member, streamed in constant memory (CSV and XLSX) and paged for the API.

The members are read with a server-side cursor (``yield_per``); each partition of 1,000 fetches its
members' competence levels and recommendation counts in two grouped queries.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import xlsxwriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import CompetenceResult
from bridge.campaigns.models import Campaign, CampaignMember
from bridge.recommendations.models import STATUSES, Recommendation
from bridge.tracker.filters import Filters

PARTITION = 1000
DATE_FIELDS = ("targeted_at", "first_launch_at", "assessed_at", "accepted_at", "enrolled_at", "completed_at")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Layout:
    """The export's columns for a framework and an audience (e-mails only for administrators)."""

    competences: tuple[str, ...]
    include_email: bool

    @property
    def header(self) -> list[str]:
        head = ["campaign", "directorate", "unit", "external_id"]
        if self.include_email:
            head.append("email")
        head += list(DATE_FIELDS)
        head += [f"level_{c}" for c in self.competences]
        head += [f"first_level_{c}" for c in self.competences]
        head += ["recommendations"] + [f"recommendations_{s}" for s in STATUSES]
        return head


@dataclass(frozen=True)
class MemberRecord:
    """One member with everything the exports and the API show."""

    member_id: int
    agent_id: int
    campaign: str
    directorate: str | None
    unit: str | None
    external_id: str | None
    email: str | None
    dates: dict[str, datetime | None]
    latest: dict[str, int]
    first: dict[str, int]
    recommendations: dict[str, int]

    def cells(self, layout: Layout) -> list[Any]:
        row: list[Any] = [self.campaign, self.directorate, self.unit, self.external_id]
        if layout.include_email:
            row.append(self.email)
        row += [self.dates[name] for name in DATE_FIELDS]
        row += [self.latest.get(c) for c in layout.competences]
        row += [self.first.get(c) for c in layout.competences]
        row.append(sum(self.recommendations.values()))
        row += [self.recommendations.get(s, 0) for s in STATUSES]
        return row


def _members_stmt(campaign_ids: Sequence[int] | None, filters: Filters, after_id: int | None = None):  # type: ignore[no-untyped-def]
    member = CampaignMember
    stmt = (
        select(
            member.id,
            member.agent_id,
            member.campaign_id,
            Campaign.code,
            member.directorate,
            member.unit,
            Agent.external_id,
            Agent.email,
            *[getattr(member, name) for name in DATE_FIELDS],
            member.first_assessment_id,
            member.latest_assessment_id,
        )
        .join(Agent, Agent.id == member.agent_id)
        .join(Campaign, Campaign.id == member.campaign_id)
        .order_by(member.id)
    )
    if campaign_ids is not None:
        stmt = stmt.where(member.campaign_id.in_(list(campaign_ids)))
    if filters.directorate:
        stmt = stmt.where(member.directorate == filters.directorate)
    if filters.unit:
        stmt = stmt.where(member.unit == filters.unit)
    if after_id is not None:
        stmt = stmt.where(member.id > after_id)
    return stmt


def _records(session: Session, rows: Sequence[Any]) -> list[MemberRecord]:
    assessment_ids = {r.latest_assessment_id for r in rows} | {r.first_assessment_id for r in rows}
    assessment_ids.discard(None)
    levels: dict[int, dict[str, int]] = {}
    if assessment_ids:
        stmt = select(
            CompetenceResult.assessment_id, CompetenceResult.competence, CompetenceResult.level
        ).where(CompetenceResult.assessment_id.in_(assessment_ids))
        for assessment_id, competence, level in session.execute(stmt):
            levels.setdefault(assessment_id, {})[competence] = level
    recommendations: dict[tuple[int | None, int], dict[str, int]] = {}
    if rows:
        stmt_recs = (
            select(Recommendation.campaign_id, Recommendation.agent_id, Recommendation.status, func.count())
            .where(
                Recommendation.campaign_id.in_({r.campaign_id for r in rows}),
                Recommendation.agent_id.in_([r.agent_id for r in rows]),
            )
            .group_by(Recommendation.campaign_id, Recommendation.agent_id, Recommendation.status)
        )
        for campaign_id, agent_id, status, n in session.execute(stmt_recs):
            recommendations.setdefault((campaign_id, agent_id), {})[status] = int(n)
    return [
        MemberRecord(
            member_id=r.id,
            agent_id=r.agent_id,
            campaign=r.code,
            directorate=r.directorate,
            unit=r.unit,
            external_id=r.external_id,
            email=r.email,
            dates={name: getattr(r, name) for name in DATE_FIELDS},
            latest=levels.get(r.latest_assessment_id, {}) if r.latest_assessment_id else {},
            first=levels.get(r.first_assessment_id, {}) if r.first_assessment_id else {},
            recommendations=recommendations.get((r.campaign_id, r.agent_id), {}),
        )
        for r in rows
    ]


def iter_records(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters
) -> Iterator[list[MemberRecord]]:
    """Every member of the campaigns (None: all), partition by partition, with a server-side cursor
    (flat memory)."""
    result = session.execute(_members_stmt(campaign_ids, filters).execution_options(yield_per=PARTITION))
    for partition in result.partitions():
        yield _records(session, partition)


def page(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters, after_id: int | None, limit: int
) -> list[MemberRecord]:
    """One keyset page of members (API pagination: ``member id > after_id``)."""
    rows = session.execute(_members_stmt(campaign_ids, filters, after_id).limit(limit)).all()
    return _records(session, rows)


def count_members(session: Session, campaign_ids: Sequence[int] | None, filters: Filters) -> int:
    stmt = select(func.count()).select_from(CampaignMember)
    if campaign_ids is not None:
        stmt = stmt.where(CampaignMember.campaign_id.in_(list(campaign_ids)))
    if filters.directorate:
        stmt = stmt.where(CampaignMember.directorate == filters.directorate)
    if filters.unit:
        stmt = stmt.where(CampaignMember.unit == filters.unit)
    return int(session.scalar(stmt) or 0)


def _text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return _text(value)


def stream_csv(
    session: Session,
    campaign_ids: Sequence[int] | None,
    filters: Filters,
    layout: Layout,
    *,
    delimiter: str = ";",
) -> Iterator[bytes]:
    """UTF-8 with BOM (Excel opens it with the accents right), dates in UTC as YYYY-MM-DD HH:MM:SS."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(layout.header)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for records in iter_records(session, campaign_ids, filters):
        buffer.seek(0)
        buffer.truncate()
        for record in records:
            writer.writerow([_csv_cell(v) for v in record.cells(layout)])
        yield buffer.getvalue().encode("utf-8")


def write_xlsx(
    session: Session,
    campaign_ids: Sequence[int] | None,
    filters: Filters,
    layout: Layout,
    path: str,
    *,
    sheet_name: str = "PACNum",
    progress: Any = None,
) -> int:
    """Write the workbook row by row (XlsxWriter constant_memory: flushed as it goes); returns rows."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "remove_timezone": True})
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True})
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, layout.header, bold)
        sheet.freeze_panes(1, 0)
        date_columns = {layout.header.index(name) for name in DATE_FIELDS}
        row_number = 0
        for records in iter_records(session, campaign_ids, filters):
            for record in records:
                row_number += 1
                for col, value in enumerate(record.cells(layout)):
                    if value is None:
                        continue
                    if col in date_columns:
                        sheet.write_datetime(row_number, col, value, when)
                    elif isinstance(value, str):
                        sheet.write_string(row_number, col, value)
                    else:
                        sheet.write_number(row_number, col, value)
            if progress is not None:
                progress(len(records))
    finally:
        workbook.close()
    return row_number


def stream_xlsx(
    session: Session, campaign_ids: Sequence[int] | None, filters: Filters, layout: Layout, sheet_name: str
) -> Iterator[bytes]:
    """Build the workbook in a temporary file (constant memory), then stream it and delete it."""
    handle, path = tempfile.mkstemp(prefix="pacnum-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(session, campaign_ids, filters, layout, path, sheet_name=sheet_name)
        with open(path, "rb") as stream:
            while chunk := stream.read(256 * 1024):
                yield chunk
    finally:
        os.unlink(path)
