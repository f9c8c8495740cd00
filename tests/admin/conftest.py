"""Fixtures of the admin console tests: accounts, platforms, signed-in clients of every kind."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from bridge.agents.models import Agent
from bridge.auth import operations
from bridge.auth.models import AdminUser
from bridge.auth.principal import SESSION_LTI_KEY, SESSION_SINCE_KEY
from config.database import Database
from lti.models import Deployment, Platform

PASSWORD = "Correct-horse-42"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match is not None, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def csrf_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def login(client: FlaskClient, username: str, password: str, *, next_path: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_of(client, "/admin/connexion")
    url = "/admin/connexion" + (f"?suivant={next_path}" if next_path else "")
    return client.post(url, data={"csrf_token": token, "username": username, "password": password})


@dataclass
class Accounts:
    database: Database

    def create(self, username: str = "alice", *, role: str = "full", password: str = PASSWORD) -> AdminUser:
        with self.database.session_scope() as session:
            user = operations.create_admin(
                session, username=username, password=password, role=role, display_name=username.title(),
                actor="test",
            )  # fmt: skip
        return user

    def get(self, username: str) -> AdminUser:
        with self.database.session_scope() as session:
            user = operations.find_admin(session, username)
            assert user is not None
            session.expunge(user)
            return user


@pytest.fixture
def accounts(app: Flask, database: Database) -> Accounts:
    return Accounts(database)


@pytest.fixture
def admin_client(app: Flask, accounts: Accounts) -> FlaskClient:
    """A client signed in as the full local admin ``alice``."""
    accounts.create("alice")
    client = app.test_client()
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def add_platform(session: Session, *, name: str = "Moodle du ministère", active: bool = True) -> Platform:
    platform = Platform(
        issuer="https://moodle.example.gouv.fr",
        client_id=f"client-{name.lower().replace(' ', '-')}",
        name=name,
        auth_login_url="https://moodle.example.gouv.fr/mod/lti/auth.php",
        auth_token_url="https://moodle.example.gouv.fr/mod/lti/token.php",
        key_set_url="https://moodle.example.gouv.fr/mod/lti/certs.php",
        registered_by="dynamic",
        active=active,
    )
    session.add(platform)
    session.flush()
    return platform


def add_deployment(
    session: Session, platform: Platform, deployment_id: str = "7", *, active: bool = False
) -> Deployment:
    deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id, active=active)
    session.add(deployment)
    session.flush()
    return deployment


def add_agent(session: Session, platform: Platform, sub: str = "u-42") -> Agent:
    agent = Agent(platform_id=platform.id, sub=sub, display_name="Camille Martin")
    session.add(agent)
    session.flush()
    return agent


LtiSession = Callable[..., FlaskClient]


@pytest.fixture
def lti_client(app: Flask) -> LtiSession:
    """A client whose cookie session holds an LTI principal, as the hand-off stores it."""

    def make(role: str, platform_id: int, agent_id: int = 1, contexts: Iterable[str] = ()) -> FlaskClient:
        client = app.test_client()
        with client.session_transaction() as session:
            session[SESSION_LTI_KEY] = {
                "agent_id": agent_id,
                "platform_id": platform_id,
                "role": role,
                "display_name": "Camille Martin",
                "context_ids": sorted(contexts),
            }
            session[SESSION_SINCE_KEY] = int(time.time())
        return client

    return make
