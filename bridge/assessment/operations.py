"""A sitting from start to results: start or resume, the current question, answers, finish.

Shared by the agent's pages, the CLI and the tests. Each function works on a session; the caller commits.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.assessment import events, grading
from bridge.assessment.bank import Response, score_answer
from bridge.assessment.bank_model import Item, ItemKind
from bridge.assessment.engine import Accessibility
from bridge.assessment.errors import InvalidAnswer, NotInProgress, RetakeTooSoon, StaleAnswer
from bridge.assessment.models import Assessment, AssessmentResponse, CompetenceResult
from bridge.assessment.runtime import AssessmentRuntime, LoadedEngine
from bridge.campaigns.models import Campaign, CampaignMember
from config.database import utcnow

log = logging.getLogger(__name__)

DEFAULT_RETAKE_DAYS = 4
DEFAULT_LEVEL_CAP = 5


@dataclass(frozen=True)
class LaunchInfo:
    """What the launch tells about where the grade goes."""

    platform_id: int | None = None
    resource_link_id: str | None = None
    lineitem_url: str | None = None
    lineitems_url: str | None = None


@dataclass(frozen=True)
class AnswerOutcome:
    correct: bool
    finished: bool


def _campaign(session: Session, campaign_id: int | None) -> Campaign | None:
    return session.get(Campaign, campaign_id) if campaign_id is not None else None


def level_cap_of(campaign: Campaign | None) -> int:
    return campaign.level_cap if campaign is not None else DEFAULT_LEVEL_CAP


def _engine(session: Session, runtime: AssessmentRuntime, assessment: Assessment) -> LoadedEngine:
    return runtime.engine(session, level_cap=level_cap_of(_campaign(session, assessment.campaign_id)))


def in_progress(session: Session, agent_id: int) -> Assessment | None:
    stmt = (
        select(Assessment)
        .where(Assessment.agent_id == agent_id, Assessment.status == "in_progress")
        .order_by(Assessment.started_at.desc())
    )
    return session.scalars(stmt).first()


def history(session: Session, agent_id: int) -> list[Assessment]:
    stmt = select(Assessment).where(Assessment.agent_id == agent_id).order_by(Assessment.started_at.desc())
    return list(session.scalars(stmt))


def latest_finished(session: Session, agent_id: int) -> Assessment | None:
    stmt = (
        select(Assessment)
        .where(Assessment.agent_id == agent_id, Assessment.status == "finished")
        .order_by(Assessment.finished_at.desc(), Assessment.id.desc())
    )
    return session.scalars(stmt).first()


def next_start_allowed(session: Session, agent_id: int, campaign_id: int | None) -> datetime | None:
    """When the agent may start a new sitting (None: now)."""
    last = latest_finished(session, agent_id)
    if last is None or last.finished_at is None:
        return None
    campaign = _campaign(session, campaign_id)
    delay = campaign.retake_delay_days if campaign is not None else DEFAULT_RETAKE_DAYS
    available = last.finished_at + timedelta(days=delay)
    return available if available > utcnow() else None


def _seen_before(session: Session, agent_id: int, exclude_assessment: int | None = None) -> set[str]:
    stmt = (
        select(AssessmentResponse.item_id)
        .join(Assessment, Assessment.id == AssessmentResponse.assessment_id)
        .where(Assessment.agent_id == agent_id)
    )
    if exclude_assessment is not None:
        stmt = stmt.where(Assessment.id != exclude_assessment)
    return set(session.scalars(stmt))


def _answers(assessment: Assessment) -> list[tuple[str, bool]]:
    return [(r.item_id, r.correct) for r in assessment.responses]


def _accessibility(assessment: Assessment) -> Accessibility:
    needs = set(assessment.exclude_accessibility or [])
    return Accessibility(no_images="images" in needs, no_sound="sound" in needs)


def _choose_next(session: Session, runtime: AssessmentRuntime, assessment: Assessment) -> str | None:
    loaded = _engine(session, runtime, assessment)
    excluded = _seen_before(session, assessment.agent_id, assessment.id)
    excluded |= set(loaded.items) - loaded.active_ids
    return loaded.engine.next_item(
        _answers(assessment),
        seed=assessment.seed,
        excluded_ids=excluded,
        accessibility=_accessibility(assessment),
    )


def start_or_resume(
    session: Session,
    runtime: AssessmentRuntime,
    agent_id: int,
    *,
    campaign_id: int | None = None,
    launch: LaunchInfo | None = None,
    accessibility_needs: Sequence[str] = (),
) -> Assessment:
    """The agent's sitting in progress, or a new one when the retake policy allows it."""
    launch = launch or LaunchInfo()
    current = in_progress(session, agent_id)
    if current is not None:
        _remember_launch(current, launch)
        return current
    available_at = next_start_allowed(session, agent_id, campaign_id)
    if available_at is not None:
        raise RetakeTooSoon(available_at)
    assessment = Assessment(
        agent_id=agent_id,
        campaign_id=campaign_id,
        seed=secrets.randbelow(2**31),
        exclude_accessibility=sorted(set(accessibility_needs) & {"images", "sound"}),
    )
    _remember_launch(assessment, launch)
    session.add(assessment)
    session.flush()
    assessment.current_item_id = _choose_next(session, runtime, assessment)
    if assessment.current_item_id is None:
        raise NotInProgress("no question can be asked: the item bank has no active item for this agent")
    log.info("assessment %s started (agent %s)", assessment.id, agent_id)
    return assessment


