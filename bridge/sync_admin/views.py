"""/admin/synchronisation: LMS connections, runs (and the one in progress), triggers, outbox failures and
the AGS retry queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.auth.admin_guard import require_admin
from bridge.core.db import get_session
from bridge.core.errors import UserFacingError
from bridge.sync_admin import operations
from sync import connections, locks, runner
from sync.cli import get_services
from sync.models import LmsConnection
from sync.moodle.errors import MoodleError

bp = Blueprint("sync_admin", __name__, url_prefix="/admin/synchronisation")


def _job_labels() -> dict[str, str]:
    return {
        "match": _("Rapprochement des comptes Moodle"),
        "push": _("Inscriptions dans Moodle"),
        "pull": _("Achèvements des formations"),
        "grades": _("Envoi des notes (AGS)"),
        "stats": _("Statistiques du suivi des campagnes"),
    }


def _status_labels() -> dict[str, str]:
    return {
        "running": _("En cours"),
        "ok": _("Réussie"),
        "partial": _("Partielle"),
        "failed": _("Échouée"),
        "interrupted": _("Interrompue"),
        "pending": _("En attente"),
        "sending": _("Envoi en cours"),
        "done": _("Faite"),
        "skipped": _("Ignorée"),
        "sent": _("Envoyée"),
    }


def _actor() -> str:
    return f"admin:{session.get('admin_user_id')}"


@bp.get("")
@require_admin
def index() -> str:
    return render_template(
        "sync_admin/index.html",
        board=operations.dashboard(get_session()),
        jobs=_job_labels(),
        statuses=_status_labels(),
    )


@bp.post("/connexions/<int:connection_id>/tester")
@require_admin
def test_connection(connection_id: int) -> Response:
    db = get_session()
    connection = db.get(LmsConnection, connection_id)
    if connection is None:
        raise UserFacingError(404, "unknown_connection", _("Cette connexion Moodle n'existe pas."))
    try:
        report = connections.check(db, get_services(), connection)
    except MoodleError as exc:
        db.rollback()
        flash(_("Moodle a refusé la connexion : %(error)s", error=str(exc)), "error")
        return redirect(url_for(".index"))
    db.commit()
    if report.missing_functions:
        flash(
            _(
                "Moodle %(release)s répond, mais il manque %(count)s fonction(s) au service web : %(names)s.",
                release=report.release,
                count=len(report.missing_functions),
                names=", ".join(sorted(report.missing_functions)),
            ),
            "warning",
        )
    else:
        flash(
            _(
                "Connexion réussie : Moodle %(release)s, toutes les fonctions sont disponibles.",
                release=report.release,
            ),
            "success",
        )
    return redirect(url_for(".index"))


@bp.post("/lancer")
@require_admin
def trigger() -> Response:
    job = request.form.get("job", "")
    labels = _job_labels()
    if job not in runner.JOBS:
        raise UserFacingError(400, "unknown_job", _("Choisissez une tâche dans la liste."))
    try:
        operations.start_run(get_services(), job)
    except locks.LockBusyError:
        flash(
            _("« %(job)s » est déjà en cours : attendez la fin de cette exécution.", job=labels[job]),
            "warning",
        )
        return redirect(url_for(".index"))
    flash(
        _("« %(job)s » a démarré. Actualisez la page pour suivre son avancement.", job=labels[job]),
        "success",
    )
    return redirect(url_for(".index"))


@bp.post("/file/<int:row_id>/relancer")
@require_admin
def retry_outbox(row_id: int) -> Response:
    db = get_session()
    if not operations.retry_outbox_row(db, row_id, _actor()):
        raise UserFacingError(
            409, "not_retryable", _("Cette opération n'est pas en échec : rien à relancer.")
        )
    db.commit()
    flash(_("L'inscription sera renvoyée à la prochaine exécution des inscriptions."), "success")
    return redirect(url_for(".index") + "#file")


@bp.post("/notes/<int:score_id>/relancer")
@require_admin
def retry_score(score_id: int) -> Response:
    db = get_session()
    if not operations.retry_score(db, score_id, _actor()):
        raise UserFacingError(409, "not_retryable", _("Cette note a déjà été envoyée : rien à relancer."))
    db.commit()
    flash(_("La note sera renvoyée à la prochaine exécution de l'envoi des notes."), "success")
    return redirect(url_for(".index") + "#notes")
