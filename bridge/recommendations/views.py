"""The agent's recommendations page and decisions, served in the learner area (inside the LMS iframe).

The learner session is not defined here: ``create_blueprint`` takes it as an ``AgentAccess`` (at merge,
built from ``bridge.auth.launch_session``: ``require_agent`` puts the launched agent in
``g.launch.agent_id``, ``agent_url(endpoint, **values)`` builds URLs that keep the launch token,
``agent_token_field()`` renders the hidden token input every POST form carries). Messages after a
decision travel in the redirect URL, not in a cookie, because cookies are unreliable in iframes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, g, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from bridge.agents.models import Agent
from bridge.catalog.competences import competences
from bridge.catalog.display import local_datetime
from bridge.catalog.forms import modality_label
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.recommendations import decisions, enrolment, reasons
from bridge.recommendations.decisions import DecisionError
from bridge.recommendations.operations import AgentRecommendation, list_for_agent

log = logging.getLogger(__name__)

View = Callable[..., Any]
NOTICES = ("accepte", "attente", "refuse", "pas_pour_moi")


@dataclass(frozen=True)
class AgentAccess:
    require_agent: Callable[[View], View]
    agent_url: Callable[..., str]
    agent_token_field: Callable[[], Markup]


def status_label(item: AgentRecommendation) -> str:
    rec = item.recommendation
    labels = {
        "proposed": _("Proposée"),
        "accepted": _("Acceptée, inscription à venir"),
        "enrolment_pending": _("Inscription en cours"),
        "waitlisted": _("Liste d'attente, position %(position)s", position=rec.waitlist_position or "?"),
        "enrolled": _("Inscription confirmée"),
        "completed": _("Terminée"),
        "declined": _("Refusée"),
        "not_relevant": _("Pas pour moi"),
    }
    return str(labels.get(rec.status, rec.status))


def reason_text(item: AgentRecommendation, locale: str) -> str:
    data = reasons.loads(item.recommendation.reason_data)
    return reasons.render(data, locale) if data else item.recommendation.reason


def create_blueprint(access: AgentAccess) -> Blueprint:
    bp = Blueprint("recommendations", __name__)

    @bp.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "agent_url": access.agent_url,
            "agent_token_field": access.agent_token_field,
            "status_label": status_label,
            "reason_text": reason_text,
            "modality_label": modality_label,
            "local_datetime": local_datetime,
            "competence_titles": competences(),
        }

    @bp.get("/parcours/recommandations")
    @access.require_agent
    def index() -> str:
        session = get_session()
        agent = session.get(Agent, g.launch.agent_id)
        if agent is None or agent.erased_at is not None:
            raise UserFacingError(
                404,
                "agent_not_found",
                _("Votre compte n'est plus connu : relancez PACNum depuis la plateforme."),
            )
        items = list_for_agent(session, agent.id)
        course_urls = {}
        for item in items:
            training = item.training
            if (
                item.recommendation.status in ("enrolled", "completed")
                and training.moodle_course_id is not None
            ):
                connection = enrolment.connection_for(session, training, agent)
                if connection is not None:
                    course_urls[item.recommendation.id] = (
                        f"{connection.base_url.rstrip('/')}/course/view.php?id={training.moodle_course_id}"
                    )
        notice = request.args.get("fait")
        notice_title = None
        if notice in NOTICES:
            notice_id = request.args.get("formation", type=int)
            notice_title = next((i.training.title for i in items if i.recommendation.id == notice_id), None)
        return render_template(
            "recommendations/list.html",
            proposed=[i for i in items if i.recommendation.status == "proposed"],
            committed=[
                i
                for i in items
                if i.recommendation.status in ("accepted", "enrolment_pending", "waitlisted", "enrolled")
            ],
            completed=[i for i in items if i.recommendation.status == "completed"],
            set_aside=[i for i in items if i.recommendation.status in ("declined", "not_relevant")],
            course_urls=course_urls,
            notice=notice if notice_title else None,
            notice_title=notice_title,
        )

    def _decide(recommendation_id: int, action: Callable[[], Any]) -> Response:
        session = get_session()
        try:
            rec = action()
        except DecisionError as exc:
            session.rollback()
            raise UserFacingError(exc.status, exc.code, exc.message) from exc
        session.commit()
        notice = {
            "enrolment_pending": "accepte",
            "accepted": "accepte",
            "enrolled": "accepte",
            "waitlisted": "attente",
            "declined": "refuse",
            "not_relevant": "pas_pour_moi",
        }.get(rec.status, "accepte")
        target = access.agent_url("recommendations.index", fait=notice, formation=recommendation_id)
        return redirect(f"{target}#recommandation-{recommendation_id}", code=303)

    def _comment() -> str | None:
        return (request.form.get("commentaire") or "").strip()[: decisions.MAX_FEEDBACK] or None

    @bp.post("/parcours/recommandations/<int:recommendation_id>/accepter")
    @access.require_agent
    def accept(recommendation_id: int) -> Response:
        session = get_session()
        return _decide(
            recommendation_id, lambda: decisions.accept(session, recommendation_id, g.launch.agent_id)
        )

    @bp.post("/parcours/recommandations/<int:recommendation_id>/refuser")
    @access.require_agent
    def decline(recommendation_id: int) -> Response:
        session = get_session()
        return _decide(
            recommendation_id,
            lambda: decisions.decline(session, recommendation_id, g.launch.agent_id, comment=_comment()),
        )

    @bp.post("/parcours/recommandations/<int:recommendation_id>/pas-pour-moi")
    @access.require_agent
    def not_relevant(recommendation_id: int) -> Response:
        session = get_session()
        return _decide(
            recommendation_id,
            lambda: decisions.decline(
                session, recommendation_id, g.launch.agent_id, not_relevant=True, comment=_comment()
            ),
        )

    return bp
