"""Computing and storing recommendations from a finished assessment: cap, reasons, idempotent recompute."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog.models import Training
from bridge.recommendations import decisions
from bridge.recommendations.models import Recommendation
from bridge.recommendations.operations import (
    RecommendationError,
    list_for_agent,
    recommend,
    recommend_for_assessment,
)
from tests.support import domain

NOW = datetime(2027, 1, 10, tzinfo=UTC)


def _catalogue(session: Session) -> None:
    domain.training(session, "SECU-1", {"4.1": (0, 2, 3)}, duration_minutes=45)
    domain.training(session, "RGPD-1", {"4.2": (0, 2, 3)}, duration_minutes=45)
    domain.training(session, "TABL-1", {"1.3": (0, 1, 2)}, duration_minutes=90)
    domain.training(session, "MAIL-1", {"2.1": (0, 1, 2)}, duration_minutes=30)
    domain.training(session, "CYBER-LYON", {"4.1": (0, 2, 4)}, modality="in_person", duration_minutes=360)
    domain.training(session, "ADVANCED", {"4.1": (4, 5, 6)})  # prerequisite not met
    domain.training(session, "OLD", {"4.2": (0, 2, 4)}, active=False)


def _codes(session: Session, recs: list[Recommendation]) -> list[str]:
    return [session.get_one(Training, r.training_id).code for r in recs]


def _rows(session: Session, agent_id: int) -> list[Recommendation]:
    stmt = select(Recommendation).where(Recommendation.agent_id == agent_id).order_by(Recommendation.rank)
    return list(session.scalars(stmt))


def test_recommend_for_assessment_uses_campaign_profile_and_cap(db_session: Session) -> None:
    _catalogue(db_session)
    campaign = domain.campaign(
        db_session, target_profile={"4.1": 3, "4.2": 3, "1.3": 2}, max_recommendations=3
    )
    agent = domain.agent(db_session)
    assessment = domain.finished_assessment(
        db_session, agent, {"4.1": 1, "4.2": 2, "1.3": 1, "2.1": 0}, campaign
    )

    stored = recommend_for_assessment(db_session, assessment.id, now=NOW)

    # CYBER-LYON closes the 4.1 gap and goes beyond it (7); SECU-1 closes it (6); RGPD-1 and TABL-1 close
    # one level each (3) and the shorter one wins; MAIL-1 (no profile goal) comes last and is cut.
    assert _codes(db_session, stored) == ["CYBER-LYON", "SECU-1", "RGPD-1"]
    assert [r.rank for r in stored] == [1, 2, 3]
    assert all(r.assessment_id == assessment.id and r.campaign_id == campaign.id for r in stored)
    secu = stored[1]
    expected = (
        "Votre niveau en 4.1 (Sécuriser l'environnement numérique) est 1 ; l'objectif de votre profil est 3."
    )
    assert secu.reason == expected
    data = json.loads(secu.reason_data)
    assert data["profile"] == f"campaign:{campaign.code}"
    assert data["gaps"] == [{"competence": "4.1", "level": 1, "goal": 3, "target": 3}]


def test_default_role_profile_and_limit(db_session: Session) -> None:
    _catalogue(db_session)
    agent = domain.agent(db_session)
    levels = {"4.1": 1, "4.2": 2, "1.3": 1, "2.1": 0}
    stored = recommend(db_session, agent.id, levels, now=NOW)  # no campaign: default profile, 5 at most
    assert len(stored) == 5
    assert json.loads(stored[0].reason_data)["profile"] == "agent_accueil"
    named = recommend(db_session, agent.id, levels, profile_code="encadrant", limit=2, now=NOW)
    assert len(named) == 2
    assert json.loads(named[0].reason_data)["profile"] == "encadrant"
    assert len(_rows(db_session, agent.id)) == 2  # the three others were withdrawn


def test_recompute_is_idempotent_and_keeps_decisions(db_session: Session, box: object) -> None:
    _catalogue(db_session)
    agent = domain.agent(db_session)
    levels = {"4.1": 1, "4.2": 2, "1.3": 1, "2.1": 0}
    first = recommend(db_session, agent.id, levels, now=NOW)
    ids = {r.training_id: r.id for r in first}
    declined = first[0]
    decisions.decline(db_session, declined.id, agent.id, comment="Déjà suivie ailleurs", now=NOW)
    accepted = first[1]
    decisions.accept(db_session, accepted.id, agent.id, now=NOW)
    accepted_status = accepted.status

    again = recommend(db_session, agent.id, levels, now=NOW)
    rows = _rows(db_session, agent.id)
    assert len({r.training_id for r in rows}) == len(rows)  # one row per training, never duplicated
    assert declined.training_id not in {r.training_id for r in again}
    assert accepted.training_id not in {r.training_id for r in again}
    assert db_session.get_one(Recommendation, declined.id).status == "declined"
    assert db_session.get_one(Recommendation, declined.id).feedback == "Déjà suivie ailleurs"
    assert db_session.get_one(Recommendation, accepted.id).status == accepted_status
    for rec in again:  # proposals kept their row
        if rec.training_id in ids:
            assert rec.id == ids[rec.training_id]


def test_progress_withdraws_proposals_that_no_longer_fit(db_session: Session) -> None:
    _catalogue(db_session)
    agent = domain.agent(db_session)
    recommend(db_session, agent.id, {"4.1": 1}, now=NOW)
    assert set(_codes(db_session, _rows(db_session, agent.id))) == {"SECU-1", "CYBER-LYON"}
    recommend(db_session, agent.id, {"4.1": 4}, now=NOW)  # the 4.1 goals (2) no longer fire
    assert _codes(db_session, _rows(db_session, agent.id)) == ["ADVANCED"]


def test_past_sessions_are_not_recommended(db_session: Session) -> None:
    domain.training(
        db_session,
        "PAST",
        {"4.1": (0, 2, 3)},
        modality="in_person",
        registration_deadline=NOW - timedelta(days=1),
        starts_at=NOW + timedelta(days=10),
    )
    agent = domain.agent(db_session)
    assert recommend(db_session, agent.id, {"4.1": 1}, now=NOW) == []


def test_unfinished_or_unknown_assessment_is_refused(db_session: Session) -> None:
    agent = domain.agent(db_session)
    assessment = domain.finished_assessment(db_session, agent, {"4.1": 1})
    assessment.status = "in_progress"
    db_session.flush()
    with pytest.raises(RecommendationError, match="pas terminée"):
        recommend_for_assessment(db_session, assessment.id)
    with pytest.raises(RecommendationError, match="introuvable"):
        recommend_for_assessment(db_session, 999_999)


def test_list_for_agent_orders_proposals_first(db_session: Session) -> None:
    _catalogue(db_session)
    agent = domain.agent(db_session)
    stored = recommend(db_session, agent.id, {"4.1": 1, "4.2": 2, "1.3": 1, "2.1": 0}, now=NOW)
    decisions.decline(db_session, stored[0].id, agent.id, now=NOW)
    listed = list_for_agent(db_session, agent.id)
    assert [item.recommendation.status for item in listed][-1] == "declined"
    assert [item.recommendation.rank for item in listed[:4]] == [2, 3, 4, 5]
