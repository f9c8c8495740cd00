"""The Moodle connection test of the console, against the fake Moodle over real HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from html import unescape

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from bridge.audit.models import AuditEvent
from config.crypto import SecretBox
from config.database import Database
from sync.models import LmsConnection
from tests.admin.conftest import csrf_of
from tests.conftest import TEST_ENCRYPTION_KEY
from tests.fakes.moodle import FakeMoodle

TOKEN = "WSTOKEN"


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as fake:
        fake.seed_capture_site(TOKEN)
        yield fake


def _connection(database: Database, base_url: str, token: str = TOKEN) -> int:
    with database.session_scope() as session:
        connection = LmsConnection(
            name="Moodle du ministère",
            base_url=base_url,
            token_encrypted=SecretBox([TEST_ENCRYPTION_KEY]).encrypt(token),
        )
        session.add(connection)
        session.flush()
        return connection.id


def _test(client: FlaskClient, connection_id: int) -> str:
    token = csrf_of(client, "/admin/connexions-moodle")
    response = client.post(f"/admin/connexions-moodle/{connection_id}/test", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/admin/connexions-moodle")
    assert page.status_code == 200
    return unescape(page.get_data(as_text=True))


def _stored(database: Database, connection_id: int) -> LmsConnection:
    with database.session_scope() as session:
        connection = session.get(LmsConnection, connection_id)
        assert connection is not None
        session.expunge(connection)
        return connection


def test_valid_token_shows_the_release_and_every_missing_function(
    admin_client: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    connection_id = _connection(database, moodle.url)
    before = unescape(admin_client.get("/admin/connexions-moodle").get_data(as_text=True))
    assert "inconnue (jamais testée)" in before
    assert TOKEN not in before
    html = _test(admin_client, connection_id)
    assert "Connexion à Moodle du ministère réussie : Moodle 4.5.6 (Build: 20250811)." in html
    # The captured site's service lacks one function the bridge needs.
    assert "core_enrol_get_users_courses" in html
    stored = _stored(database, connection_id)
    assert stored.moodle_release == "4.5.6 (Build: 20250811)"
    assert stored.missing_functions == ["core_enrol_get_users_courses"]
    assert stored.checked_at is not None
    assert TOKEN not in html
    with database.session_scope() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "lms.connection.test"))
        assert event.target == f"lms_connection:{connection_id}"
        assert event.details["outcome"] == "ok"
        assert TOKEN not in str(event.details)


def test_every_function_present_is_said_plainly(
    admin_client: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    moodle.add_token("FULLTOKEN")  # every function the fake knows
    connection_id = _connection(database, moodle.url, "FULLTOKEN")
    html = _test(admin_client, connection_id)
    assert "Toutes les fonctions nécessaires sont autorisées." in html
    assert _stored(database, connection_id).missing_functions == []


def test_revoked_token_gives_a_clear_error_and_keeps_the_last_good_check(
    admin_client: FlaskClient, database: Database, moodle: FakeMoodle
) -> None:
    connection_id = _connection(database, moodle.url)
    _test(admin_client, connection_id)
    checked_at = _stored(database, connection_id).checked_at
    moodle.revoke_token(TOKEN)
    html = _test(admin_client, connection_id)
    assert "Échec du test de Moodle du ministère." in html
    assert "Moodle refuse le jeton du service web (jeton invalide, expiré ou révoqué)." in html
    assert _stored(database, connection_id).checked_at == checked_at
    with database.session_scope() as session:
        outcomes = [
            e.details["outcome"]
            for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "lms.connection.test"))
        ]
    assert outcomes == ["ok", "invalid_token"]


def test_maintenance_is_explained(admin_client: FlaskClient, database: Database, moodle: FakeMoodle) -> None:
    connection_id = _connection(database, moodle.url)
    moodle.maintenance = True
    html = _test(admin_client, connection_id)
    assert "Ce Moodle est en maintenance." in html


def test_unreachable_moodle_is_explained(admin_client: FlaskClient, database: Database) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connection_id = _connection(database, f"http://127.0.0.1:{port}")
    html = _test(admin_client, connection_id)
    assert f"Moodle est injoignable à l'adresse http://127.0.0.1:{port}" in html


def test_a_token_encrypted_with_a_lost_key_is_explained(
    admin_client: FlaskClient, database: Database
) -> None:
    other_key = "bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmV3bmU="
    with database.session_scope() as session:
        connection = LmsConnection(
            base_url="http://127.0.0.1:9", token_encrypted=SecretBox([other_key]).encrypt("t")
        )
        session.add(connection)
        session.flush()
        connection_id = connection.id
    html = _test(admin_client, connection_id)
    assert "Le jeton enregistré ne peut pas être déchiffré" in html


def test_testing_a_missing_connection_is_a_clear_404(admin_client: FlaskClient) -> None:
    token = csrf_of(admin_client, "/admin/connexions-moodle")
    response = admin_client.post("/admin/connexions-moodle/999/test", data={"csrf_token": token})
    assert response.status_code == 404
