"""Campaigns and directorates: create, edit, deactivate, list. The caller commits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.campaigns.models import Campaign, CampaignMember, Directorate

GRADE_MODES = ("percent", "average_level")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")


class CampaignError(ValueError):
    """A campaign or directorate operation was refused; the message says why."""


@dataclass
class CampaignData:
    """What a campaign manager edits (the form and the CLI build one)."""

    code: str
    name: str
    directorate_code: str | None = None
    wave: int = 1
    starts_on: date | None = None
    ends_on: date | None = None
    description: str = ""
    target_profile: dict[str, int] = field(default_factory=dict)
    retake_delay_days: int = 4
    max_recommendations: int = 5
    level_cap: int = 5
    grade_mode: str = "percent"
    lms_context_ids: list[str] = field(default_factory=list)

    @classmethod
    def from_campaign(cls, campaign: Campaign) -> CampaignData:
        return cls(
            code=campaign.code,
            name=campaign.name,
            directorate_code=campaign.directorate_code,
            wave=campaign.wave,
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
            description=campaign.description,
            target_profile=dict(campaign.target_profile or {}),
            retake_delay_days=campaign.retake_delay_days,
            max_recommendations=campaign.max_recommendations,
            level_cap=campaign.level_cap,
            grade_mode=str((campaign.settings or {}).get("grade_mode", "percent")),
            lms_context_ids=list(campaign.lms_context_ids or []),
        )


@dataclass(frozen=True)
class CampaignRow:
    campaign: Campaign
    members: int


def directorates(session: Session) -> list[Directorate]:
    return list(session.scalars(select(Directorate).order_by(Directorate.code)))


def add_directorate(session: Session, code: str, name: str) -> Directorate:
    code = code.strip().upper()
    name = name.strip()
    if not CODE_PATTERN.match(code) or len(code) > 50:
        raise CampaignError("code: 2 to 50 letters, digits, '-' or '_'")
    if not name:
        raise CampaignError("name: required")
    if session.scalar(select(Directorate).where(Directorate.code == code)) is not None:
        raise CampaignError(f"code: the directorate {code} already exists")
    directorate = Directorate(code=code, name=name[:200])
    session.add(directorate)
    session.flush()
    return directorate


def get_campaign(session: Session, code: str) -> Campaign | None:
    return session.scalar(select(Campaign).where(Campaign.code == code))


def list_campaigns(session: Session, *, include_inactive: bool = True) -> list[CampaignRow]:
    members = (
        select(CampaignMember.campaign_id, func.count().label("n"))
        .group_by(CampaignMember.campaign_id)
        .subquery()
    )
    stmt = (
        select(Campaign, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.campaign_id == Campaign.id)
        .order_by(Campaign.active.desc(), Campaign.starts_on.desc(), Campaign.code)
    )
    if not include_inactive:
        stmt = stmt.where(Campaign.active.is_(True))
    return [CampaignRow(campaign, int(n)) for campaign, n in session.execute(stmt)]


def _apply(campaign: Campaign, data: CampaignData) -> None:
    campaign.name = data.name
    campaign.directorate_code = data.directorate_code
    campaign.wave = data.wave
    campaign.starts_on = data.starts_on
    campaign.ends_on = data.ends_on
    campaign.description = data.description
    campaign.target_profile = dict(data.target_profile)
    campaign.retake_delay_days = data.retake_delay_days
    campaign.max_recommendations = data.max_recommendations
    campaign.level_cap = data.level_cap
    campaign.lms_context_ids = list(data.lms_context_ids)
    settings: dict[str, Any] = dict(campaign.settings or {})
    settings["grade_mode"] = data.grade_mode
    campaign.settings = settings


def _check(session: Session, data: CampaignData) -> None:
    if data.directorate_code is not None:
        known = session.scalar(select(Directorate.id).where(Directorate.code == data.directorate_code))
        if known is None:
            raise CampaignError(f"directorate_code: unknown directorate {data.directorate_code}")
    if data.grade_mode not in GRADE_MODES:
        raise CampaignError(f"grade_mode: one of {', '.join(GRADE_MODES)}")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise CampaignError("ends_on: the end date is before the start date")


def create_campaign(session: Session, data: CampaignData) -> Campaign:
    if not CODE_PATTERN.match(data.code):
        raise CampaignError("code: 2 to 64 letters, digits, '-' or '_'")
    if get_campaign(session, data.code) is not None:
        raise CampaignError(f"code: the campaign {data.code} already exists")
    _check(session, data)
    campaign = Campaign(code=data.code, name=data.name, settings={})
    _apply(campaign, data)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign: Campaign, data: CampaignData) -> Campaign:
    """Edit a campaign. The code is its stable key (links, tokens, exports): it does not change."""
    _check(session, data)
    _apply(campaign, data)
    session.flush()
    return campaign


def set_active(session: Session, campaign: Campaign, active: bool) -> Campaign:
    campaign.active = active
    session.flush()
    return campaign
