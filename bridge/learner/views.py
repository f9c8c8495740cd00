"""The learner's home after a launch (``/parcours``)."""

from __future__ import annotations

from flask import Blueprint, render_template

from bridge.agents.models import Agent
from bridge.assessment import operations as assessment_ops
from bridge.auth.launch_session import current_launch, require_agent, session_expired
from bridge.core.db import get_session

bp = Blueprint("learner", __name__)


def current_agent() -> Agent:
    agent = get_session().get(Agent, current_launch().agent_id)
    if agent is None or agent.erased_at is not None:
        raise session_expired()
    return agent


@bp.get("/parcours")
@require_agent
def home() -> str:
    agent = current_agent()
    session = get_session()
    return render_template(
        "learner/home.html",
        agent=agent,
        launch=current_launch(),
        current=assessment_ops.in_progress(session, agent.id),
        latest=assessment_ops.latest_finished(session, agent.id),
    )
