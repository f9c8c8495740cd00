"""Friendly error pages (HTML in French/English, JSON for API clients). No stack trace outside development."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from bridge.core import metrics

log = logging.getLogger(__name__)


class UserFacingError(Exception):
    """An error whose message is meant for the person in front of the screen."""

    def __init__(self, status: int, code: str, message: str, *, title: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.title = title


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Requête incorrecte"), _("La demande envoyée n'est pas valide.")),
        401: (_("Authentification nécessaire"), _("Vous devez vous identifier pour accéder à cette page.")),
        403: (_("Accès refusé"), _("Vous n'avez pas les droits nécessaires pour accéder à cette page.")),
        404: (_("Page non trouvée"), _("La page que vous cherchez est introuvable.")),
        405: (_("Méthode non autorisée"), _("Cette page ne peut pas être appelée de cette façon.")),
        409: (_("Conflit"), _("L'opération est en conflit avec l'état actuel des données.")),
        410: (_("Lien périmé"), _("Ce lien n'est plus valable.")),
        413: (_("Fichier trop volumineux"), _("Le fichier envoyé dépasse la taille autorisée.")),
        422: (_("Données invalides"), _("Les données envoyées ne peuvent pas être traitées.")),
        429: (_("Trop de demandes"), _("Vous avez fait trop de demandes. Réessayez dans quelques minutes.")),
        500: (_("Erreur du service"), _("Une erreur inattendue s'est produite. L'équipe a été prévenue.")),
        503: (
            _("Service indisponible"),
            _("Le service est momentanément indisponible. Réessayez plus tard."),
        ),
    }


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/healthz", "/readyz", "/metrics")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(status: int, code: str, message: str | None = None, title: str | None = None) -> Response:
    metrics.count_error(status, code)
    default_title, default_message = _titles().get(status, _titles()[500 if status >= 500 else 400])
    title = title or default_title
    message = message or default_message
    if wants_json():
        response = jsonify({"error": code, "message": message, "status": status})
    else:
        response = Response(
            render_template("errors/error.html", status=status, code=code, title=title, message=message),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def loggable_path() -> str:
    """The request path for the logs, with a secret carried in the path (a view argument named ``token``,
    e.g. a one-time registration link) replaced by the route's placeholder."""
    if request.url_rule is not None and "token" in (request.view_args or {}):
        return request.url_rule.rule
    return request.path


def _handle_user_error(error: UserFacingError) -> Response:
    log.info("refused %s %s: %s (%s)", request.method, loggable_path(), error.code, error.status)
    return render_error(error.status, error.code, error.message, error.title)


def _handle_http(error: HTTPException) -> Response:
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    response = render_error(status, code)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def _handle_unexpected(error: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.error("unexpected error %s on %s %s", incident, request.method, loggable_path(), exc_info=error)
    message = _(
        "Une erreur inattendue s'est produite (incident %(incident)s). L'équipe a été prévenue.",
        incident=incident,
    )
    return render_error(500, "internal_error", message)


def _refuse_nul_characters() -> None:
    """No form, query or URL value of a real user contains a NUL character; PostgreSQL cannot store one
    (it would fail as a 500 deep inside a transaction), so it is refused up front."""
    values = [*request.args.items(multi=True), *request.form.items(multi=True)]
    values += [(k, v) for k, v in (request.view_args or {}).items() if isinstance(v, str)]
    if any("\x00" in key or "\x00" in value for key, value in values):
        raise UserFacingError(
            400, "bad_request.nul_character", _("La demande contient un caractère interdit (caractère nul).")
        )


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.register_error_handler(UserFacingError, _handle_user_error)
    app.register_error_handler(HTTPException, _handle_http)
    if not app.debug:
        app.register_error_handler(Exception, _handle_unexpected)
