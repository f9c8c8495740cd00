"""Signing in to the admin console in tests: a real local account and the real login form."""

from __future__ import annotations

import re

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
    assert match is not None, "no CSRF token on the login page"
    token = match.group(1) or match.group(2)
    response = client.post(
        "/admin/connexion", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
