"""Stats: recompute the campaign tracker's statistics tables (levels per competence, before/after,
progress by day) of active campaigns, so dashboards stay fast and at most one schedule period old."""

from __future__ import annotations

import logging

from sync.runs import JobContext

log = logging.getLogger(__name__)


def run(ctx: JobContext) -> None:
    if ctx.dry_run:
        return
    refreshed = ctx.port.refresh_statistics(ctx.session)
    ctx.count(pulled=refreshed)
    ctx.checkpoint()
    log.info("stats: %s campaign(s) refreshed", refreshed)
