"""LTI hand-off to the console: valid, expired, replayed, tampered, and for whom."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import select

from bridge.audit.models import AuditEvent
from bridge.auth.handoff import MAX_AGE_SECONDS, console_role_for, make_console_handoff
from config.database import Database
from tests.admin.conftest import add_agent, add_platform


@pytest.fixture
def staff(app: Flask, database: Database) -> tuple[int, int]:
    """(platform id, agent id) of a launched staff member."""
    with database.session_scope() as session:
        platform = add_platform(session)
        agent = add_agent(session, platform)
        return platform.id, agent.id


def _token(app: Flask, agent_id: int, role: str, platform_id: int, contexts=("course-12",), **kwargs) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return make_console_handoff(agent_id, role, platform_id, contexts, **kwargs)


def _actions(database: Database) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    with database.session_scope() as session:
        return [
            (e.actor, e.action, e.details)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_valid_handoff_opens_the_console(app: Flask, database: Database, staff: tuple[int, int]) -> None:
    platform_id, agent_id = staff
    client = app.test_client()
    with client.session_transaction() as session:
        session["launch_leftover"] = "x"
    response = client.get(f"/admin/entree?jeton={_token(app, agent_id, 'full', platform_id)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    with client.session_transaction() as session:
        assert "launch_leftover" not in session  # the session was rotated
        assert session["admin_lti"]["role"] == "full"
        assert session["admin_lti"]["context_ids"] == ["course-12"]
    home = client.get("/admin/")
    assert home.status_code == 200
    assert "Camille Martin" in home.get_data(as_text=True)
    assert client.get("/admin/plateformes").status_code == 200
    actor, action, details = _actions(database)[-1]
    assert (actor, action) == (f"lti:{platform_id}:{agent_id}", "console.handoff")
    assert details["role"] == "full"


def test_instructor_handoff_gives_read_only_access(app: Flask, staff: tuple[int, int]) -> None:
    platform_id, agent_id = staff
    client = app.test_client()
    client.get(f"/admin/entree?jeton={_token(app, agent_id, 'read', platform_id)}")
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/plateformes").status_code == 403


def test_expired_handoff_is_refused(app: Flask, database: Database, staff: tuple[int, int]) -> None:
    platform_id, agent_id = staff
    issued = time.time() - MAX_AGE_SECONDS - 5
    token = _token(app, agent_id, "full", platform_id, clock=lambda: issued)
    client = app.test_client()
    response = client.get(f"/admin/entree?jeton={token}")
    assert response.status_code == 403
    assert "a expiré" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert _actions(database)[-1][1:] == ("console.handoff_refused", {"reason": "expired", "ip": "127.0.0.1"})


def test_replayed_handoff_is_refused(app: Flask, database: Database, staff: tuple[int, int]) -> None:
    platform_id, agent_id = staff
    token = _token(app, agent_id, "full", platform_id)
    assert app.test_client().get(f"/admin/entree?jeton={token}").status_code == 302
    thief = app.test_client()
    response = thief.get(f"/admin/entree?jeton={token}")
    assert response.status_code == 403
    assert "déjà été utilisé" in response.get_data(as_text=True)
    assert thief.get("/admin/").status_code == 302
    assert _actions(database)[-1][2]["reason"] == "replayed"


@pytest.mark.parametrize("change", ["payload", "signature", "garbage", "empty"])
def test_tampered_handoff_is_refused(
    app: Flask, database: Database, staff: tuple[int, int], change: str
) -> None:
    platform_id, agent_id = staff
    token = _token(app, agent_id, "read", platform_id)
    _, timestamp, signature = token.rsplit(".", 2)
    full_payload = _token(app, agent_id, "full", platform_id).rsplit(".", 2)[0]
    tampered = {
        # A read token turned into a full one keeps the old signature.
        "payload": f"{full_payload}.{timestamp}.{signature}",
        "signature": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        "garbage": "not-a-token",
        "empty": "",
    }[change]
    client = app.test_client()
    response = client.get("/admin/entree", query_string={"jeton": tampered})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302
    assert _actions(database)[-1][2]["reason"] == "invalid"


def test_token_signed_with_another_key_is_refused(
    app: Flask, settings_factory, database: Database, staff: tuple[int, int]
) -> None:
    from bridge.app import create_app

    platform_id, agent_id = staff
    other = create_app(settings_factory(secret_key="another-secret-key-" + "y" * 32), database=database)
    token = _token(other, agent_id, "full", platform_id)
    assert app.test_client().get(f"/admin/entree?jeton={token}").status_code == 400


def test_handoff_from_an_inactive_platform_is_refused(app: Flask, database: Database) -> None:
    with database.session_scope() as session:
        platform = add_platform(session, active=False)
        agent = add_agent(session, platform)
        ids = platform.id, agent.id
    token = _token(app, ids[1], "full", ids[0])
    assert app.test_client().get(f"/admin/entree?jeton={token}").status_code == 403
    assert _actions(database)[-1][2]["reason"] == "platform_inactive"


def test_handoff_for_an_agent_of_another_platform_is_refused(
    app: Flask, database: Database, staff: tuple[int, int]
) -> None:
    _, agent_id = staff
    with database.session_scope() as session:
        other = add_platform(session, name="Autre Moodle")
        other_id = other.id
    token = _token(app, agent_id, "full", other_id)
    assert app.test_client().get(f"/admin/entree?jeton={token}").status_code == 403
    assert _actions(database)[-1][2]["reason"] == "unknown_agent"


def test_learners_get_no_handoff(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="role must be one of"):
        make_console_handoff(1, "learner", 1, [])


def test_console_access_ends_when_the_platform_is_deactivated(
    app: Flask, database: Database, staff: tuple[int, int]
) -> None:
    platform_id, agent_id = staff
    client = app.test_client()
    client.get(f"/admin/entree?jeton={_token(app, agent_id, 'full', platform_id)}")
    assert client.get("/admin/").status_code == 200
    with database.session_scope() as session:
        from lti.models import Platform

        platform = session.get(Platform, platform_id)
        assert platform is not None
        platform.active = False
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"], "full"),
        (
            [
                "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
                "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
            ],
            "full",
        ),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"], "read"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "read"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], None),
        (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"], None),
        ([], None),
    ],
)
def test_console_role_of_a_launch(roles: list[str], expected: str | None) -> None:
    assert console_role_for(roles) == expected
