"""Instructors' and administrators' page after a launch (``/equipe``): who they are, the course, and for
administrators the deployments of their platform waiting for approval and the tool's URLs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.agents.models import Agent
from bridge.audit import operations as audit
from bridge.auth.handoff import make_console_handoff
from bridge.auth.launch_session import STAFF_ROLES, agent_url, current_launch, require_role
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from lti import registry
from lti.current import get_runtime
from lti.models import Platform

bp = Blueprint("staff", __name__)


@bp.get("/equipe")
@require_role(*STAFF_ROLES)
def home() -> str:
    launch = current_launch()
    session = get_session()
    agent = session.get(Agent, launch.agent_id)
    platform = session.get(Platform, launch.platform_id)
    pending = registry.pending_deployments(session, launch.platform_id) if launch.is_admin else []
    return render_template(
        "staff/home.html",
        agent=agent,
        launch=launch,
        platform=platform,
        pending=pending,
        urls=get_runtime().urls if launch.is_admin else None,
    )


@bp.post("/equipe/deploiements/<int:deployment_pk>/approuver")
@require_role("administrator")
def approve_deployment(deployment_pk: int) -> Response:
    launch = current_launch()
    session = get_session()
    try:
        deployment = registry.approve_deployment_by_pk(session, deployment_pk, platform_id=launch.platform_id)
    except registry.RegistryError as exc:
        raise UserFacingError(
            404, "unknown_deployment", _("Ce déploiement n'existe pas sur votre plateforme.")
        ) from exc
    audit.record(
        session,
        f"agent:{launch.agent_id}",
        "lti.deployment_approved",
        f"platform:{launch.platform_id}",
        deployment_id=deployment.deployment_id,
    )
    session.commit()
    flash(
        _(
            "Le déploiement %(id)s est approuvé : les lancements depuis celui-ci fonctionnent.",
            id=deployment.deployment_id,
        ),
        "success",
    )
    return redirect(agent_url("staff.home"), code=303)


@bp.get("/equipe/console")
@require_role(*STAFF_ROLES)
def open_console() -> Response:
    """Open the admin console in a first-party window: a one-time hand-off (administrators get full
    access, instructors read the tracker of their course's campaigns)."""
    launch = current_launch()
    token = make_console_handoff(
        launch.agent_id,
        "full" if launch.is_admin else "read",
        launch.platform_id,
        [launch.context_id] if launch.context_id else [],
    )
    return redirect(url_for("admin_auth.enter", jeton=token), code=303)
