"""Dynamic registration without a link (``/lti/register``) against a fake platform answering like Moodle
4.5: accepted only from the hosts of BRIDGE_LTI_REGISTRATION_HOSTS, refused before any request otherwise;
hostile configurations (redirects, endpoints on another host); failure pages. Registration through
one-time links: test_registration_links.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests
from sqlalchemy import select

from bridge.audit.models import AuditEvent
from config.database import Database
from config.settings import Settings
from lti import claims as c
from lti.hosts import host_matches, origin_of
from lti.models import Deployment, Platform
from tests.fakes.lti_registration import FakeRegistrationPlatform
from tests.lti.conftest import Tool, running_tool


@pytest.fixture
def moodle() -> Iterator[FakeRegistrationPlatform]:
    with FakeRegistrationPlatform() as fake:
        yield fake


def host_of(fake: FakeRegistrationPlatform) -> str:
    return fake.url.removeprefix("http://")


@pytest.fixture
def open_tool(
    settings_factory: Callable[..., Settings], database: Database, moodle: FakeRegistrationPlatform
) -> Iterator[Tool]:
    """A tool whose BRIDGE_LTI_REGISTRATION_HOSTS holds the fake platform's host (127.0.0.1:port)."""
    with running_tool(settings_factory, database, lti_registration_hosts=host_of(moodle)) as served:
        yield served


def _register(tool: Tool, moodle: FakeRegistrationPlatform, **overrides: str) -> requests.Response:
    params = {"openid_configuration": moodle.configuration_url, "registration_token": moodle.token}
    params.update(overrides)
    return requests.get(tool.url + "/lti/register", params=params, timeout=10)


def _no_platform(tool: Tool) -> bool:
    with tool.database.session_scope() as session:
        return session.scalars(select(Platform)).first() is None


# -- who may register without a link ---------------------------------------------------------------


