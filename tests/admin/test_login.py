"""Console login: success, generic refusals, lockout and its end, session rotation, logout, audit."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.app import create_app
from bridge.audit.models import AuditEvent
from bridge.auth.models import AdminUser
from bridge.auth.operations import set_password
from config.database import Database, utcnow
from tests.admin.conftest import PASSWORD, Accounts, csrf_of, login

GENERIC = "Identifiant ou mot de passe incorrect."


def _events(database: Database, action: str) -> list[AuditEvent]:
    with database.session_scope() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


def _refusal_text(html: str) -> str:
    start = html.index('id="login-error"')
    return html[start : html.index("</div>", start)]


def test_login_page_is_french_and_accessible(app: Flask) -> None:
    html = app.test_client().get("/admin/connexion").get_data(as_text=True)
    assert "Connexion à la console d'administration" in html
    assert '<label class="fr-label" for="username">' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="csrf_token"' in html


def test_login_success_opens_the_console_and_is_audited(
    app: Flask, accounts: Accounts, database: Database
) -> None:
    user = accounts.create("alice")
    client = app.test_client()
    response = login(client, "  Alice ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Alice" in home.get_data(as_text=True)
    (event,) = _events(database, "admin.login")
    assert event.actor == f"admin:{user.id}"
    assert accounts.get("alice").last_login_at is not None


def test_login_returns_to_the_asked_console_page_only(app: Flask, accounts: Accounts) -> None:
    accounts.create("alice")
    client = app.test_client()
    assert (
        login(client, "alice", PASSWORD, next_path="/admin/journal").headers["Location"] == "/admin/journal"
    )
    other = app.test_client()
    response = login(other, "alice", PASSWORD, next_path="https://evil.example/admin/")
    assert response.headers["Location"] == "/admin/"


def test_unknown_user_bad_password_and_locked_look_the_same(
    app: Flask, accounts: Accounts, database: Database, settings_factory
) -> None:
    accounts.create("alice")
    client = app.test_client()
    unknown = login(client, "nobody", PASSWORD)
    wrong = login(client, "alice", "Wrong-password-1")
    assert unknown.status_code == wrong.status_code == 200
    assert GENERIC in unknown.get_data(as_text=True)
    assert _refusal_text(unknown.get_data(as_text=True)) == _refusal_text(wrong.get_data(as_text=True))
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        user.locked_until = utcnow() + timedelta(minutes=10)
    locked = login(client, "alice", PASSWORD)
    assert _refusal_text(locked.get_data(as_text=True)) == _refusal_text(wrong.get_data(as_text=True))
    reasons = [e.details["reason"] for e in _events(database, "admin.login_failed")]
    assert reasons == ["unknown_user", "bad_password", "locked"]
    # The audit log names no one: the unknown username typed is not stored.
    assert all("nobody" not in str(e.details) for e in _events(database, "admin.login_failed"))


def test_five_failures_lock_the_account_even_for_the_right_password(
    app: Flask, accounts: Accounts, database: Database
) -> None:
    accounts.create("alice")
    client = app.test_client()
    for _ in range(5):
        assert GENERIC in login(client, "alice", "Wrong-password-1").get_data(as_text=True)
    user = accounts.get("alice")
    assert user.failed_attempts == 5
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
    (lockout,) = _events(database, "admin.lockout")
    assert lockout.target == f"admin:{user.id}"
    response = login(client, "alice", PASSWORD)
    assert GENERIC in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    # Attempts during the lock do not extend it.
    assert accounts.get("alice").locked_until == user.locked_until


def test_the_account_opens_again_after_the_delay(app: Flask, accounts: Accounts, database: Database) -> None:
    accounts.create("alice")
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        user.failed_attempts = 5
        user.locked_until = utcnow() - timedelta(seconds=1)
    client = app.test_client()
    assert login(client, "alice", PASSWORD).status_code == 302
    user = accounts.get("alice")
    assert user.failed_attempts == 0
    assert user.locked_until is None


def test_after_the_delay_a_failure_counts_from_one(
    app: Flask, accounts: Accounts, database: Database
) -> None:
    accounts.create("alice")
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        user.failed_attempts = 5
        user.locked_until = utcnow() - timedelta(seconds=1)
    login(app.test_client(), "alice", "Wrong-password-1")
    user = accounts.get("alice")
    assert user.failed_attempts == 1
    assert user.locked_until is None


def test_lockout_threshold_and_delay_are_settings(
    app: Flask, accounts: Accounts, settings_factory, database: Database
) -> None:
    strict = create_app(
        settings_factory(admin_lockout_threshold=2, admin_lockout_minutes=60), database=database
    )
    accounts.create("bob")
    client = strict.test_client()
    login(client, "bob", "Wrong-password-1")
    assert accounts.get("bob").locked_until is None
    login(client, "bob", "Wrong-password-1")
    locked_until = accounts.get("bob").locked_until
    assert locked_until is not None
    assert timedelta(minutes=59) < locked_until - utcnow() <= timedelta(minutes=60)


def test_inactive_account_is_refused_with_the_same_message(
    app: Flask, accounts: Accounts, database: Database
) -> None:
    accounts.create("alice")
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        user.active = False
    assert GENERIC in login(app.test_client(), "alice", PASSWORD).get_data(as_text=True)
    assert [e.details["reason"] for e in _events(database, "admin.login_failed")] == ["inactive"]


def test_login_rotates_the_session(app: Flask, accounts: Accounts) -> None:
    accounts.create("alice")
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["lang"] = "fr"
    before = csrf_of(client, "/admin/connexion")
    client.post("/admin/connexion", data={"csrf_token": before, "username": "alice", "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["lang"] == "fr"
        assert session.get("csrf_token") is None  # a new CSRF token is made on the next form
    after = csrf_of(client, "/admin/comptes/nouveau")
    assert after != before


def test_logout_ends_the_session_and_is_audited(app: Flask, accounts: Accounts, database: Database) -> None:
    user = accounts.create("alice")
    client = app.test_client()
    login(client, "alice", PASSWORD)
    token = csrf_of(client, "/admin/")
    response = client.post("/admin/deconnexion", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/connexion"
    assert client.get("/admin/").status_code == 302
    (event,) = _events(database, "admin.logout")
    assert event.actor == f"admin:{user.id}"


def test_changing_the_password_ends_open_sessions(app: Flask, accounts: Accounts, database: Database) -> None:
    accounts.create("alice")
    client = app.test_client()
    login(client, "alice", PASSWORD)
    assert client.get("/admin/").status_code == 200
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        set_password(session, user, "Another-password-7", actor="cli")
    assert client.get("/admin/").status_code == 302


def test_deactivated_account_loses_its_session(app: Flask, accounts: Accounts, database: Database) -> None:
    accounts.create("alice")
    client = app.test_client()
    login(client, "alice", PASSWORD)
    with database.session_scope() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert user is not None
        user.active = False
    assert client.get("/admin/").status_code == 302


def test_a_console_session_ends_after_its_lifetime(app: Flask, accounts: Accounts) -> None:
    accounts.create("alice")
    client = app.test_client()
    login(client, "alice", PASSWORD)
    with client.session_transaction() as session:
        session["admin_since"] -= int(app.permanent_session_lifetime.total_seconds()) + 1
    assert client.get("/admin/").status_code == 302


def test_empty_fields_are_reported_on_each_field(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client, "/admin/connexion")
    html = client.post("/admin/connexion", data={"csrf_token": token}).get_data(as_text=True)
    assert "Saisissez votre identifiant." in html
    assert "Saisissez votre mot de passe." in html
    assert 'aria-describedby="username-messages"' in html
    assert 'aria-invalid="true"' in html


def test_password_hash_is_argon2id(accounts: Accounts, db_session: Session) -> None:
    user = accounts.create("alice")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
