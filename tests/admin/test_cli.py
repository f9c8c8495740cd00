"""`flask --app wsgi bridge admin ...`: create, list, set-password, unlock, deactivate, activate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from bridge.audit.models import AuditEvent
from bridge.auth.models import AdminUser
from bridge.auth.passwords import verify_password
from config.database import Database, utcnow
from tests.admin.conftest import PASSWORD, Accounts


def _admin(runner: FlaskCliRunner, *args: str, password: str | None = None, input: str | None = None):  # type: ignore[no-untyped-def]
    env = {"BRIDGE_ADMIN_PASSWORD": password} if password is not None else {}
    return runner.invoke(args=["bridge", "admin", *args], env=env, input=input)


def test_create_reads_the_password_from_the_environment(
    runner: FlaskCliRunner, accounts: Accounts, database: Database
) -> None:
    result = _admin(
        runner, "create", "Alice", "--role", "read", "--display-name", "Alice D.", password=PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert "Admin account 'alice' created" in result.output
    user = accounts.get("alice")
    assert (user.role, user.display_name, user.active) == ("read", "Alice D.", True)
    assert verify_password(user.password_hash, PASSWORD)
    with database.session_scope() as session:
        (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.create"))
        assert (event.actor, event.target) == ("cli", f"admin:{user.id}")


def test_create_prompts_twice_with_hidden_input(runner: FlaskCliRunner, accounts: Accounts) -> None:
    result = _admin(runner, "create", "bob", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden input: never echoed
    assert "Repeat the password" in result.output
    assert accounts.get("bob").role == "full"


def test_create_asks_again_when_the_two_prompts_differ(runner: FlaskCliRunner) -> None:
    result = _admin(runner, "create", "bob", input=f"{PASSWORD}\nOther-password-9\n{PASSWORD}\n{PASSWORD}\n")
    assert "Error: The two entered values do not match." in result.output
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "at least 12 characters"),
        ("onlylowercaseletters", "mix at least two kinds"),
        ("123456789012345", "mix at least two kinds"),
    ],
)
def test_create_enforces_the_password_policy(
    runner: FlaskCliRunner, database: Database, password: str, message: str
) -> None:
    result = _admin(runner, "create", "carol", password=password)
    assert result.exit_code == 1
    assert "account not created" in result.output
    assert message in result.output
    with database.session_scope() as session:
        assert session.scalar(select(AdminUser)) is None


def test_create_refuses_a_bad_or_taken_username(runner: FlaskCliRunner, accounts: Accounts) -> None:
    accounts.create("alice")
    taken = _admin(runner, "create", "ALICE", password=PASSWORD)
    assert taken.exit_code == 1
    assert "already taken" in taken.output
    invalid = _admin(runner, "create", "a b", password=PASSWORD)
    assert invalid.exit_code == 1
    assert "username must be 3-64 characters" in invalid.output


def test_list_shows_accounts_and_their_state(
    runner: FlaskCliRunner, accounts: Accounts, database: Database
) -> None:
    assert "No admin account yet" in _admin(runner, "list").output
    accounts.create("alice")
    accounts.create("bob", role="read")
    with database.session_scope() as session:
        bob = session.scalar(select(AdminUser).where(AdminUser.username == "bob"))
        assert bob is not None
        bob.locked_until = utcnow() + timedelta(minutes=5)
    output = _admin(runner, "list").output
    assert "alice" in output
    assert "bob" in output
    assert "locked" in output
    assert "2 account(s)." in output
    assert "$argon2" not in output


def test_set_password_unlocks_and_changes_the_hash(
    runner: FlaskCliRunner, accounts: Accounts, database: Database
) -> None:
    accounts.create("alice")
    with database.session_scope() as session:
        alice = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert alice is not None
        alice.failed_attempts, alice.locked_until = 5, utcnow() + timedelta(minutes=5)
    result = _admin(runner, "set-password", "alice", password="Brand-new-password-3")
    assert result.exit_code == 0, result.output
    user = accounts.get("alice")
    assert verify_password(user.password_hash, "Brand-new-password-3")
    assert (user.failed_attempts, user.locked_until) == (0, None)
    weak = _admin(runner, "set-password", "alice", password="alice")
    assert weak.exit_code == 1
    assert "at least 12 characters" in weak.output


def test_unlock(runner: FlaskCliRunner, accounts: Accounts, database: Database) -> None:
    accounts.create("alice")
    with database.session_scope() as session:
        alice = session.scalar(select(AdminUser).where(AdminUser.username == "alice"))
        assert alice is not None
        alice.failed_attempts, alice.locked_until = 5, utcnow() + timedelta(minutes=5)
    result = _admin(runner, "unlock", "alice")
    assert result.exit_code == 0
    user = accounts.get("alice")
    assert (user.failed_attempts, user.locked_until) == (0, None)
    unknown = _admin(runner, "unlock", "nobody")
    assert unknown.exit_code == 1
    assert "no admin account named 'nobody'" in unknown.output


def test_deactivate_keeps_one_full_admin(runner: FlaskCliRunner, accounts: Accounts) -> None:
    accounts.create("alice")
    last = _admin(runner, "deactivate", "alice")
    assert last.exit_code == 1
    assert "last active full admin" in last.output
    assert accounts.get("alice").active
    accounts.create("bob")
    assert _admin(runner, "deactivate", "alice").exit_code == 0
    assert not accounts.get("alice").active
    assert _admin(runner, "activate", "alice").exit_code == 0
    assert accounts.get("alice").active
