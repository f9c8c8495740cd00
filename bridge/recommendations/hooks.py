"""Recommendations follow every finished assessment (registered on bridge.assessment.events)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridge.recommendations.operations import recommend_for_assessment


def on_assessment_finished(session: Session, assessment_id: int) -> None:
    recommend_for_assessment(session, assessment_id)
