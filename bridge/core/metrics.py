"""Event counters exported on /metrics (Prometheus), and the small functions other modules call.

Counters live in this process (or, under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, in files
that every worker writes and the scrape sums: see gunicorn.conf.py). Figures that the database already
knows (sync runs, outbox depth, item bank, assessments) are not counted here: bridge.ops.metrics_db
reads them at scrape time, which is exact whatever the number of workers.

Labels stay bounded: codes are reduced to ``[a-z0-9_]`` (at most 40 characters) and endpoints are
Flask endpoint names, never raw paths.
"""

from __future__ import annotations

import re
import time

from flask import Flask, Response, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

LAUNCHES = Counter(
    "bridge_lti_launches",
    "LTI launches: ok, or refused with the error code shown to the user.",
    ["outcome", "code"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "bridge_http_requests",
    "HTTP requests by Flask endpoint, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["endpoint", "method", "status_class"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "bridge_http_request_duration_seconds",
    "Time spent answering HTTP requests, by Flask endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
ERRORS = Counter(
    "bridge_errors",
    "Error pages and JSON errors served, by HTTP status and error code.",
    ["status", "code"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "bridge_rate_limited",
    "Requests refused with 429 by a rate-limit rule.",
    ["rule"],
    registry=REGISTRY,
)
RATELIMIT_STORAGE_ERRORS = Counter(
    "bridge_ratelimit_storage_errors",
    "Rate-limit checks skipped because the counter storage failed (requests were let through).",
    registry=REGISTRY,
)

_CODE = re.compile(r"[^a-z0-9_]+")
_STATIC_ENDPOINTS = ("static", "core.dsfr")


def _label(code: str | None, default: str = "none") -> str:
    if not code:
        return default
    cleaned = _CODE.sub("_", code.lower()).strip("_")[:40]
    return cleaned or default


def count_launch(ok: bool, code: str | None = None) -> None:
    """One LTI launch ended: ``ok`` or refused with ``code`` (e.g. ``invalid_nonce``)."""
    if ok:
        LAUNCHES.labels(outcome="ok", code="none").inc()
    else:
        LAUNCHES.labels(outcome="refused", code=_label(code, "unknown")).inc()


def count_error(status: int, code: str) -> None:
    ERRORS.labels(status=str(status), code=_label(code, "unknown")).inc()


def count_rate_limited(rule: str) -> None:
    RATE_LIMITED.labels(rule=_label(rule)).inc()


def count_ratelimit_storage_error() -> None:
    RATELIMIT_STORAGE_ERRORS.inc()


def _endpoint() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else "unmatched"


def _start_timer() -> None:
    g._metrics_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    endpoint = _endpoint()
    HTTP_REQUESTS.labels(
        endpoint=endpoint, method=request.method, status_class=f"{response.status_code // 100}xx"
    ).inc()
    started = g.pop("_metrics_started", None)
    if started is not None and endpoint not in _STATIC_ENDPOINTS:
        HTTP_DURATION.labels(endpoint=endpoint).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_count_request)
