"""Console sign-in: the login page, logout, and the entry point of LTI hand-offs."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.audit.operations import record
from bridge.auth.admin_guard import current_principal, password_stamp
from bridge.auth.forms import LoginForm
from bridge.auth.handoff import HandoffRefused, redeem_console_handoff
from bridge.auth.operations import authenticate
from bridge.auth.principal import rotate_session, start_local_session, start_lti_session
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.core.settings_access import get_settings

log = logging.getLogger(__name__)

bp = Blueprint("admin_auth", __name__, url_prefix="/admin")
CONSOLE_HOME = "console.home"


def _safe_return(target: str | None) -> str:
    """Only paths of the console itself, never another site (open redirect)."""
    if target and target.startswith("/admin/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for(CONSOLE_HOME)


def _client_ip() -> str:
    return request.remote_addr or ""


@bp.route("/connexion", methods=["GET", "POST"])
def login() -> Response | str:
    principal = current_principal()
    if request.method == "GET" and principal is not None and principal.may_enter_console:
        return redirect(_safe_return(request.args.get("suivant")))
    form = LoginForm()
    refused = False
    if form.validate_on_submit():
        settings = get_settings()
        session = get_session()
        outcome = authenticate(
            session,
            form.username.data or "",
            form.password.data or "",
            threshold=settings.admin_lockout_threshold,
            lock_minutes=settings.admin_lockout_minutes,
            ip=_client_ip(),
        )
        session.commit()
        if outcome.ok and outcome.user is not None:
            start_local_session(outcome.user.id, password_stamp(outcome.user))
            return redirect(_safe_return(request.args.get("suivant")))
        refused = True
    return render_template("admin/login.html", form=form, refused=refused)


@bp.post("/deconnexion")
def logout() -> Response:
    principal = current_principal()
    if principal is not None:
        session = get_session()
        record(session, principal.actor, "admin.logout", principal.actor, ip=_client_ip())
        session.commit()
    rotate_session()
    flash(_("Vous êtes déconnecté de la console d'administration."), "success")
    return redirect(url_for(".login"))


@bp.get("/entree")
def enter() -> Response:
    """Exchange a one-time hand-off token (from an LTI launch) for a console session."""
    session = get_session()
    try:
        handoff = redeem_console_handoff(session, request.args.get("jeton", ""))
    except HandoffRefused as exc:
        record(session, "anonymous", "console.handoff_refused", "", reason=exc.reason, ip=_client_ip())
        session.commit()
        raise _refusal(exc) from None
    start_lti_session(
        agent_id=handoff.agent_id,
        platform_id=handoff.platform_id,
        role=handoff.role,
        display_name=handoff.display_name,
        context_ids=handoff.context_ids,
    )
    actor = f"lti:{handoff.platform_id}:{handoff.agent_id}"
    record(
        session, actor, "console.handoff", f"platform:{handoff.platform_id}", role=handoff.role,
        contexts=sorted(handoff.context_ids), ip=_client_ip(),
    )  # fmt: skip
    session.commit()
    return redirect(url_for(CONSOLE_HOME))


def _refusal(exc: HandoffRefused) -> UserFacingError:
    again = _("Ouvrez à nouveau la console depuis l'activité PACNum de votre plateforme de formation.")
    if exc.reason == "expired":
        text = _("Ce lien d'accès à la console a expiré : il n'est valable que deux minutes.")
        return UserFacingError(403, "handoff_expired", f"{text} {again}")
    if exc.reason == "replayed":
        text = _("Ce lien d'accès à la console a déjà été utilisé : chaque lien ne sert qu'une fois.")
        return UserFacingError(403, "handoff_used", f"{text} {again}")
    if exc.reason in ("platform_inactive", "unknown_agent"):
        text = _("Votre plateforme de formation ou votre compte n'est plus autorisé à accéder à la console.")
        return UserFacingError(403, "handoff_refused", text)
    text = _("Ce lien d'accès à la console n'est pas valide.")
    return UserFacingError(400, "handoff_invalid", f"{text} {again}")
