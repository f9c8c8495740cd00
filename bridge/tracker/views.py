"""The tracker pages (/admin/campagnes/suivi, /admin/campagnes/<code>/suivi) and the exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from bridge.audit import operations as audit
from bridge.auth.admin_guard import can_read_campaign, current_principal, require_admin, require_console
from bridge.campaigns import operations as ops
from bridge.campaigns.models import Campaign
from bridge.core.db import get_database, get_session
from bridge.core.errors import UserFacingError
from bridge.tracker import charts, export, queries, stats
from bridge.tracker.filters import FilterError, Filters, parse_filters
from bridge.tracker.framework import framework as load_framework
from bridge.tracker.steps import STEP_NAMES

bp = Blueprint("tracker", __name__, url_prefix="/admin/campagnes")


def step_labels() -> dict[str, str]:
    return {
        "targeted": _("Ciblés"),
        "launched": _("Ont lancé"),
        "assessed": _("Évaluation terminée"),
        "accepted": _("Formation acceptée"),
        "enrolled": _("Inscrits"),
        "completed": _("Formation terminée"),
    }


def _filters() -> Filters:
    try:
        return parse_filters(request.args)
    except FilterError as exc:
        raise UserFacingError(
            400,
            "invalid_filter",
            _("Filtre invalide (%(field)s) : %(message)s", field=exc.field, message=exc.message),
        ) from exc


def _period(first_day: date | None) -> str:
    asked = request.args.get("period", "")
    if asked in ("day", "week"):
        return asked
    return "week" if first_day is None or date.today() - first_day > timedelta(days=60) else "day"


def _is_admin() -> bool:
    principal = current_principal()
    return principal is not None and principal.role == "full"


def readable_campaign(code: str) -> Campaign:
    campaign = ops.get_campaign(get_session(), code)
    if campaign is None:
        abort(404)
    if not can_read_campaign(campaign):
        abort(403)
    return campaign


def _sections(
    campaign_ids: Sequence[int] | None, filters: Filters, level_cap: int, first_day: date | None
) -> dict[str, Any]:
    """Progress, levels and before/after with their charts (shared by both pages)."""
    session = get_session()
    framework = load_framework()
    codes = framework.competence_codes
    english = str(get_locale()) == "en"
    titles = {c.code: c.en if english else c.fr for c in framework.competences}
    labels = step_labels()
    period = _period(first_day)
    points = queries.progress(session, campaign_ids, filters, period)
    line = charts.line_chart(
        [p.day for p in points],
        [(name, labels[name], [p.counts[name] for p in points]) for name in STEP_NAMES],
    )
    if stats.ensure_fresh(session, campaign_ids):
        session.commit()
    distribution = stats.levels(session, campaign_ids, filters, codes, level_cap)
    gains = stats.before_after(session, campaign_ids, filters, codes)
    return {
        "period": period,
        "points": points,
        "line_chart": line,
        "distribution": distribution,
        "stacked_chart": charts.stacked_levels(distribution.counts, titles, level_cap),
        "gains": gains,
        "dumbbell_chart": charts.dumbbell_chart(
            [(r.competence, titles[r.competence], r.mean_before, r.mean_after) for r in gains.rows], level_cap
        ),
        "titles": titles,
        "refreshed_at": stats.refreshed_at(session, campaign_ids),
    }


def _funnel_chart(funnel: queries.Funnel) -> charts.BarChart:
    labels = step_labels()
    total = funnel.total
    items = []
    for name in STEP_NAMES:
        share = total.share(name)
        text = f"{total.counts[name]:,}".replace(",", "\u202f")
        if share is not None and name != "targeted":
            text += f" ({share:.0%})"
        items.append((labels[name], total.counts[name], text))
    return charts.bar_chart(items)


@bp.get("/<code>/suivi")
@require_console
def campaign(code: str) -> str:
    campaign = readable_campaign(code)
    session = get_session()
    filters = _filters()
    group = "unit" if filters.directorate else "directorate"
    funnel = queries.funnel(session, [campaign.id], filters, group)
    context = _sections([campaign.id], filters, campaign.level_cap, campaign.starts_on)
    return render_template(
        "tracker/campaign.html",
        campaign=campaign,
        filters=filters,
        funnel=funnel,
        funnel_chart=_funnel_chart(funnel),
        steps=step_labels(),
        directorates=ops.directorates(session),
        units=queries.units_of(session, [campaign.id], filters.directorate),
        can_refresh=_is_admin(),
        **context,
    )


@bp.get("/suivi")
@require_console
def overview() -> str:
    session = get_session()
    campaigns = [row for row in ops.list_campaigns(session) if can_read_campaign(row.campaign)]
    if not campaigns and not _is_admin():
        abort(403)
    filters = _filters()
    ids = None if _is_admin() else [row.campaign.id for row in campaigns]
    if stats.ensure_fresh(session, ids):
        session.commit()
    by_campaign = queries.funnel_from_rollup(session, ids, filters, "campaign")
    by_directorate = queries.funnel_from_rollup(session, ids, filters, "directorate")
    cap = max((row.campaign.level_cap for row in campaigns), default=5)
    first_day = min((row.campaign.starts_on for row in campaigns if row.campaign.starts_on), default=None)
    context = _sections(ids, filters, cap, first_day)
    return render_template(
        "tracker/overview.html",
        campaigns={row.campaign.id: row.campaign for row in campaigns},
        filters=filters,
        by_campaign=by_campaign,
        by_directorate=by_directorate,
        funnel_chart=_funnel_chart(by_directorate),
        steps=step_labels(),
        directorates=ops.directorates(session),
        **context,
    )


@bp.post("/<code>/suivi/recalculer")
@require_admin
def refresh(code: str) -> BaseResponse:
    campaign = readable_campaign(code)
    session = get_session()
    seconds = stats.refresh(session, campaign.id)
    principal = current_principal()
    audit.record(
        session, principal.actor if principal else "unknown", "campaign.refresh_stats", campaign.code
    )
    session.commit()
    flash(_("Statistiques recalculées (%(seconds).1f s).", seconds=seconds), "success")
    params: dict[str, Any] = {"code": campaign.code, **_filters().as_params()}
    return redirect(url_for("tracker.campaign", **params))


def _layout() -> export.Layout:
    return export.Layout(load_framework().competence_codes, include_email=_is_admin())


def _streamed(write: Callable[[Session], Iterator[bytes]]) -> Iterator[bytes]:
    """The body of a download, read with its own session: the request's session is closed when the
    view returns, before the first byte is sent."""
    database = get_database()

    def body() -> Iterator[bytes]:
        session = database.sessionmaker()
        try:
            yield from write(session)
        finally:
            session.rollback()
            session.close()

    return body()


def _attachment(response: Response, stem: str, extension: str) -> Response:
    name = f"pacnum-{stem}-{date.today().isoformat()}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(campaign_ids: list[int] | None, stem: str, extension: str) -> Response:
    filters = _filters()
    layout = _layout()
    if extension == "csv":
        delimiter = "," if request.args.get("sep") == "comma" else ";"
        body = _streamed(lambda s: export.stream_csv(s, campaign_ids, filters, layout, delimiter=delimiter))
        return _attachment(Response(body, mimetype="text/csv"), stem, "csv")
    body = _streamed(lambda s: export.stream_xlsx(s, campaign_ids, filters, layout, stem))
    return _attachment(Response(body, mimetype=XLSX), stem, "xlsx")


@bp.get("/<code>/export.<any(csv, xlsx):extension>")
@require_console
def export_campaign(code: str, extension: str) -> Response:
    campaign = readable_campaign(code)
    return _export([campaign.id], campaign.code, extension)


@bp.get("/export.<any(csv, xlsx):extension>")
@require_console
def export_all(extension: str) -> Response:
    """Every campaign the user may read, in one file (the programme view)."""
    session = get_session()
    if _is_admin():
        return _export(None, "toutes-campagnes", extension)
    ids = [row.campaign.id for row in ops.list_campaigns(session) if can_read_campaign(row.campaign)]
    if not ids:
        abort(403)
    return _export(ids, "toutes-campagnes", extension)
