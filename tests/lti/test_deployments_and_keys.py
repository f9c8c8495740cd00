"""Deployments awaiting approval, platform key rotation (JWKS cache and refetch), tool key rotation."""

from __future__ import annotations

import pytest
import requests
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from lti import claims as c
from lti.keys import signing_key
from lti.models import Deployment, Platform, ToolKey
from lti.services.tokens import PlatformEndpoints, client_assertion
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool


def _code(response: requests.Response) -> str:
    text = response.text
    start = text.find("<code>lti.")
    return text[start + 6 : text.find("</code>", start)] if start >= 0 else ""


def test_unknown_deployment_is_recorded_then_approved(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.claim_overrides[c.DEPLOYMENT_ID] = "42"
    first = platform.launch(http, "4")
    assert first.status_code == 403
    assert _code(first) == "lti.unknown_deployment"
    assert "42" in first.text
    assert "approuvé" in first.text
    with tool.database.session_scope() as session:
        deployment = session.scalars(select(Deployment).where(Deployment.deployment_id == "42")).one()
        assert deployment.active is False

    again = platform.launch(http, "4")
    assert (again.status_code, _code(again)) == (403, "lti.deployment_pending")

    runner: FlaskCliRunner = tool.app.test_cli_runner()
    listed = runner.invoke(args=["lti", "deployments", "--pending"])
    assert "deployment=42  PENDING" in listed.output
    result = runner.invoke(args=["lti", "deployment-approve", platform.issuer, "42"])
    assert result.exit_code == 0, result.output
    assert platform.launch(http, "4").status_code == 200

    runner.invoke(args=["lti", "deployment-deactivate", platform.issuer, "42"])
    refused = platform.launch(http, "4")
    assert (refused.status_code, _code(refused)) == (403, "lti.deployment_inactive")


def test_approving_an_unknown_deployment_explains_what_to_do(tool: Tool, platform: TestPlatform) -> None:
    result = tool.app.test_cli_runner().invoke(args=["lti", "deployment-approve", platform.issuer, "nope"])
    assert result.exit_code != 0
    assert "lti deployments" in result.output


def test_platform_key_rotation_refetches_the_jwks(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    assert platform.launch(http, "4").status_code == 200
    assert platform.jwks_fetches == 1
    assert platform.launch(http, "4").status_code == 200
    assert platform.jwks_fetches == 1  # cached in the database, shared by every worker

    platform.rotate_keys()  # a new kid, the old key withdrawn
    assert platform.launch(http, "4").status_code == 200
    assert platform.jwks_fetches == 2
    assert platform.launch(http, "4").status_code == 200
    assert platform.jwks_fetches == 2


def test_unknown_kid_refetches_are_rate_limited(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    assert platform.launch(http, "4").status_code == 200
    platform.jwks_override = platform.keyring.jwks()
    platform.sign_kid = platform.keyring.add_key(activate=False)
    first = platform.launch(http, "4")
    assert _code(first) == "lti.unknown_kid"
    assert platform.jwks_fetches == 2  # one refetch for the unknown kid
    second = platform.launch(http, "4")
    assert _code(second) == "lti.unknown_kid"
    assert platform.jwks_fetches == 2  # not again within BRIDGE_LTI_JWKS_REFETCH_SECONDS
    with tool.database.session_scope() as session:
        stored = session.scalars(select(Platform)).one()
        assert stored.jwks_refetched_at is not None


def _tool_jwks(tool: Tool) -> dict[str, object]:
    response = requests.get(tool.url + "/lti/jwks", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    data: dict[str, object] = response.json()
    return data


def test_tool_jwks_is_published_at_both_addresses(tool: Tool) -> None:
    keys = _tool_jwks(tool)["keys"]
    assert isinstance(keys, list)
    assert len(keys) == 1
    key = keys[0]
    assert {key["kty"], key["alg"], key["use"]} == {"RSA", "RS256", "sig"}
    assert "d" not in key
    assert "p" not in key
    assert requests.get(tool.url + "/.well-known/jwks.json", timeout=5).json() == {"keys": keys}
    with tool.database.session_scope() as session:
        stored = session.scalars(select(ToolKey)).one()
        assert "PRIVATE KEY" not in stored.private_key_encrypted  # encrypted at rest


def test_tool_key_rotation_keeps_the_old_key_during_the_grace(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    old_kid = _tool_jwks(tool)["keys"][0]["kid"]  # type: ignore[index]
    # An assertion signed with the old key, as a sync job started before the rotation would send.
    with tool.app.app_context(), tool.database.session_scope() as session:
        old_assertion = client_assertion(
            PlatformEndpoints(1, platform.client_id, platform.token_url),
            signing_key(session, tool.app.extensions["lti"].secret_box),
        )

    result = tool.app.test_cli_runner().invoke(args=["lti", "rotate-keys", "--grace-days", "7"])
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in _tool_jwks(tool)["keys"]]  # type: ignore[union-attr]
    assert len(kids) == 2
    assert old_kid in kids
    new_kid = next(kid for kid in kids if kid != old_kid)

    # The LMS still accepts what the old key signed during the grace period...
    granted = requests.post(
        platform.token_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": old_assertion,
            "scope": c.SCOPE_SCORE,
        },
        timeout=5,
    )
    assert granted.status_code == 200, granted.text
    # ...and new messages are signed with the new key.
    with tool.app.app_context(), tool.database.session_scope() as session:
        assert signing_key(session, tool.app.extensions["lti"].secret_box).kid == new_kid

    # After the grace period the old key leaves the JWKS.
    with tool.database.session_scope() as session:
        old = session.scalars(select(ToolKey).where(ToolKey.kid == old_kid)).one()
        old.publish_until = old.retired_at
    assert [key["kid"] for key in _tool_jwks(tool)["keys"]] == [new_kid]  # type: ignore[union-attr]


@pytest.mark.parametrize("grace", ["-1", "abc"])
def test_rotate_keys_refuses_a_bad_grace(tool: Tool, grace: str) -> None:
    result = tool.app.test_cli_runner().invoke(args=["lti", "rotate-keys", "--grace-days", grace])
    assert result.exit_code == 2
