"""The console home: figures for full admins, the readable campaigns for read-only principals."""

from __future__ import annotations

from flask import render_template

from bridge.auth.admin_guard import can_read_campaign, current_principal, require_console
from bridge.console.blueprint import bp
from bridge.console.dashboard import active_campaigns, console_figures
from bridge.console.nav import section_url
from bridge.core.db import get_session


@bp.get("/")
@require_console
def home() -> str:
    principal = current_principal()
    assert principal is not None  # the guard let a console principal through
    session = get_session()
    figures = console_figures(session) if principal.is_full else None
    campaigns = [c for c in active_campaigns(session) if can_read_campaign(c, principal)]
    return render_template(
        "admin/home.html",
        figures=figures,
        campaigns=campaigns,
        tracker_url=section_url("tracker.index"),
        section_url=section_url,
    )
