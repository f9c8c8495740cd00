"""Signing in to the admin console in tests: a real local account and the real login form."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from bridge.auth import operations
from config.database import Database

PASSWORD = "Correct-horse-42"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def sign_in(
    client: FlaskClient, database: Database, username: str = "gestionnaire", role: str = "full"
) -> None:
    """Create the account and log in through /admin/connexion, as a person would."""
    with database.session_scope() as session:
        operations.create_admin(
            session,
            username=username,
            password=PASSWORD,
            role=role,
            display_name=username.title(),
            actor="test",
        )
    page = client.get("/admin/connexion").get_data(as_text=True)
    match = _CSRF.search(page)
    # Some tests turn CSRF off (WTF_CSRF_ENABLED=False) to post forms directly: no token then.
    assert match is not None or not client.application.config.get("WTF_CSRF_ENABLED", True)
    token = (match.group(1) or match.group(2)) if match else ""
    response = client.post(
        "/admin/connexion", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def session_cookie(app: Flask, database: Database, username: str = "gestionnaire", role: str = "full") -> str:
    """Sign in with a test client and return its session cookie, for a browser or another HTTP client."""
    client = app.test_client()
    sign_in(client, database, username, role)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    return cookie.value
