"""GET /metrics: Prometheus text format, for the configured token or addresses only.

Access: a request carrying ``Authorization: Bearer <BRIDGE_METRICS_TOKEN>`` is served from anywhere; a
request without a token is served when its client address is in BRIDGE_METRICS_ALLOW (default:
loopback only). A wrong token is refused even from an allowed address. Everything else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os

from flask import Blueprint, Response, abort, request
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from bridge.core import metrics
from bridge.core.db import get_database
from bridge.core.settings_access import get_settings
from bridge.ops.metrics_db import DatabaseCollector
from config.settings import Settings

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)


def _address_allowed(settings: Settings, address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in settings.metrics_networks())


def authorised(settings: Settings) -> bool:
    header = request.headers.get("Authorization", "")
    expected = settings.metrics_token_value()
    if header:
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not expected:
            return False
        return hmac.compare_digest(presented.strip().encode(), expected.encode())
    return _address_allowed(settings, request.remote_addr)


def render_metrics() -> bytes:
    """The process (or every worker's) counters, then the figures read from the database."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
        events = generate_latest(workers)
    else:
        events = generate_latest(metrics.REGISTRY)
    from_db = CollectorRegistry()
    from_db.register(DatabaseCollector(get_database()))
    return events + generate_latest(from_db)


@bp.get("/metrics")
def prometheus() -> Response:
    settings = get_settings()
    if not authorised(settings):
        log.info("metrics refused: no valid token and the address is not in BRIDGE_METRICS_ALLOW")
        abort(403)
    response = Response(render_metrics(), mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response
