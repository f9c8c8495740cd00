"""Testing a Moodle web-service connection from the console: release, missing functions, clear errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.audit.operations import record
from config.crypto import SecretBox, SecretDecryptionError
from config.database import utcnow
from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.moodle.connection import check_connection
from sync.moodle.errors import (
    MoodleError,
    MoodleFatalError,
    MoodleProtocolError,
    MoodleTransientError,
)

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, str], MoodleClient]
WEBSERVICES_OFF = frozenset({"webservicesnotenabled", "enablewsdescription"})


def interactive_client(base_url: str, token: str) -> MoodleClient:
    """A client for a person waiting in front of the page: short timeouts, one retry at most."""
    return MoodleClient(base_url, token, timeout=(5, 20), max_retries=1, backoff_base=0.5, backoff_cap=2)


@dataclass(frozen=True)
class ConnectionTestResult:
    """``error`` is None when Moodle answered; otherwise a code the page words for the person."""

    error: str | None = None
    release: str = ""
    sitename: str = ""
    missing_functions: list[str] = field(default_factory=list)
    moodle_code: str | None = None

    @property
    def reached(self) -> bool:
        return self.error is None


def list_connections(session: Session) -> list[LmsConnection]:
    return list(session.scalars(select(LmsConnection).order_by(LmsConnection.name, LmsConnection.id)))


def check_lms_connection(
    session: Session,
    connection: LmsConnection,
    box: SecretBox,
    *,
    actor: str,
    client_factory: ClientFactory = interactive_client,
) -> ConnectionTestResult:
    """Call Moodle with the stored token; on success store the release and the missing functions."""
    result = _run_check(connection, box, client_factory)
    if result.reached:
        connection.moodle_release = result.release
        connection.missing_functions = result.missing_functions
        connection.checked_at = utcnow()
    record(
        session, actor, "lms.connection.test", f"lms_connection:{connection.id}",
        outcome=result.error or "ok", moodle_code=result.moodle_code, release=result.release or None,
        missing_functions=result.missing_functions,
    )  # fmt: skip
    return result


def _run_check(connection: LmsConnection, box: SecretBox, factory: ClientFactory) -> ConnectionTestResult:
    try:
        token = box.decrypt(connection.token_encrypted)
    except SecretDecryptionError:
        return ConnectionTestResult(error="undecryptable")
    if not token:
        return ConnectionTestResult(error="no_token")
    client = factory(connection.base_url, token)
    try:
        report = check_connection(client)
    except MoodleError as exc:
        log.info(
            "moodle connection %s test failed: %s code=%s status=%s",
            connection.id, type(exc).__name__, exc.errorcode, exc.status,
        )  # fmt: skip
        return ConnectionTestResult(error=classify(exc), moodle_code=exc.errorcode)
    finally:
        client.close()
    return ConnectionTestResult(
        release=report.release,
        sitename=report.sitename,
        missing_functions=sorted(report.missing_functions),
    )


def classify(exc: MoodleError) -> str:
    """invalid_token, webservices_disabled, access_denied, maintenance, timeout, unreachable,
    server_error, protocol or moodle_error."""
    if isinstance(exc, MoodleFatalError):
        if exc.errorcode == "invalidtoken":
            return "invalid_token"
        if exc.errorcode in WEBSERVICES_OFF or exc.status in (403, 404):
            return "webservices_disabled"
        return "access_denied"
    if isinstance(exc, MoodleTransientError):
        if exc.errorcode == "sitemaintenance" or exc.status == 503:
            return "maintenance"
        if exc.message.startswith("timeout"):
            return "timeout"
        if exc.message.startswith("connection failure"):
            return "unreachable"
        return "server_error"
    if isinstance(exc, MoodleProtocolError):
        return "protocol"
    return "moodle_error"
