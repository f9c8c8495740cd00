"""The grade sent to the LMS gradebook (LTI AGS) when a sitting finishes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.assessment.models import Assessment, CompetenceResult, ScoreOutbox
from bridge.assessment.scoring import PIX_PER_LEVEL

GRADE_MODES = ("percent", "average_level")


@dataclass(frozen=True)
class Grade:
    given: float
    maximum: float
    comment: str


def summarise(results: Sequence[CompetenceResult], level_cap: int) -> tuple[float, float]:
    """(score out of 100 from the pix total, average level)."""
    if not results:
        return 0.0, 0.0
    pix_max = len(results) * PIX_PER_LEVEL * level_cap
    percent = round(100.0 * sum(r.pix for r in results) / pix_max, 1) if pix_max else 0.0
    average = round(sum(r.level for r in results) / len(results), 2)
    return percent, average


def grade_for(assessment: Assessment, mode: str, level_cap: int) -> Grade:
    if mode not in GRADE_MODES:
        raise ValueError(f"unknown grade mode {mode!r}: expected one of {', '.join(GRADE_MODES)}")
    average = assessment.average_level or 0.0
    comment = f"Niveau moyen {average:.1f} sur {level_cap} ({len(assessment.results)} compétences)"
    if mode == "average_level":
        return Grade(given=round(average, 2), maximum=float(level_cap), comment=comment)
    return Grade(given=assessment.score_percent or 0.0, maximum=100.0, comment=comment)


def enqueue_score(session: Session, assessment: Assessment, mode: str, level_cap: int) -> ScoreOutbox | None:
    """Queue the grade when the launch carried AGS. Sending happens later and never blocks the agent."""
    if assessment.platform_id is None or not (assessment.ags_lineitem_url or assessment.ags_lineitems_url):
        return None
    existing = session.scalar(select(ScoreOutbox).where(ScoreOutbox.assessment_id == assessment.id))
    if existing is not None:
        return existing
    agent = session.get(Agent, assessment.agent_id)
    if agent is None or agent.sub is None:
        return None
    grade = grade_for(assessment, mode, level_cap)
    row = ScoreOutbox(
        assessment_id=assessment.id,
        platform_id=assessment.platform_id,
        lineitem_url=assessment.ags_lineitem_url,
        lineitems_url=assessment.ags_lineitems_url,
        resource_link_id=assessment.resource_link_id,
        user_sub=agent.sub,
        score_given=grade.given,
        score_maximum=grade.maximum,
        comment=grade.comment,
    )
    session.add(row)
    return row
