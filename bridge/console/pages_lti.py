"""Console pages for LTI: platforms and their deployments (approve, deactivate), the URLs to paste into an
LMS, one-time registration links (create: shown once; revoke), and the tool's signing keys (rotate)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from bridge.auth.admin_guard import current_principal, require_admin
from bridge.console import operations
from bridge.console.blueprint import bp
from bridge.console.forms import RegistrationLinkForm
from bridge.console.registration_links import links_context
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.core.settings_access import get_settings
from config.crypto import SecretBox
from config.database import utcnow
from lti import registration_links as links
from lti.current import get_runtime
from lti.models import Deployment, Platform

TOOL_PATHS = (
    ("login", "/lti/login"),
    ("launch", "/lti/launch"),
    ("jwks", "/lti/jwks"),
    ("register", "/lti/register"),
)


def _actor() -> str:
    principal = current_principal()
    assert principal is not None  # guarded views only
    return principal.actor


def tool_urls() -> list[tuple[str, str, str]]:
    """(key, label, absolute URL) of the tool's LTI endpoints, built on BRIDGE_BASE_URL."""
    base = get_settings().base_url
    labels = {
        "login": _("URL de connexion (initiation OIDC)"),
        "launch": _("URL de lancement (redirection)"),
        "jwks": _("URL du jeu de clés publiques (JWKS)"),
        "register": _("URL d'enregistrement dynamique sans lien (plateformes autorisées seulement)"),
    }
    return [(key, labels[key], base + path) for key, path in TOOL_PATHS]


def render_platforms(link_form: RegistrationLinkForm) -> str:
    stmt = select(Platform).options(selectinload(Platform.deployments)).order_by(Platform.name, Platform.id)
    rows = list(get_session().scalars(stmt))
    return render_template(
        "admin/platforms.html",
        platforms=rows,
        urls=tool_urls(),
        status=operations.deployment_status,
        **links_context(link_form),
    )


@bp.get("/plateformes")
@require_admin
def platforms() -> str:
    return render_platforms(RegistrationLinkForm())


@bp.post("/plateformes/liens")
@require_admin
def create_registration_link() -> Response | str:
    """Create a one-time registration link; the answer is the only page that ever shows it."""
    form = RegistrationLinkForm()
    if form.validate():
        session = get_session()
        try:
            created = links.create_link(
                session,
                get_runtime(),
                actor=_actor(),
                valid_for=timedelta(hours=int(form.valid_for.data or 0)),
                expected_host=form.expected_host.data or "",
                label=form.label.data or "",
            )
        except links.LinkError as exc:
            session.rollback()
            field = getattr(form, exc.code, form.label)
            field.errors = [*field.errors, exc.message]
        else:
            session.commit()
            page = render_template("admin/registration_link_created.html", created=created)
            response = Response(page, mimetype="text/html")
            response.headers["Cache-Control"] = "no-store"  # shown once: never kept by a cache
            return response
    return render_platforms(form)


@bp.post("/plateformes/liens/<int:link_id>/revoquer")
@require_admin
def revoke_registration_link(link_id: int) -> Response:
    session = get_session()
    try:
        links.revoke_link(session, get_runtime(), link_id, actor=_actor())
    except links.LinkError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(_("Lien d'enregistrement n° %(id)s révoqué : il ne peut plus servir.", id=link_id), "success")
    return redirect(url_for(".platforms", _anchor="liens"))


def _deployment(deployment_id: int) -> Deployment:
    deployment = get_session().get(Deployment, deployment_id)
    if deployment is None:
        raise UserFacingError(404, "deployment_not_found", _("Ce déploiement n'existe pas ou plus."))
    return deployment


@bp.post("/plateformes/deploiements/<int:deployment_id>/approuver")
@require_admin
def approve_deployment(deployment_id: int) -> Response:
    session = get_session()
    deployment = _deployment(deployment_id)
    if operations.approve_deployment(session, deployment, actor=_actor()):
        session.commit()
        text = _(
            "Déploiement « %(id)s » approuvé : les lancements sont acceptés.", id=deployment.deployment_id
        )
        flash(text, "success")
    else:
        flash(_("Le déploiement « %(id)s » était déjà actif.", id=deployment.deployment_id), "info")
    return redirect(url_for(".platforms", _anchor=f"plateforme-{deployment.platform_id}"))


@bp.post("/plateformes/deploiements/<int:deployment_id>/desactiver")
@require_admin
def deactivate_deployment(deployment_id: int) -> Response:
    session = get_session()
    deployment = _deployment(deployment_id)
    if operations.deactivate_deployment(session, deployment, actor=_actor()):
        session.commit()
        text = _(
            "Déploiement « %(id)s » désactivé : les lancements sont refusés.", id=deployment.deployment_id
        )
        flash(text, "success")
    else:
        flash(_("Le déploiement « %(id)s » était déjà inactif.", id=deployment.deployment_id), "info")
    return redirect(url_for(".platforms", _anchor=f"plateforme-{deployment.platform_id}"))


@bp.get("/cles")
@require_admin
def keys() -> str:
    now = utcnow()
    rows = [(key, operations.is_published(key, now)) for key in operations.list_tool_keys(get_session())]
    return render_template("admin/keys.html", keys=rows, jwks_url=get_settings().base_url + "/lti/jwks")


@bp.post("/cles/rotation")
@require_admin
def rotate_key() -> Response:
    session = get_session()
    box = SecretBox(get_settings().encryption_keys())
    key = operations.rotate_tool_key(session, box, actor=_actor())
    session.commit()
    text = _(
        "Nouvelle clé de signature active (%(kid)s). L'ancienne reste publiée 7 jours.", kid=key.kid[:12]
    )
    flash(text, "success")
    return redirect(url_for(".keys"))