def _remember_launch(assessment: Assessment, launch: LaunchInfo) -> None:
    """Keep the latest AGS endpoints: a relaunch from another link sends the grade there."""
    if launch.platform_id is not None:
        assessment.platform_id = launch.platform_id
        assessment.resource_link_id = launch.resource_link_id
        assessment.ags_lineitem_url = launch.lineitem_url
        assessment.ags_lineitems_url = launch.lineitems_url


def current_item(session: Session, runtime: AssessmentRuntime, assessment: Assessment) -> Item | None:
    if assessment.status != "in_progress" or assessment.current_item_id is None:
        return None
    return _engine(session, runtime, assessment).items[assessment.current_item_id]


def expected_length(assessment: Assessment) -> int:
    """What to announce as the total: about 36, never less than what was already asked."""
    return max(36, len(assessment.responses) + 1)


def validate_response(item: Item, response: Response) -> Response:
    """Refuse answers that cannot come from the question's form (tampered or stale pages)."""
    if response is None:
        return None
    option_ids = {option.id for option in item.options}
    if item.kind is ItemKind.SHORT_ANSWER:
        if not isinstance(response, str) or not response.strip():
            raise InvalidAnswer("an answer is needed, or choose « Je ne sais pas »")
        if len(response) > 500:
            raise InvalidAnswer("the answer is too long")
        return response
    given = [response] if isinstance(response, str) else list(response)
    if not given:
        raise InvalidAnswer("choose an answer, or « Je ne sais pas »")
    if any(choice not in option_ids for choice in given) or len(set(given)) != len(given):
        raise InvalidAnswer("the answer does not match the question's options")
    if item.kind is ItemKind.SINGLE_CHOICE and len(given) != 1:
        raise InvalidAnswer("choose exactly one answer")
    if item.kind is ItemKind.ORDERING and len(given) != len(option_ids):
        raise InvalidAnswer("give a position to every step")
    return given[0] if item.kind is ItemKind.SINGLE_CHOICE else given


def submit_answer(
    session: Session,
    runtime: AssessmentRuntime,
    assessment: Assessment,
    item_id: str,
    response: Response,
    *,
    seconds: int | None = None,
    grade_mode: str = "percent",
) -> AnswerOutcome:
    if assessment.status != "in_progress":
        raise NotInProgress("this assessment is finished")
    if item_id != assessment.current_item_id:
        raise StaleAnswer(
            f"answer for {item_id!r} but the current question is {assessment.current_item_id!r}"
        )
    item = _engine(session, runtime, assessment).items[item_id]
    response = validate_response(item, response)
    correct = score_answer(item, response)
    assessment.responses.append(
        AssessmentResponse(
            position=len(assessment.responses) + 1,
            item_id=item_id,
            competence=item.competence,
            answer=response,
            correct=correct,
            seconds_spent=seconds if seconds is None or 0 <= seconds < 86400 else None,
        )
    )
    session.flush()
    assessment.current_item_id = _choose_next(session, runtime, assessment)
    if assessment.current_item_id is None:
        finish(session, runtime, assessment, grade_mode=grade_mode)
        return AnswerOutcome(correct=correct, finished=True)
    return AnswerOutcome(correct=correct, finished=False)


def finish(
    session: Session, runtime: AssessmentRuntime, assessment: Assessment, *, grade_mode: str = "percent"
) -> Assessment:
    """Compute and store the results, queue the grade, update the tracker, run the finished hooks."""
    if assessment.status == "finished":
        return assessment
    campaign = _campaign(session, assessment.campaign_id)
    cap = level_cap_of(campaign)
    loaded = _engine(session, runtime, assessment)
    result = loaded.engine.result(_answers(assessment), runtime.framework)
    assessment.results = [
        CompetenceResult(
            competence=code,
            theta=round(est.theta, 4),
            se=round(est.se, 4),
            level=est.level,
            level_low=est.band_low,
            level_high=est.band_high,
            pix=est.pix,
            items_answered=est.n_answered,
        )
        for code, est in result.competences.items()
    ]
    now = utcnow()
    assessment.status = "finished"
    assessment.finished_at = now
    assessment.current_item_id = None
    assessment.score_percent, assessment.average_level = grading.summarise(assessment.results, cap)
    if campaign is not None:
        grade_mode = str(campaign.settings.get("grade_mode", grade_mode))
    session.flush()
    grading.enqueue_score(session, assessment, grade_mode, cap)
    _mark_assessed(session, assessment, now)
    events.run_finished_hooks(session, assessment.id)
    log.info("assessment %s finished after %d answers", assessment.id, len(assessment.responses))
    return assessment


def _mark_assessed(session: Session, assessment: Assessment, now: datetime) -> None:
    stmt = select(CampaignMember).where(CampaignMember.agent_id == assessment.agent_id)
    if assessment.campaign_id is not None:
        stmt = stmt.where(CampaignMember.campaign_id == assessment.campaign_id)
    for member in session.scalars(stmt):
        if member.assessed_at is None:
            member.assessed_at = now


def results_of(assessment: Assessment) -> dict[str, CompetenceResult]:
    return {r.competence: r for r in assessment.results}
