"""Every refusal of the launch: a 4xx page in French with its error code, and never the token in logs."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from lti import claims as c
from tests.fakes.lti_platform import REMOVE, TestPlatform
from tests.lti.conftest import Tool, register

Knob = Callable[[TestPlatform], None]


def _claims(**values: object) -> Knob:
    def apply(platform: TestPlatform) -> None:
        platform.claim_overrides.update(values)

    return apply


def _times(iat_offset: int, exp_offset: int) -> Knob:
    def apply(platform: TestPlatform) -> None:
        now = int(time.time())
        platform.claim_overrides.update({"iat": now + iat_offset, "exp": now + exp_offset})

    return apply


def _bad_signature(platform: TestPlatform) -> None:
    published = platform.keyring.active_kid
    platform.sign_kid = platform.keyring.add_key(activate=False)  # signed by another key...
    platform.header_overrides = {"kid": published}  # ...claiming to be the published one


def _unknown_kid(platform: TestPlatform) -> None:
    platform.jwks_override = platform.keyring.jwks()
    platform.sign_kid = platform.keyring.add_key(activate=False)  # never published


CASES: list[tuple[str, Knob, int, str]] = [
    ("bad signature", _bad_signature, 401, "lti.bad_signature"),
    ("unknown kid", _unknown_kid, 401, "lti.unknown_kid"),
    ("expired beyond leeway", _times(-300, -120), 401, "lti.expired"),
    ("iat in the future beyond leeway", _times(300, 360), 401, "lti.iat_future"),
    ("wrong aud", _claims(aud="another-tool"), 401, "lti.wrong_aud"),
    ("azp of another tool", _claims(aud=["cH8DYLoAXmmdZq1", "other"], azp="other"), 401, "lti.azp_mismatch"),
    ("aud list without azp", _claims(aud=["cH8DYLoAXmmdZq1", "other"]), 401, "lti.azp_mismatch"),
    ("wrong iss", _claims(iss="https://moodle.attacker.example"), 401, "lti.wrong_iss"),
    ("nonce of another login", _claims(nonce="not-the-nonce-we-sent"), 401, "lti.nonce_mismatch"),
    (
        "wrong message type",
        _claims(**{c.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}),
        400,
        "lti.wrong_message_type",
    ),
    ("wrong version", _claims(**{c.VERSION: "1.1.0"}), 400, "lti.wrong_version"),
    ("missing sub", _claims(sub=REMOVE), 400, "lti.missing_sub"),
    ("empty sub", _claims(sub=""), 400, "lti.missing_sub"),
    ("missing resource link", _claims(**{c.RESOURCE_LINK: REMOVE}), 400, "lti.missing_resource_link"),
    (
        "resource link without id",
        _claims(**{c.RESOURCE_LINK: {"title": "x"}}),
        400,
        "lti.missing_resource_link",
    ),
    ("missing deployment", _claims(**{c.DEPLOYMENT_ID: REMOVE}), 400, "lti.missing_deployment"),
    ("missing exp", _claims(exp=REMOVE), 400, "lti.malformed_jwt"),
    (
        "target link of another tool",
        _claims(**{c.TARGET_LINK_URI: "https://evil.example/launch"}),
        400,
        "lti.bad_target_link_uri",
    ),
]


def _post(http: requests.Session, tool: Tool, **form: str) -> requests.Response:
    return http.post(tool.url + "/lti/launch", data=form, timeout=10)


def _assert_refused(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:600])
    assert f"<code>{code}</code>" in response.text
    assert 'lang="fr"' in response.text


@pytest.mark.parametrize(
    ("knob", "status", "code"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_refusal(
    tool: Tool,
    platform: TestPlatform,
    http: requests.Session,
    caplog: pytest.LogCaptureFixture,
    knob: Knob,
    status: int,
    code: str,
) -> None:
    caplog.set_level("DEBUG")
    ticket = platform.start_login(http, "4")
    knob(platform)
    token = platform.id_token("4", ticket.nonce)
    response = _post(http, tool, id_token=token, state=ticket.state)
    _assert_refused(response, status, code)
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text


def test_replayed_id_token_is_refused(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    ticket = platform.start_login(http, "4")
    token = platform.id_token("4", ticket.nonce)
    first = _post(http, tool, id_token=token, state=ticket.state)
    assert first.status_code == 200
    again = _post(requests.Session(), tool, id_token=token, state=ticket.state)
    _assert_refused(again, 401, "lti.nonce_replayed")


def test_replay_with_a_fresh_state_is_refused(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    ticket = platform.start_login(http, "4")
    token = platform.id_token("4", ticket.nonce)
    assert _post(http, tool, id_token=token, state=ticket.state).status_code == 200
    other = platform.start_login(http, "4")
    _assert_refused(_post(http, tool, id_token=token, state=other.state), 401, "lti.nonce_mismatch")


def test_missing_state(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    ticket = platform.start_login(http, "4")
    _assert_refused(
        _post(http, tool, id_token=platform.id_token("4", ticket.nonce)), 400, "lti.state_missing"
    )


def test_unknown_state(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    ticket = platform.start_login(http, "4")
    token = platform.id_token("4", ticket.nonce)
    _assert_refused(_post(http, tool, id_token=token, state="forged-state"), 400, "lti.state_unknown")


def test_missing_id_token(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    _assert_refused(_post(http, tool, state="x"), 400, "lti.id_token_missing")


@pytest.mark.parametrize("garbage", ["hello", "not a token at all", "a.b", "....", "x" * 5000])
def test_non_jwt_garbage(tool: Tool, platform: TestPlatform, http: requests.Session, garbage: str) -> None:
    _assert_refused(_post(http, tool, id_token=garbage, state="x"), 400, "lti.not_a_jwt")


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",  # not base64 JSON
        "eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln",  # no kid
        "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsifQ.eyJ4IjoxfQ.c2ln",  # HS256 (algorithm confusion)
        "eyJhbGciOiJub25lIiwia2lkIjoiayJ9.eyJ4IjoxfQ.c2ln",  # alg none
        "WzFd.WzFd.c2ln",  # JSON arrays, not objects
    ],
)
def test_malformed_jwt(tool: Tool, platform: TestPlatform, http: requests.Session, token: str) -> None:
    _assert_refused(_post(http, tool, id_token=token, state="x"), 400, "lti.malformed_jwt")


def test_clock_skew_within_leeway_is_accepted(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    ticket = platform.start_login(http, "4")
    now = int(time.time())
    platform.claim_overrides.update({"iat": now + 40, "exp": now + 100})
    response = _post(http, tool, id_token=platform.id_token("4", ticket.nonce), state=ticket.state)
    assert response.status_code == 200


def test_unreachable_platform_keys_give_a_clear_502(tool: Tool, http: requests.Session) -> None:
    with TestPlatform(tool.url) as platform:
        register(tool.database, platform)
        ticket = platform.start_login(http, "4")
        token = platform.id_token("4", ticket.nonce)
    # The platform is gone: its JWKS cannot be fetched.
    _assert_refused(_post(http, tool, id_token=token, state=ticket.state), 502, "lti.jwks_unavailable")
