"""The agent's self-assessment pages: overview, one question per page, results, history.

These pages live in the LMS iframe: the agent's session is the signed launch token carried in every link
and form (bridge.auth.launch_session), so they work even when the browser blocks third-party cookies.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.assessment import gradebook
from bridge.assessment import operations as ops
from bridge.assessment.errors import InvalidAnswer, NotInProgress, RetakeTooSoon, StaleAnswer
from bridge.assessment.forms import read_response
from bridge.assessment.models import Assessment, ScoreOutbox
from bridge.assessment.presenters import localised, results_view
from bridge.assessment.runtime import AssessmentRuntime
from bridge.auth.launch_session import agent_url, require_agent
from bridge.campaigns.models import Campaign
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.core.settings_access import get_settings
from bridge.recommendations.operations import list_for_agent
from bridge.recommendations.views import reason_text

log = logging.getLogger(__name__)

bp = Blueprint("assessment", __name__, url_prefix="/parcours")

RUNTIME_KEY = "bridge.assessment_runtime"
SCORE_SENDER_KEY = "bridge.score_sender"


def get_runtime() -> AssessmentRuntime:
    runtime: AssessmentRuntime = current_app.extensions[RUNTIME_KEY]
    return runtime


def _locale() -> str:
    return str(get_locale() or "fr")


def _launch_info() -> ops.LaunchInfo:
    launch = g.launch
    return ops.LaunchInfo(
        platform_id=launch.platform_id,
        resource_link_id=launch.resource_link_id,
        lineitem_url=launch.ags_lineitem,
        lineitems_url=launch.ags_lineitems,
    )


def _campaign_id() -> int | None:
    """The campaign the launch belongs to (the activity's ``campaign`` custom parameter)."""
    code = g.launch.campaign
    if not code:
        return None
    return get_session().scalar(select(Campaign.id).where(Campaign.code == code, Campaign.active.is_(True)))


def _own_assessment(assessment_id: int) -> Assessment:
    assessment = get_session().get(Assessment, assessment_id)
    if assessment is None or assessment.agent_id != g.launch.agent_id:
        abort(404)
    return assessment


@bp.get("/evaluation")
@require_agent
def overview() -> str:
    session = get_session()
    agent_id = g.launch.agent_id
    current = ops.in_progress(session, agent_id)
    latest = ops.latest_finished(session, agent_id)
    available_at = None if current else ops.next_start_allowed(session, agent_id, _campaign_id())
    return render_template(
        "assessment/overview.html",
        current=current,
        latest=latest,
        available_at=available_at,
    )


@bp.post("/evaluation/commencer")
@require_agent
def start() -> WerkzeugResponse:
    session = get_session()
    needs = [n for n in request.form.getlist("needs") if n in ("images", "sound")]
    try:
        ops.start_or_resume(
            session,
            get_runtime(),
            g.launch.agent_id,
            campaign_id=_campaign_id(),
            launch=_launch_info(),
            accessibility_needs=needs,
        )
    except RetakeTooSoon as exc:
        raise UserFacingError(
            409,
            exc.code,
            _(
                "Vous avez terminé une évaluation récemment. Vous pourrez en recommencer une à partir du "
                "%(date)s.",
                date=exc.available_at.strftime("%d/%m/%Y"),
            ),
            title=_("Nouvelle évaluation pas encore possible"),
        ) from None
    except NotInProgress:
        raise UserFacingError(
            409,
            "assessment.no_item",
            _("Aucune question n'est disponible pour le moment. Prévenez l'équipe PACNum."),
        ) from None
    session.commit()
    return redirect(agent_url("assessment.question"), code=303)


@bp.route("/evaluation/question", methods=["GET", "POST"])
@require_agent
def question() -> WerkzeugResponse | tuple[str, int] | str:
    session = get_session()
    runtime = get_runtime()
    assessment = ops.in_progress(session, g.launch.agent_id)
    if assessment is None:
        latest = ops.latest_finished(session, g.launch.agent_id)
        target = (
            agent_url("assessment.results", assessment_id=latest.id)
            if latest
            else agent_url("assessment.overview")
        )
        return redirect(target, code=303)
    item = ops.current_item(session, runtime, assessment)
    if item is None:
        abort(409)
    error = None
    if request.method == "POST":
        if request.form.get("item", "") != item.id:
            # A second click, an old tab or a relaunch: that answer was already recorded.
            return redirect(agent_url("assessment.question", deja="1"), code=303)
        try:
            outcome = ops.submit_answer(
                session,
                runtime,
                assessment,
                item.id,
                read_response(item, request.form),
                seconds=_seconds_spent(),
                grade_mode=get_settings().grade_mode,
            )
        except StaleAnswer:
            session.rollback()
            return redirect(agent_url("assessment.question", deja="1"), code=303)
        except InvalidAnswer as exc:
            session.rollback()
            error = exc.user_message or _(
                "Cette réponse ne correspond pas à la question. Rechargez la page et réessayez."
            )
        else:
            session.commit()
            if outcome.finished:
                _deliver_grade_now(assessment.id)
                return redirect(
                    agent_url("assessment.results", assessment_id=assessment.id, fin="1"), code=303
                )
            return redirect(agent_url("assessment.question"), code=303)
    position = len(assessment.responses) + 1
    page = render_template(
        "assessment/question.html",
        assessment=assessment,
        item=item,
        locale=_locale(),
        localised=localised,
        position=position,
        expected_total=ops.expected_length(assessment),
        progress=min(99, round(100 * (position - 1) / ops.expected_length(assessment))),
        error=error,
        already_answered=request.args.get("deja") == "1",
        shown_at=int(time.time()),
        form=request.form if error else None,
    )
    return (page, 422) if error else page


def _deliver_grade_now(assessment_id: int) -> None:
    """Try the gradebook once now; whatever happens the agent goes on to the results (the row stays
    queued for the sync jobs when the LMS cannot take it)."""
    session = get_session()
    row = session.scalar(
        select(ScoreOutbox).where(ScoreOutbox.assessment_id == assessment_id, ScoreOutbox.status == "pending")
    )
    if row is None:
        return
    try:
        gradebook.deliver_now(session, current_app.extensions[SCORE_SENDER_KEY], row, get_settings())
        session.commit()
    except Exception:  # a resilience boundary: the grade must never block the agent
        session.rollback()
        log.exception("grade of assessment %s left in the queue after an unexpected error", assessment_id)


def _seconds_spent() -> int | None:
    raw = request.form.get("shown_at", "")
    if not raw.isdigit():
        return None
    spent = int(time.time()) - int(raw)
    return spent if 0 <= spent < 86400 else None


@bp.get("/resultats/<int:assessment_id>")
@require_agent
def results(assessment_id: int) -> str:
    assessment = _own_assessment(assessment_id)
    if assessment.status != "finished":
        abort(404)
    session = get_session()
    campaign = session.get(Campaign, assessment.campaign_id) if assessment.campaign_id else None
    runtime = get_runtime()
    cap = ops.level_cap_of(campaign)
    loaded = runtime.engine(session, level_cap=cap)
    view = results_view(
        assessment,
        runtime.framework,
        loaded.items,
        _locale(),
        cap,
        campaign.target_profile if campaign else {},
    )
    proposals = [
        item
        for item in list_for_agent(session, g.launch.agent_id)
        if item.recommendation.status == "proposed"
    ]
    return render_template(
        "assessment/results.html",
        proposals=proposals[:3],
        proposal_count=len(proposals),
        reason_text=reason_text,
        assessment=assessment,
        view=view,
        campaign=campaign,
        just_finished=request.args.get("fin") == "1",
        printable=request.args.get("imprimer") == "1",
        available_at=ops.next_start_allowed(session, g.launch.agent_id, assessment.campaign_id),
    )


@bp.get("/historique")
@require_agent
def history() -> str:
    assessments = ops.history(get_session(), g.launch.agent_id)
    return render_template("assessment/history.html", assessments=assessments)
