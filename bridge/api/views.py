"""/api/v1: read-only JSON for BI tools. ``Authorization: Bearer <token>``; documented in docs/api.md
and described by /api/v1/openapi.json. Agents are pseudonymous (a keyed hash of their id)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from bridge.api import tokens
from bridge.api.models import ApiToken
from bridge.api.openapi import openapi_document
from bridge.campaigns import operations as ops
from bridge.campaigns.models import Campaign
from bridge.core.db import get_session
from bridge.core.settings_access import get_settings
from bridge.tracker import export, queries, stats
from bridge.tracker.filters import FilterError, Filters, parse_filters
from bridge.tracker.framework import framework as load_framework
from bridge.tracker.steps import STEP_NAMES

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def _api_error(error: ApiError) -> Response:
    response = jsonify({"error": error.code, "message": error.message, "status": error.status})
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="pacnum-bridge"'
    return response


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, clear = header.partition(" ")
    if scheme.lower() != "bearer" or not clear.strip():
        raise ApiError(401, "missing_token", "send the header 'Authorization: Bearer <token>'")
    token = tokens.authenticate(get_session(), clear.strip())
    if token is None:
        raise ApiError(401, "invalid_token", "the token is unknown or revoked")
    g.api_token = token
    request.personal_data = True  # type: ignore[attr-defined]
    return None


def _token() -> ApiToken:
    token: ApiToken = g.api_token
    return token


def _campaign(code: str) -> Campaign:
    token = _token()
    campaign = ops.get_campaign(get_session(), code)
    if token.campaign_id is not None and (campaign is None or campaign.id != token.campaign_id):
        raise ApiError(403, "out_of_scope", "this token may only read its own campaign")
    if campaign is None:
        raise ApiError(404, "unknown_campaign", f"no campaign with code {code!r}")
    return campaign


def _filters() -> Filters:
    try:
        return parse_filters(request.args)
    except FilterError as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from exc


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _campaign_json(campaign: Campaign, members: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": campaign.code,
        "name": campaign.name,
        "directorate": campaign.directorate_code,
        "wave": campaign.wave,
        "starts_on": _iso(campaign.starts_on),
        "ends_on": _iso(campaign.ends_on),
        "active": campaign.active,
        "level_cap": campaign.level_cap,
        "target_profile": campaign.target_profile or {},
    }
    if members is not None:
        data["members"] = members
    return data


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/campaigns")
def campaigns() -> Response:
    token = _token()
    rows = [r for r in ops.list_campaigns(get_session()) if token.campaign_id in (None, r.campaign.id)]
    return jsonify({"data": [_campaign_json(r.campaign, r.members) for r in rows]})


@bp.get("/campaigns/<code>/funnel")
def funnel(code: str) -> Response:
    campaign = _campaign(code)
    filters = _filters()
    group = request.args.get("group", "directorate")
    if group not in ("directorate", "unit", "none"):
        raise ApiError(400, "invalid_parameter", "group: one of directorate, unit, none")
    result = queries.funnel(get_session(), [campaign.id], filters, None if group == "none" else group)
    names = ("directorate", "unit")
    return jsonify(
        {
            "campaign": campaign.code,
            "filters": filters.as_params(),
            "steps": list(STEP_NAMES),
            "total": result.total.counts,
            "groups": [
                {**dict(zip(names, row.key, strict=False)), "counts": row.counts} for row in result.rows
            ],
        }
    )


@bp.get("/campaigns/<code>/progress")
def progress(code: str) -> Response:
    campaign = _campaign(code)
    filters = _filters()
    period = request.args.get("period", "week")
    if period not in ("day", "week"):
        raise ApiError(400, "invalid_parameter", "period: day or week")
    points = queries.progress(get_session(), [campaign.id], filters, period)
    return jsonify(
        {
            "campaign": campaign.code,
            "period": period,
            "data": [{"date": p.day.isoformat(), "counts": p.counts} for p in points],
        }
    )


def _titles() -> dict[str, dict[str, str]]:
    return {c.code: {"fr": c.fr, "en": c.en} for c in load_framework().competences}


def _stats_meta(campaign: Campaign) -> dict[str, Any]:
    session = get_session()
    if stats.ensure_fresh(session, [campaign.id]):
        session.commit()
    return {"computed_at": _iso(stats.refreshed_at(session, [campaign.id]))}


@bp.get("/campaigns/<code>/levels")
def levels(code: str) -> Response:
    campaign = _campaign(code)
    filters = _filters()
    meta = _stats_meta(campaign)
    codes = load_framework().competence_codes
    result = stats.levels(get_session(), [campaign.id], filters, codes, campaign.level_cap)
    titles = _titles()
    return jsonify(
        {
            "campaign": campaign.code,
            **meta,
            "level_cap": result.level_cap,
            "assessed": result.assessed,
            "competences": [{"code": c, "title": titles[c], "counts": result.counts[c]} for c in codes],
        }
    )


@bp.get("/campaigns/<code>/before-after")
def before_after(code: str) -> Response:
    campaign = _campaign(code)
    filters = _filters()
    meta = _stats_meta(campaign)
    codes = load_framework().competence_codes
    result = stats.before_after(get_session(), [campaign.id], filters, codes)
    titles = _titles()
    return jsonify(
        {
            "campaign": campaign.code,
            **meta,
            "agents": result.agents,
            "competences": [
                {
                    "code": r.competence,
                    "title": titles[r.competence],
                    "agents": r.agents,
                    "mean_before": round(r.mean_before, 3),
                    "mean_after": round(r.mean_after, 3),
                    "delta": round(r.delta, 3),
                    "improved": r.improved,
                    "declined": r.declined,
                    "improved_share": round(r.improved_share, 4),
                }
                for r in result.rows
            ],
        }
    )


def pseudonym(agent_id: int) -> str:
    """A stable, non-reversible agent reference (HMAC of the id with the service's secret key)."""
    key = get_settings().secret_key_value().encode("utf-8")
    return hmac.new(key, f"agent:{agent_id}".encode(), hashlib.sha256).hexdigest()[:24]


def _cursor(member_id: int) -> str:
    return base64.urlsafe_b64encode(f"m{member_id}".encode()).decode().rstrip("=")


def _after(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        if not decoded.startswith("m"):
            raise ValueError(decoded)
        return int(decoded[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_parameter", "cursor: use the next_cursor of the previous page") from exc


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "invalid_parameter", f"limit: a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


@bp.get("/campaigns/<code>/agents")
def agents(code: str) -> Response:
    campaign = _campaign(code)
    filters = _filters()
    limit = _limit()
    after = _after(request.args.get("cursor"))
    records = export.page(get_session(), [campaign.id], filters, after, limit + 1)
    more = len(records) > limit
    records = records[:limit]
    data = [
        {
            "agent": pseudonym(r.agent_id),
            "directorate": r.directorate,
            "unit": r.unit,
            **{name: _iso(r.dates[name]) for name in export.DATE_FIELDS},
            "levels": r.latest or None,
            "first_levels": r.first or None,
            "recommendations": r.recommendations,
        }
        for r in records
    ]
    next_cursor = _cursor(records[-1].member_id) if more and records else None
    return jsonify({"campaign": campaign.code, "data": data, "next_cursor": next_cursor, "limit": limit})
