"""The whole launch over HTTP against the test platform, shaped like the Moodle 4.5 samples."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import requests
from sqlalchemy import select

from bridge.agents.models import Agent
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool


def test_login_redirects_like_moodle_expects(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    ticket = platform.start_login(http, "4")
    parts = urlsplit(ticket.location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == platform.auth_url
    query = parse_qsl(parts.query)
    # Same parameters, same order as the Moodle sample's step 2.
    assert [name for name, _ in query] == [
        "scope",
        "response_type",
        "response_mode",
        "prompt",
        "client_id",
        "redirect_uri",
        "login_hint",
        "state",
        "nonce",
        "lti_message_hint",
    ]
    values = dict(query)
    assert values["redirect_uri"] == tool.url + "/lti/launch"
    assert values["client_id"] == platform.client_id
    assert values["login_hint"] == "4"


def test_moodle_learner_launch_creates_the_agent(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    response = platform.launch(http, "4")
    assert response.status_code == 200, response.text[:800]
    assert urlsplit(response.url).path == "/parcours"
    assert "Bonjour Agent" in response.text
    with tool.database.session_scope() as session:
        agent = session.scalars(select(Agent)).one()
        assert (agent.sub, agent.username, agent.email) == ("4", "agent1", "agent1@example.com")
        assert agent.lms_user_id == 4
        assert agent.external_id == "AG-001"
        assert (agent.given_name, agent.family_name) == ("Agent", "Number1")
        assert agent.last_launch_at is not None
