"""Home page, language switch, health and readiness checks, DSFR assets."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from bridge.core.db import get_database
from config.migrate import is_at_head

log = logging.getLogger(__name__)

bp = Blueprint("core", __name__)


@bp.get("/")
def home() -> str:
    return render_template("core/home.html")


@bp.get("/langue/<lang>")
def switch_language(lang: str) -> Response:
    """Switch language and go back to where the user was (same-site paths only)."""
    if lang not in ("fr", "en"):
        abort(404)
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.home")
    separator = "&" if "?" in target else "?"
    return redirect(f"{target}{separator}lang={lang}")


@bp.get("/healthz")
def healthz() -> dict[str, Any]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Readiness: the database answers and its schema is at the latest migration."""
    database = get_database()
    checks: dict[str, Any] = {}
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        checks["database"] = "unreachable"
        return {"status": "unavailable", "checks": checks}, 503
    try:
        at_head = is_at_head(database.engine, database.url)
    except SQLAlchemyError:
        at_head = False
    checks["migrations"] = "ok" if at_head else "pending"
    ready = at_head
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503


@bp.get("/static/dsfr/<path:filename>")
def dsfr(filename: str) -> Response:
    """The French State design system, served from the npm package installed by `make install`."""
    directory = current_app.config["BRIDGE_DSFR_PATH"]
    response = send_from_directory(directory, filename, max_age=86400 * 7)
    return response
