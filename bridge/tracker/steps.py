"""The funnel steps: the dated columns of CampaignMember, in order."""

from __future__ import annotations

from typing import Any

from bridge.campaigns.models import CampaignMember

STEPS: tuple[tuple[str, Any], ...] = (
    ("targeted", CampaignMember.targeted_at),
    ("launched", CampaignMember.first_launch_at),
    ("assessed", CampaignMember.assessed_at),
    ("accepted", CampaignMember.accepted_at),
    ("enrolled", CampaignMember.enrolled_at),
    ("completed", CampaignMember.completed_at),
)
STEP_NAMES = tuple(name for name, _col in STEPS)
