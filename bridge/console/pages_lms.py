"""Console page of the Moodle web-service connections: what is configured, and a connection test."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.auth.admin_guard import current_principal, require_admin
from bridge.console.blueprint import bp
from bridge.console.connections import ConnectionTestResult, check_lms_connection, list_connections
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.core.settings_access import get_settings
from config.crypto import SecretBox
from sync.models import LmsConnection


@bp.get("/connexions-moodle")
@require_admin
def connections() -> str:
    return render_template("admin/connections.html", connections=list_connections(get_session()))


@bp.post("/connexions-moodle/<int:connection_id>/test")
@require_admin
def test_connection(connection_id: int) -> Response:
    session = get_session()
    connection = session.get(LmsConnection, connection_id)
    if connection is None:
        raise UserFacingError(404, "connection_not_found", _("Cette connexion Moodle n'existe pas ou plus."))
    principal = current_principal()
    assert principal is not None
    box = SecretBox(get_settings().encryption_keys())
    result = check_lms_connection(session, connection, box, actor=principal.actor)
    session.commit()
    category, message = _outcome_message(result, connection)
    flash(message, category)
    return redirect(url_for(".connections", _anchor=f"connexion-{connection.id}"))


def _outcome_message(result: ConnectionTestResult, connection: LmsConnection) -> tuple[str, str]:
    name = connection.name or connection.base_url
    if result.reached:
        intro = _("Connexion à %(name)s réussie : Moodle %(release)s.", name=name, release=result.release)
        if not result.missing_functions:
            return "success", f"{intro} {_('Toutes les fonctions nécessaires sont autorisées.')}"
        missing = ", ".join(result.missing_functions)
        text = _(
            "Fonctions absentes du service web, à ajouter dans Moodle (Administration du site > Serveur > "
            "Services web > Services externes) : %(functions)s.",
            functions=missing,
        )
        return "warning", f"{intro} {text}"
    texts = {
        "invalid_token": _(
            "Moodle refuse le jeton du service web (jeton invalide, expiré ou révoqué). Créez un nouveau "
            "jeton dans Moodle puis enregistrez-le."
        ),
        "webservices_disabled": _(
            "Les services web ou le protocole REST sont désactivés sur ce Moodle, ou l'accès est refusé."
        ),
        "access_denied": _(
            "Moodle refuse l'accès : l'utilisateur du jeton n'a pas les droits nécessaires (code %(code)s).",
            code=result.moodle_code or "?",
        ),
        "maintenance": _("Ce Moodle est en maintenance. Réessayez quand la maintenance sera terminée."),
        "timeout": _("Moodle n'a pas répondu à temps. Réessayez dans quelques minutes."),
        "unreachable": _(
            "Moodle est injoignable à l'adresse %(url)s : vérifiez l'adresse et le réseau.",
            url=connection.base_url,
        ),
        "server_error": _("Moodle a répondu par une erreur du serveur. Réessayez dans quelques minutes."),
        "protocol": _("La réponse de Moodle n'a pas la forme attendue : est-ce bien l'adresse d'un Moodle ?"),
        "undecryptable": _(
            "Le jeton enregistré ne peut pas être déchiffré : la clé BRIDGE_ENCRYPTION_KEY a-t-elle changé "
            "sans garder l'ancienne ?"
        ),
        "no_token": _("Aucun jeton de service web n'est enregistré pour cette connexion."),
    }
    fallback = _("Moodle a refusé la demande (code %(code)s).", code=result.moodle_code or "?")
    failure = _("Échec du test de %(name)s.", name=name)
    return "error", f"{failure} {texts.get(result.error or '', fallback)}"
