"""Campaign admin pages (/admin/campagnes, /admin/directions): list, create, edit, deactivate, import a
population. Every write is for administrators and is written to the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from bridge.audit import operations as audit
from bridge.auth.admin_guard import current_principal, require_admin
from bridge.campaigns import operations as ops
from bridge.campaigns.forms import parse_campaign_form
from bridge.campaigns.models import Campaign
from bridge.campaigns.population import import_population
from bridge.campaigns.population_file import PopulationInvalid, parse_population
from bridge.core.db import get_session
from bridge.tracker import stats
from bridge.tracker.framework import framework as load_framework

bp = Blueprint("campaigns_admin", __name__, url_prefix="/admin")

MAX_SHOWN_ERRORS = 200


def _actor() -> str:
    principal = current_principal()
    assert principal is not None  # require_admin ran first
    return principal.actor


def _campaign(code: str) -> Campaign:
    campaign = ops.get_campaign(get_session(), code)
    if campaign is None:
        abort(404)
    return campaign


def _form_context(
    data: ops.CampaignData, errors: dict[str, str], campaign: Campaign | None
) -> dict[str, object]:
    framework = load_framework()
    return {
        "data": data,
        "errors": errors,
        "campaign": campaign,
        "competences": framework.competences,
        "directorates": ops.directorates(get_session()),
    }


@bp.get("/campagnes")
@require_admin
def campaign_list() -> str:
    return render_template("campaigns/list.html", rows=ops.list_campaigns(get_session()))


@bp.route("/campagnes/nouvelle", methods=["GET", "POST"])
@require_admin
def campaign_new() -> tuple[str, int] | Response:
    session = get_session()
    codes = load_framework().competence_codes
    data = ops.CampaignData(code="", name="", target_profile=dict.fromkeys(codes, 3))
    errors: dict[str, str] = {}
    if request.method == "POST":
        known = [d.code for d in ops.directorates(session)]
        data, errors = parse_campaign_form(request.form, codes, known)
        if not errors:
            try:
                campaign = ops.create_campaign(session, data)
            except ops.CampaignError as exc:
                field, _sep, message = str(exc).partition(": ")
                errors[field] = message if field != "code" else _("Ce code est déjà pris.")
            else:
                audit.record(session, _actor(), "campaign.create", campaign.code)
                session.commit()
                flash(_("Campagne « %(name)s » créée.", name=campaign.name), "success")
                return redirect(url_for("campaigns_admin.campaign_population", code=campaign.code))
    status = 422 if errors else 200
    return render_template("campaigns/form.html", **_form_context(data, errors, None)), status


@bp.route("/campagnes/<code>/modifier", methods=["GET", "POST"])
@require_admin
def campaign_edit(code: str) -> tuple[str, int] | Response:
    session = get_session()
    campaign = _campaign(code)
    codes = load_framework().competence_codes
    data = ops.CampaignData.from_campaign(campaign)
    errors: dict[str, str] = {}
    if request.method == "POST":
        known = [d.code for d in ops.directorates(session)]
        data, errors = parse_campaign_form(request.form, codes, known, code=campaign.code)
        if not errors:
            ops.update_campaign(session, campaign, data)
            audit.record(session, _actor(), "campaign.update", campaign.code)
            session.commit()
            flash(_("Campagne « %(name)s » enregistrée.", name=campaign.name), "success")
            return redirect(url_for("campaigns_admin.campaign_list"))
    status = 422 if errors else 200
    return render_template("campaigns/form.html", **_form_context(data, errors, campaign)), status


@bp.post("/campagnes/<code>/activation")
@require_admin
def campaign_activation(code: str) -> Response:
    session = get_session()
    campaign = _campaign(code)
    active = request.form.get("active") == "1"
    ops.set_active(session, campaign, active)
    audit.record(session, _actor(), "campaign.activate" if active else "campaign.deactivate", campaign.code)
    session.commit()
    if active:
        flash(_("Campagne « %(name)s » réactivée.", name=campaign.name), "success")
    else:
        flash(
            _("Campagne « %(name)s » désactivée : les lancements ne l'alimentent plus.", name=campaign.name),
            "info",
        )
    return redirect(url_for("campaigns_admin.campaign_list"))


@bp.route("/campagnes/<code>/population", methods=["GET", "POST"])
@require_admin
def campaign_population(code: str) -> str | tuple[str, int]:
    session = get_session()
    campaign = _campaign(code)
    errors: list[str] = []
    hidden = 0
    summary = None
    if request.method == "POST":
        upload = request.files.get("population")
        dry_run = request.form.get("dry_run") == "1"
        if upload is None or not upload.filename:
            errors = [_("Choisissez un fichier CSV.")]
        else:
            try:
                rows = parse_population(session, upload.read(), campaign)
                summary = import_population(session, campaign, rows, dry_run=dry_run)
            except PopulationInvalid as exc:
                session.rollback()
                errors = [str(e) for e in exc.errors[:MAX_SHOWN_ERRORS]]
                hidden = max(0, len(exc.errors) - MAX_SHOWN_ERRORS)
            else:
                if dry_run:
                    session.rollback()
                else:
                    stats.refresh(session, campaign.id)
                    audit.record(
                        session,
                        _actor(),
                        "campaign.import_population",
                        campaign.code,
                        added=summary.members_added,
                    )
                    session.commit()
        if errors:
            return render_template(
                "campaigns/population.html", campaign=campaign, errors=errors, hidden=hidden, summary=None
            ), 422
    return render_template(
        "campaigns/population.html", campaign=campaign, errors=errors, hidden=hidden, summary=summary
    )


@bp.route("/directions", methods=["GET", "POST"])
@require_admin
def directorates() -> str | tuple[str, int] | Response:
    session = get_session()
    error: tuple[str, str] | None = None
    values = {"code": "", "name": ""}
    if request.method == "POST":
        values = {"code": request.form.get("code", ""), "name": request.form.get("name", "")}
        try:
            directorate = ops.add_directorate(session, values["code"], values["name"])
        except ops.CampaignError as exc:
            field, _sep, _message = str(exc).partition(": ")
            messages = {
                "code": _("Code : 2 à 50 lettres, chiffres, « - » ou « _ », non déjà utilisé."),
                "name": _("Donnez le nom de la direction."),
            }
            error = (field, messages.get(field, str(exc)))
        else:
            audit.record(session, _actor(), "directorate.create", directorate.code)
            session.commit()
            flash(_("Direction %(code)s ajoutée.", code=directorate.code), "success")
            return redirect(url_for("campaigns_admin.directorates"))
    page = render_template(
        "campaigns/directorates.html", directorates=ops.directorates(session), error=error, values=values
    )
    return (page, 422) if error else page
