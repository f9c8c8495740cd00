"""LMS connections: register one (token encrypted at rest) and check it against Moodle."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.database import utcnow
from sync.models import LmsConnection
from sync.moodle.connection import ConnectionReport, check_connection
from sync.services import SyncServices

log = logging.getLogger(__name__)

STRATEGIES = ("manual", "cohort")
COMPLETION_STRATEGIES = ("auto", "per_pair", "per_user", "incremental")


class ConnectionInputError(ValueError):
    """A connection setting is wrong; the message says how to fix it."""


def normalise_url(url: str, *, production: bool) -> str:
    """The Moodle site's base URL (``https://moodle.example.gouv.fr``), without the REST path."""
    url = url.strip().rstrip("/")
    url = url.removesuffix("/webservice/rest/server.php")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConnectionInputError(
            f"{url!r} is not an absolute http(s) URL such as https://moodle.example.gouv.fr"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConnectionInputError("the Moodle URL must not carry a query, a fragment or credentials")
    if production and parts.scheme != "https" and not _loopback(parts.hostname):
        raise ConnectionInputError(
            "in production the Moodle URL must use https (the token travels in every call)"
        )
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def save_connection(
    session: Session,
    services: SyncServices,
    *,
    platform_id: int | None,
    url: str,
    token: str,
    name: str = "",
    enrol_strategy: str = "manual",
) -> LmsConnection:
    """Create or update the connection of ``platform_id`` (one per platform). Does not commit."""
    if enrol_strategy not in STRATEGIES:
        raise ConnectionInputError(f"strategy must be one of {', '.join(STRATEGIES)}")
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise ConnectionInputError("the token is empty or contains spaces: copy it again from Moodle")
    base_url = normalise_url(url, production=services.settings.is_production)
    connection = None
    if platform_id is not None:
        connection = session.scalars(
            select(LmsConnection).where(LmsConnection.platform_id == platform_id)
        ).first()
    if connection is None:
        connection = LmsConnection(platform_id=platform_id, base_url=base_url, token_encrypted="")
        session.add(connection)
    connection.base_url = base_url
    connection.token_encrypted = services.secret_box().encrypt(token)
    connection.enrol_strategy = enrol_strategy
    connection.name = name or connection.name or (urlsplit(base_url).hostname or base_url)
    connection.active = True
    return connection


def check(session: Session, services: SyncServices, connection: LmsConnection) -> ConnectionReport:
    """Call Moodle, record its release and the functions its service lacks. Raises MoodleError."""
    client = services.client_for(connection, max_retries=1)
    try:
        report = check_connection(client)
    finally:
        client.close()
    connection.moodle_release = report.release
    connection.missing_functions = sorted(report.missing_functions)
    connection.checked_at = utcnow()
    log.info(
        "connection %s checked: Moodle %s, %d missing",
        connection.id,
        report.release,
        len(report.missing_functions),
    )
    return report
