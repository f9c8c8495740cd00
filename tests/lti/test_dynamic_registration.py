"""Dynamic registration against a fake platform answering like Moodle 4.5, and its failure pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select

from bridge.audit.models import AuditEvent
from lti import claims as c
from lti.models import Deployment, Platform
from tests.fakes.lti_registration import FakeRegistrationPlatform
from tests.lti.conftest import Tool


@pytest.fixture
def moodle() -> Iterator[FakeRegistrationPlatform]:
    with FakeRegistrationPlatform() as fake:
        yield fake


def _register(tool: Tool, moodle: FakeRegistrationPlatform, **overrides: str) -> requests.Response:
    params = {"openid_configuration": moodle.configuration_url, "registration_token": moodle.token}
    params.update(overrides)
    return requests.get(tool.url + "/lti/register", params=params, timeout=10)


def test_registration_like_moodle(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    response = _register(tool, moodle)
    assert response.status_code == 200, response.text[:800]
    assert "Outil enregistré" in response.text
    assert "registration-close.js" in response.text
    assert moodle.client_id in response.text

    (sent,) = moodle.requests
    assert sent["headers"]["Authorization"] == "Bearer " + moodle.token
    body = sent["body"]
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert set(body["grant_types"]) == {"implicit", "client_credentials"}
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert body["initiate_login_uri"] == tool.url + "/lti/login"
    assert body["redirect_uris"] == [tool.url + "/lti/launch"]
    assert body["jwks_uri"] == tool.url + "/lti/jwks"
    assert body["client_name"] == "PACNum - auto-évaluation des compétences numériques"
    assert set(body["scope"].split()) == {
        c.SCOPE_LINEITEM,
        c.SCOPE_LINEITEM_READONLY,
        c.SCOPE_RESULT_READONLY,
        c.SCOPE_SCORE,
        c.SCOPE_NRPS,
    }
    tool_config = body[c.TOOL_CONFIGURATION]
    assert tool_config["domain"] == tool.url.removeprefix("http://")
    assert tool_config["target_link_uri"] == tool.url + "/lti/launch"
    assert set(tool_config["claims"]) == {"iss", "sub", "name", "given_name", "family_name", "email"}
    assert {m["type"] for m in tool_config["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert requests.get(body["logo_uri"], timeout=5).status_code == 200

    with tool.database.session_scope() as session:
        platform = session.scalars(select(Platform)).one()
        assert platform.issuer == moodle.url
        assert platform.client_id == moodle.client_id
        assert platform.auth_login_url == moodle.url + "/mod/lti/auth.php"
        assert platform.auth_token_url == moodle.url + "/mod/lti/token.php"
        assert platform.key_set_url == moodle.url + "/mod/lti/certs.php"
        assert (platform.registered_by, platform.product_family) == ("dynamic", "moodle")
        deployment = session.scalars(select(Deployment)).one()
        assert (deployment.deployment_id, deployment.active) == ("2", True)


def test_registration_is_audited(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    assert _register(tool, moodle).status_code == 200
    with tool.database.session_scope() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "lti.platform_registered"
        assert event.details["client_id"] == moodle.client_id


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("refuse", 502, "lti.registration_refused"),
        ("not_json", 502, "lti.registration_bad_config"),
        ("config_500", 502, "lti.registration_config_unreachable"),
        ("issuer_mismatch", 400, "lti.registration_issuer_mismatch"),
        ("no_client_id", 502, "lti.registration_refused"),
    ],
)
def test_registration_failures(
    tool: Tool, moodle: FakeRegistrationPlatform, mode: str, status: int, code: str
) -> None:
    moodle.mode = mode
    response = _register(tool, moodle)
    assert response.status_code == status
    assert f"<code>{code}</code>" in response.text
    with tool.database.session_scope() as session:
        assert session.scalars(select(Platform)).first() is None


def test_refusal_shows_the_platform_message(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    moodle.mode = "refuse"
    assert "Tool already registered with this domain" in _register(tool, moodle).text


def test_wrong_registration_token(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    response = _register(tool, moodle, registration_token="forged")
    assert response.status_code == 502
    assert "Invalid registration token" in response.text


def test_unreachable_configuration(tool: Tool) -> None:
    response = requests.get(
        tool.url + "/lti/register",
        params={"openid_configuration": "http://127.0.0.1:9/mod/lti/openid-configuration.php"},
        timeout=10,
    )
    assert response.status_code == 502
    assert "lti.registration_config_unreachable" in response.text


@pytest.mark.parametrize(
    ("value", "code"),
    [("", "lti.registration_missing_config"), ("ftp://x/y", "lti.registration_bad_config_url")],
)
def test_bad_configuration_url(tool: Tool, value: str, code: str) -> None:
    response = requests.get(tool.url + "/lti/register", params={"openid_configuration": value}, timeout=10)
    assert response.status_code == 400
    assert code in response.text
