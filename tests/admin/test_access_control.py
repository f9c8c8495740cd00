"""Access control of every console route, found by walking the URL map (routes added later by other
blueprints are covered without editing this file), CSRF on every console form, and campaign reading."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from bridge.auth.admin_guard import can_read_campaign
from bridge.auth.principal import AdminPrincipal
from bridge.campaigns.models import Campaign
from config.database import Database
from tests.admin.conftest import LtiSession, add_platform

# Blueprints whose every view belongs to the console, wherever they mount their routes.
ADMIN_BLUEPRINTS = frozenset(
    {"console", "admin_auth", "campaigns_admin", "tracker", "catalog_admin", "sync_admin"}
)
# The only console endpoints open to everyone: signing in, entering by hand-off, signing out.
PUBLIC_ENDPOINTS = frozenset({"admin_auth.login", "admin_auth.enter", "admin_auth.logout"})
LOGIN_PATH = "/admin/connexion"
DUMMY_BY_CONVERTER = {
    "IntegerConverter": 1,
    "FloatConverter": 1.0,
    "UUIDConverter": uuid.UUID(int=1),
    "UnicodeConverter": "x",
    "PathConverter": "x",
}


def _is_admin_rule(rule: Rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    return rule.rule.startswith("/admin") or blueprint in ADMIN_BLUEPRINTS


def _dummy(rule: Rule, name: str) -> Any:
    converter = rule._converters[name]
    kind = type(converter).__name__
    if kind == "AnyConverter":
        return sorted(converter.items)[0]  # type: ignore[attr-defined]
    return DUMMY_BY_CONVERTER.get(kind, "x")


def guarded_routes(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) of every guarded console route, with dummy values for URL arguments."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if not _is_admin_rule(rule) or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        values = {name: _dummy(rule, name) for name in rule.arguments if name not in (rule.defaults or {})}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)


def test_the_walk_sees_the_console(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in guarded_routes(app)}
    assert {"console.home", "console.platforms", "console.approve_deployment", "console.audit"} <= endpoints
    assert len(endpoints) >= 14


def test_every_console_route_refuses_anonymous_users(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # let the requests reach the guard, which is under test here
    client = app.test_client()
    failures = []
    for endpoint, method, url in guarded_routes(app):
        response = client.open(url, method=method)
        location = response.headers.get("Location", "")
        redirected_to_login = response.status_code in (302, 303) and location.startswith(LOGIN_PATH)
        if not (redirected_to_login or response.status_code in (401, 403)):
            failures.append((endpoint, method, url, response.status_code, location))
        json_response = client.open(url, method=method, headers={"Accept": "application/json"})
        if json_response.status_code not in (401, 403):
            failures.append((endpoint, method, url, "json", json_response.status_code))
    assert failures == []


def test_every_console_route_refuses_learners(app: Flask, database: Database, lti_client: LtiSession) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    with database.session_scope() as session:
        platform_id = add_platform(session).id
    client = lti_client("learner", platform_id, contexts=["course-12"])
    failures = []
    for endpoint, method, url in guarded_routes(app):
        response = client.open(url, method=method)
        api_refusal = url.startswith("/api/") and response.status_code == 401
        if response.status_code != 403 and not api_refusal:
            failures.append((endpoint, method, url, response.status_code))
    assert failures == []
    assert "réservée aux administrateurs" in client.get("/admin/").get_data(as_text=True)


def test_read_only_principals_are_refused_on_configuration_pages(
    app: Flask, database: Database, lti_client: LtiSession
) -> None:
    app.config["WTF_CSRF_ENABLED"] = False
    with database.session_scope() as session:
        platform_id = add_platform(session).id
    client = lti_client("read", platform_id, contexts=["course-12"])
    assert client.get("/admin/").status_code == 200
    refused = [
        (endpoint, method)
        for endpoint, method, url in guarded_routes(app)
        if endpoint.startswith("console.") and endpoint != "console.home"
        if client.open(url, method=method).status_code != 403
    ]
    assert refused == []


def test_every_console_form_needs_its_csrf_token(app: Flask, admin_client: FlaskClient) -> None:
    posts = [(endpoint, url) for endpoint, method, url in guarded_routes(app) if method == "POST"]
    posts += [("admin_auth.login", "/admin/connexion"), ("admin_auth.logout", "/admin/deconnexion")]
    assert len(posts) >= 9
    failures = [
        (endpoint, url, r.status_code)
        for endpoint, url in posts
        if (r := admin_client.post(url)).status_code != 400
    ]
    assert failures == []


def _principal(role: str, kind: str = "lti", contexts: tuple[str, ...] = ()) -> AdminPrincipal:
    return AdminPrincipal(
        kind=kind,  # type: ignore[arg-type]
        display_name="x",
        role=role,  # type: ignore[arg-type]
        user_id=1 if kind == "local" else None,
        agent_id=2 if kind == "lti" else None,
        platform_id=3 if kind == "lti" else None,
        lms_context_ids=frozenset(contexts),
    )


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        (_principal("full"), True),
        (_principal("full", kind="local"), True),
        (_principal("read", kind="local"), True),
        (_principal("read", contexts=("course-12", "course-99")), True),
        (_principal("read", contexts=("course-99",)), False),
        (_principal("read"), False),
        (_principal("learner", contexts=("course-12",)), False),
        (None, False),
    ],
)
def test_can_read_campaign(app: Flask, principal: AdminPrincipal | None, expected: bool) -> None:
    campaign = Campaign(code="DGFIP-1", name="Vague 1", lms_context_ids=["course-12", "course-13"])
    with app.test_request_context():
        assert can_read_campaign(campaign, principal) is expected


def test_can_read_campaign_uses_the_request_principal(
    app: Flask, database: Database, lti_client: LtiSession
) -> None:
    with database.session_scope() as session:
        platform_id = add_platform(session).id
    client = lti_client("read", platform_id, contexts=["course-12"])
    mine = Campaign(code="A", name="A", lms_context_ids=["course-12"])
    other = Campaign(code="B", name="B", lms_context_ids=["course-77"])
    with client:
        client.get("/admin/")
        assert can_read_campaign(mine)
        assert not can_read_campaign(other)
    no_contexts = Campaign(code="C", name="C", lms_context_ids=[])
    with app.test_request_context():
        assert not can_read_campaign(no_contexts)
