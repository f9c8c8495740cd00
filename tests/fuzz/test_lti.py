"""Hostile input on /lti/login, /lti/launch and /lti/register: never a 500, never a traceback, and
nothing written when the input is refused."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given
from hypothesis import strategies as st

from lti import claims as c
from tests.fuzz.conftest import FuzzTool
from tests.fuzz.strategies import any_text, hostile_urls, json_values, jwt_shaped, loopback_urls
from tests.fuzz.support import THOROUGH, check_answer, fuzz_settings, row_counts

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(0 if THOROUGH else 600)]

LOGIN_FIELDS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
    "lti_storage_target",
)
REMOVE = object()


def _counts(tool: FuzzTool) -> dict[str, int]:
    with tool.database.session_scope() as session:
        return row_counts(session)


def _login_params(tool: FuzzTool, data: st.DataObject) -> dict[str, str]:
    valid = tool.platform.login_initiation("4")
    params: dict[str, str] = {}
    for name in data.draw(st.lists(st.sampled_from(LOGIN_FIELDS), unique=True)):
        params[name] = data.draw(st.one_of(st.just(valid.get(name, "")), any_text))
    params.update(data.draw(st.dictionaries(any_text, any_text, max_size=3)))
    return params


@fuzz_settings
@given(data=st.data(), method=st.sampled_from(["GET", "POST"]))
def test_login_initiation(fuzz_tool: FuzzTool, data: st.DataObject, method: str) -> None:
    before = _counts(fuzz_tool)
    params = _login_params(fuzz_tool, data)
    if method == "GET":
        response = fuzz_tool.client.get("/lti/login", query_string=params)
    else:
        response = fuzz_tool.client.post("/lti/login", data=params)
    check_answer(response.status_code, response.get_data(as_text=True))
    assert _counts(fuzz_tool) == before  # a login only ever writes its one-time state


@fuzz_settings
@given(id_token=st.one_of(any_text, jwt_shaped), state=any_text, real_state=st.booleans())
def test_launch_with_garbage(fuzz_tool: FuzzTool, id_token: str, state: str, real_state: bool) -> None:
    before = _counts(fuzz_tool)
    if real_state:
        state, _nonce = fuzz_tool.login()
    response = fuzz_tool.client.post("/lti/launch", data={"id_token": id_token, "state": state})
    check_answer(response.status_code, response.get_data(as_text=True))
    assert 400 <= response.status_code < 500
    assert _counts(fuzz_tool) == before


@fuzz_settings
@given(
    kid=st.one_of(st.none(), st.just("platform"), any_text), alg=st.sampled_from(["RS256", "RS384", "RS512"])
)
def test_launch_signed_with_a_stranger_key(
    fuzz_tool: FuzzTool, stranger_key: rsa.RSAPrivateKey, kid: str | None, alg: str
) -> None:
    before = _counts(fuzz_tool)
    state, nonce = fuzz_tool.login()
    platform = fuzz_tool.platform
    claims = platform.claims_for(platform.users["4"], nonce, c.RESOURCE_LINK_REQUEST)
    headers = {"kid": platform.keyring.active_kid if kid == "platform" else kid} if kid is not None else None
    token = jwt.encode(claims, stranger_key, algorithm=alg, headers=headers)
    response = fuzz_tool.client.post("/lti/launch", data={"id_token": token, "state": state})
    check_answer(response.status_code, response.get_data(as_text=True))
    assert 400 <= response.status_code < 500
    assert _counts(fuzz_tool) == before


def _mutate(claims: dict[str, Any], data: st.DataObject) -> None:
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target: dict[str, Any] = claims
        nested = [k for k, v in claims.items() if isinstance(v, dict)]
        if data.draw(st.booleans()) and nested:
            target = claims[data.draw(st.sampled_from(nested))]
        key = data.draw(st.one_of(st.sampled_from(sorted(target) or ["x"]), st.text(max_size=12)))
        value = data.draw(
            st.one_of(
                st.just(REMOVE),
                json_values,
                st.integers(min_value=-(10**30), max_value=10**30),
                st.just(int(time.time()) - 3600),
            )
        )
        if value is REMOVE:
            target.pop(key, None)
        else:
            target[key] = value


def _sign_anything(tool: FuzzTool, claims: dict[str, Any]) -> str:
    """Sign with the platform's real key whatever the claims hold (PyJWT's encoder checks their types;
    a hostile platform's does not). Non-finite floats become strings: JSON has no NaN."""

    def finite(value: Any) -> Any:
        return value if not isinstance(value, float) or math.isfinite(value) else str(value)

    payload = json.dumps(claims, default=str, allow_nan=True, separators=(",", ":"))
    payload = json.dumps(json.loads(payload, parse_constant=finite), separators=(",", ":"))
    keyring = tool.platform.keyring
    header = {"typ": "JWT", "kid": keyring.active_kid}
    return jwt.api_jws.encode(payload.encode(), keyring.keys[keyring.active_kid], "RS256", header)


@fuzz_settings
@given(data=st.data(), message_type=st.sampled_from([c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST]))
def test_launch_with_mutated_claims(fuzz_tool: FuzzTool, data: st.DataObject, message_type: str) -> None:
    """Correctly signed by the registered platform, but with claims changed, removed or retyped."""
    before = _counts(fuzz_tool)
    state, nonce = fuzz_tool.login()
    platform = fuzz_tool.platform
    claims = platform.claims_for(
        platform.users[data.draw(st.sampled_from(sorted(platform.users)))], nonce, message_type
    )
    _mutate(claims, data)
    token = _sign_anything(fuzz_tool, claims)
    response = fuzz_tool.client.post("/lti/launch", data={"id_token": token, "state": state})
    check_answer(response.status_code, response.get_data(as_text=True))
    if response.status_code >= 400:
        assert _counts(fuzz_tool) == before


@fuzz_settings
@given(
    config_url=st.one_of(hostile_urls, loopback_urls),
    token=any_text,
    extra=st.dictionaries(any_text, any_text, max_size=3),
)
def test_dynamic_registration(
    fuzz_tool: FuzzTool, config_url: str, token: str, extra: dict[str, str]
) -> None:
    """Outgoing requests only reach 127.0.0.1 (the test guard refuses the rest, like an egress firewall):
    an unreachable or wrong configuration is a 4xx or 502 page."""
    before = _counts(fuzz_tool)
    params = {**extra, "openid_configuration": config_url, "registration_token": token}
    response = fuzz_tool.client.get("/lti/register", query_string=params)
    check_answer(response.status_code, response.get_data(as_text=True), platform_errors=True)
    assert response.status_code >= 400
    assert _counts(fuzz_tool) == before