def test_bare_registration_is_refused_by_default(tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    assert tool.settings.lti_registration_hosts == []
    response = _register(tool, moodle)
    assert response.status_code == 403
    assert "<code>lti.registration_host_not_allowed</code>" in response.text
    assert "Demandez à l&#39;administrateur de PACNum un lien d&#39;enregistrement" in response.text
    assert host_of(moodle) in response.text
    assert moodle.seen == []  # refused before any request: nothing fetched, nothing posted
    assert _no_platform(tool)


@pytest.mark.parametrize("variant", ["other_name", "other_port"])
def test_only_the_allowed_host_and_port(
    open_tool: Tool, moodle: FakeRegistrationPlatform, variant: str
) -> None:
    """The allow-list holds 127.0.0.1:<port>: the same server named otherwise, or another port, is refused."""
    url = {
        "other_name": moodle.configuration_url.replace("127.0.0.1", "localhost"),
        "other_port": moodle.configuration_url.replace(host_of(moodle), "127.0.0.1:9"),
    }[variant]
    response = _register(open_tool, moodle, openid_configuration=url)
    assert response.status_code == 403
    assert "lti.registration_host_not_allowed" in response.text
    assert moodle.seen == []
    assert _no_platform(open_tool)


@pytest.mark.parametrize(
    ("allowed", "url", "expected"),
    [
        ("moodle.example.gouv.fr", "https://moodle.example.gouv.fr/mod/lti/openid-configuration.php", True),
        ("moodle.example.gouv.fr", "https://MOODLE.example.gouv.fr:443/x", True),
        ("moodle.example.gouv.fr", "http://moodle.example.gouv.fr/x", True),
        ("moodle.example.gouv.fr", "https://moodle.example.gouv.fr:8443/x", False),  # no port: default only
        ("moodle.example.gouv.fr:8443", "https://moodle.example.gouv.fr:8443/x", True),
        ("moodle.example.gouv.fr:8443", "https://moodle.example.gouv.fr/x", False),
        ("moodle.example.gouv.fr", "https://moodle.example.gouv.fr.evil.example/x", False),
        ("moodle.example.gouv.fr", "https://evil.example/?moodle.example.gouv.fr", False),
        ("[::1]:8080", "http://[::1]:8080/x", True),
    ],
)
def test_host_matching(allowed: str, url: str, expected: bool) -> None:
    origin = origin_of(url)
    assert origin is not None
    assert host_matches(origin, allowed) is expected


def test_credentials_in_the_url_are_not_an_origin() -> None:
    assert origin_of("https://moodle.example.gouv.fr@evil.example/x") is None
    assert origin_of("ftp://moodle.example.gouv.fr/x") is None
    assert origin_of("https://moodle.example.gouv.fr:99999/x") is None


# -- registration from an allowed host ----------------------------------------------------------------


def test_registration_like_moodle(open_tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    response = _register(open_tool, moodle)
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
    assert body["initiate_login_uri"] == open_tool.url + "/lti/login"
    assert body["redirect_uris"] == [open_tool.url + "/lti/launch"]
    assert body["jwks_uri"] == open_tool.url + "/lti/jwks"
    assert body["client_name"] == "PACNum - auto-évaluation des compétences numériques"
    assert set(body["scope"].split()) == {
        c.SCOPE_LINEITEM,
        c.SCOPE_LINEITEM_READONLY,
        c.SCOPE_RESULT_READONLY,
        c.SCOPE_SCORE,
        c.SCOPE_NRPS,
    }
    tool_config = body[c.TOOL_CONFIGURATION]
    assert tool_config["domain"] == open_tool.url.removeprefix("http://")
    assert tool_config["target_link_uri"] == open_tool.url + "/lti/launch"
    assert set(tool_config["claims"]) == {"iss", "sub", "name", "given_name", "family_name", "email"}
    assert {m["type"] for m in tool_config["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert requests.get(body["logo_uri"], timeout=5).status_code == 200

    with open_tool.database.session_scope() as session:
        platform = session.scalars(select(Platform)).one()
        assert platform.issuer == moodle.url
        assert platform.client_id == moodle.client_id
        assert platform.auth_login_url == moodle.url + "/mod/lti/auth.php"
        assert platform.auth_token_url == moodle.url + "/mod/lti/token.php"
        assert platform.key_set_url == moodle.url + "/mod/lti/certs.php"
        assert (platform.registered_by, platform.product_family) == ("dynamic", "moodle")
        deployment = session.scalars(select(Deployment)).one()
        assert (deployment.deployment_id, deployment.active) == ("2", True)


def test_registration_is_audited(open_tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    assert _register(open_tool, moodle).status_code == 200
    with open_tool.database.session_scope() as session:
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
    open_tool: Tool, moodle: FakeRegistrationPlatform, mode: str, status: int, code: str
) -> None:
    moodle.mode = mode
    response = _register(open_tool, moodle)
    assert response.status_code == status
    assert f"<code>{code}</code>" in response.text
    with open_tool.database.session_scope() as session:
        assert session.scalars(select(Platform)).first() is None


def test_refusal_shows_the_platform_message(open_tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    moodle.mode = "refuse"
    assert "Tool already registered with this domain" in _register(open_tool, moodle).text


def test_wrong_registration_token(open_tool: Tool, moodle: FakeRegistrationPlatform) -> None:
    response = _register(open_tool, moodle, registration_token="forged")
    assert response.status_code == 502
    assert "Invalid registration token" in response.text


def test_unreachable_configuration(settings_factory: Callable[..., Settings], database: Database) -> None:
    """An allowed host where nothing listens: a 502 page, not an error."""
    with running_tool(settings_factory, database, lti_registration_hosts="127.0.0.1:9") as tool:
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
def test_bad_configuration_url(open_tool: Tool, value: str, code: str) -> None:
    response = requests.get(
        open_tool.url + "/lti/register", params={"openid_configuration": value}, timeout=10
    )
    assert response.status_code == 400
    assert code in response.text


@pytest.mark.parametrize("token", ["line\nbreak", "tab\tinside", "é-accent", "x" * 9000])
def test_unreadable_registration_token(open_tool: Tool, moodle: FakeRegistrationPlatform, token: str) -> None:
    """The token goes into an HTTP header: anything but visible ASCII is refused before any request."""
    response = _register(open_tool, moodle, registration_token=token)
    assert response.status_code == 400
    assert "lti.registration_bad_token" in response.text
    assert moodle.seen == []


# -- hostile configurations: no redirect followed, no endpoint on another host -----------------------


@pytest.mark.parametrize(
    ("mode", "status", "code", "seen"),
    [
        ("config_redirect", 502, "lti.registration_redirect", ["GET /mod/lti/openid-configuration.php"]),
        (
            "registration_redirect",
            502,
            "lti.registration_redirect",
            ["GET /mod/lti/openid-configuration.php", "POST /mod/lti/openid-registration.php"],
        ),
        (
            "registration_elsewhere",
            400,
            "lti.registration_endpoint_elsewhere",
            ["GET /mod/lti/openid-configuration.php"],
        ),
        (
            "jwks_elsewhere",
            400,
            "lti.registration_endpoint_elsewhere",
            ["GET /mod/lti/openid-configuration.php"],
        ),
    ],
)
def test_hostile_configuration_is_refused(
    open_tool: Tool, moodle: FakeRegistrationPlatform, mode: str, status: int, code: str, seen: list[str]
) -> None:
    """Each of these would register the tool if followed (the redirect target and the other host name
    answer correctly): the tool stops at the first answer, and never sends the registration elsewhere."""
    moodle.mode = mode
    response = _register(open_tool, moodle)
    assert response.status_code == status, response.text[:500]
    assert f"<code>{code}</code>" in response.text
    assert moodle.seen == seen
    assert _no_platform(open_tool)
