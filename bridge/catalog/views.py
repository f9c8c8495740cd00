"""Administration of the training catalogue: list and filters, edit, (de)activate, import, export."""

from __future__ import annotations

import logging
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from bridge.audit import operations as audit
from bridge.auth.admin_guard import current_principal, require_admin
from bridge.catalog import operations
from bridge.catalog.competences import competences
from bridge.catalog.display import local_datetime
from bridge.catalog.formats import CatalogFileError, detect_format, read_catalogue, write_csv, write_yaml
from bridge.catalog.forms import ImportForm, TrainingForm, modality_label, theme_label
from bridge.catalog.importer import export_rows, import_catalogue
from bridge.catalog.lms_check import LmsCheckUnavailableError, client_factory
from bridge.catalog.models import MODALITIES, Training
from bridge.catalog.operations import CatalogValidationError, TrainingFilter, TrainingNotFoundError
from bridge.core.db import get_session
from bridge.core.settings_access import get_settings
from config.crypto import SecretBox
from sync.models import LmsConnection

log = logging.getLogger(__name__)


def _actor() -> str:
    principal = current_principal()
    return principal.actor if principal is not None else "anonymous"


bp = Blueprint("catalog_admin", __name__, url_prefix="/admin/catalogue")


@bp.context_processor
def _labels() -> dict[str, object]:
    return {
        "modality_label": modality_label,
        "theme_label": theme_label,
        "competence_titles": competences(),
        "local_datetime": local_datetime,
    }


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _connections() -> list[tuple[int, str]]:
    rows = get_session().scalars(select(LmsConnection).order_by(LmsConnection.id))
    return [(c.id, c.name or c.base_url) for c in rows]


def _training(training_id: int) -> Training:
    try:
        return operations.get_training(get_session(), training_id)
    except TrainingNotFoundError:
        abort(404)


@bp.get("/")
@require_admin
def index() -> str:
    competence = request.args.get("competence") or None
    modality = request.args.get("modality") or None
    active_arg = request.args.get("active", "")
    if competence not in (None, *competences()) or modality not in (None, *MODALITIES):
        abort(400)
    active = {"1": True, "0": False}.get(active_arg)
    text = (request.args.get("q") or "").strip()[:100] or None
    flt = TrainingFilter(competence=competence, modality=modality, active=active, text=text)
    trainings = operations.list_trainings(get_session(), flt)
    return render_template(
        "catalog/admin_list.html", trainings=trainings, flt=flt, active_arg=active_arg, modalities=MODALITIES
    )


def _edit(training: Training | None) -> str | BaseResponse:
    session = get_session()
    form = TrainingForm()
    zone = _zone()
    if training is not None and request.method == "GET":
        form.fill(operations.to_data(training), zone)
    form.prepare(_connections())
    if form.validate_on_submit():
        data = form.to_data(zone)
        try:
            if training is None:
                training = operations.create_training(session, data)
                action = "catalog.training_created"
            else:
                operations.update_training(session, training, data)
                action = "catalog.training_updated"
        except CatalogValidationError as exc:
            form.attach(exc.errors)
        else:
            audit.record(session, _actor(), action, f"training:{training.code}")
            session.commit()
            flash(_("La formation « %(title)s » est enregistrée.", title=training.title), "success")
            return redirect(url_for(".index"))
    status = 422 if request.method == "POST" else 200
    return render_template("catalog/admin_edit.html", form=form, training=training), status  # type: ignore[return-value]


@bp.route("/nouvelle", methods=["GET", "POST"])
@require_admin
def create() -> str | BaseResponse:
    return _edit(None)


@bp.route("/<int:training_id>/modifier", methods=["GET", "POST"])
@require_admin
def edit(training_id: int) -> str | BaseResponse:
    return _edit(_training(training_id))


@bp.post("/<int:training_id>/activation")
@require_admin
def set_active(training_id: int) -> BaseResponse:
    from_form = request.form.get("active")
    if from_form not in ("0", "1"):
        abort(400)
    session = get_session()
    training = _training(training_id)
    operations.set_active(session, training, from_form == "1")
    action = "catalog.training_reactivated" if training.active else "catalog.training_deactivated"
    audit.record(session, _actor(), action, f"training:{training.code}")
    session.commit()
    if training.active:
        flash(_("« %(title)s » est de nouveau proposée aux agents.", title=training.title), "success")
    else:
        flash(_("« %(title)s » n'est plus proposée aux agents.", title=training.title), "success")
    keep = {k: v for k, v in request.args.items() if k in ("competence", "modality", "active", "q")}
    return redirect(url_for(".index") + (f"?{urlencode(keep)}" if keep else ""))


@bp.route("/import", methods=["GET", "POST"])
@require_admin
def import_file() -> str | BaseResponse:
    form = ImportForm()
    problems: list[str] = []
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        session = get_session()
        try:
            text = upload.read().decode("utf-8-sig")
            entries = read_catalogue(text, detect_format(upload.filename or ""), _zone())
            lms = client_factory(SecretBox(get_settings().encryption_keys())) if form.check_lms.data else None
            report = import_catalogue(session, entries, dry_run=bool(form.dry_run.data), lms_client=lms)
        except UnicodeDecodeError:
            problems.append(_("Le fichier n'est pas en UTF-8 : enregistrez-le en UTF-8 puis réessayez."))
        except (CatalogFileError, LmsCheckUnavailableError) as exc:
            problems.append(str(exc))
        if report is not None and report.ok and not report.dry_run:
            audit.record(
                session,
                _actor(),
                "catalog.imported",
                upload.filename or "",
                created=len(report.created),
                updated=len(report.updated),
            )
            session.commit()
            flash(report.summary(), "success")
            return redirect(url_for(".index"))
        session.rollback()
        if report is not None:
            problems.extend(str(problem) for problem in report.errors)
    status = 422 if problems or (request.method == "POST" and form.errors) else 200
    return render_template("catalog/admin_import.html", form=form, problems=problems, report=report), status  # type: ignore[return-value]


@bp.get("/export.<fmt>")
@require_admin
def export(fmt: str) -> Response:
    if fmt not in ("csv", "yaml"):
        abort(404)
    rows = export_rows(get_session())
    if fmt == "csv":
        body, mimetype = write_csv(rows, _zone()), "text/csv; charset=utf-8"
    else:
        body, mimetype = write_yaml(rows, _zone()), "application/yaml; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="catalogue.{fmt}"'
    return response
