"""Deep Linking: the instructor picks what to place; the signed response is verified by the platform with
the tool's JWKS fetched over HTTP."""

from __future__ import annotations

from urllib.parse import urljoin

import jwt
import requests

from bridge.campaigns.models import Campaign
from lti import claims as c
from tests.fakes.lti_platform import TestPlatform, parse_form
from tests.lti.conftest import Tool

INSTRUCTOR_SUB = "23"


def _choose(http: requests.Session, page: requests.Response, choice: str) -> requests.Response:
    action, fields = parse_form(page.text)
    fields["choice"] = choice
    return http.post(urljoin(page.url, action), data=fields, timeout=10)


def test_deep_linking_returns_a_resource_link_with_a_line_item(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    page = platform.launch(http, INSTRUCTOR_SUB, message_type=c.DEEP_LINKING_REQUEST)
    assert page.status_code == 200, page.text[:500]
    assert "Ajouter PACNum à votre cours" in page.text
    assert 'value="self-assessment"' in page.text

    returning = _choose(http, page, "self-assessment")
    assert returning.status_code == 200
    assert "autopost.js" in returning.text
    action, fields = parse_form(returning.text)
    assert action.startswith(platform.deep_link_return_url)

    fetches = platform.tool_jwks_fetches
    done = http.post(action, data=fields, timeout=10)  # the platform verifies the JWT with our JWKS
    assert done.status_code == 200, done.text
    assert platform.tool_jwks_fetches == fetches + 1

    (message,) = platform.deep_link_returns
    assert message["iss"] == platform.client_id
    assert message["aud"] == platform.issuer
    assert message[c.DEPLOYMENT_ID] == "1"
    assert message[c.MESSAGE_TYPE] == "LtiDeepLinkingResponse"
    assert message[c.VERSION] == "1.3.0"
    assert message[c.DL_DATA].startswith("ltideeplink-")  # echoed
    (item,) = message[c.DL_CONTENT_ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == tool.url + "/lti/launch"
    assert item["title"] == "Auto-évaluation des compétences numériques"
    assert item["lineItem"] == {
        "scoreMaximum": 100,
        "label": "PACNum - auto-évaluation",
        "resourceId": "self-assessment",
        "tag": "pacnum-self-assessment",
    }
    header = jwt.get_unverified_header(fields["JWT"])
    published = requests.get(tool.url + "/lti/jwks", timeout=5).json()["keys"]
    assert header["kid"] in {key["kid"] for key in published}
    assert header["alg"] == "RS256"


def test_campaigns_are_offered_with_their_custom_parameter(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    with tool.database.session_scope() as session:
        session.add(Campaign(code="DGFIP-2026-V1", name="DGFIP vague 1", description="Agents des SIP"))
        session.add(Campaign(code="OLD", name="Ancienne", active=False))
    page = platform.launch(http, INSTRUCTOR_SUB, message_type=c.DEEP_LINKING_REQUEST)
    assert "campagne DGFIP vague 1" in page.text
    assert "Ancienne" not in page.text
    action, fields = parse_form(_choose(http, page, "campaign:DGFIP-2026-V1").text)
    http.post(action, data=fields, timeout=10)
    (item,) = platform.deep_link_returns[0][c.DL_CONTENT_ITEMS]
    assert item["custom"] == {"campaign": "DGFIP-2026-V1"}
    assert item["lineItem"]["tag"] == "pacnum-campaign-DGFIP-2026-V1"


def test_learners_cannot_place_content(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    page = platform.launch(http, "4", message_type=c.DEEP_LINKING_REQUEST)
    assert page.status_code == 403
    assert "lti.deep_linking_forbidden" in page.text


def test_a_choice_cannot_be_submitted_twice_or_forged(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    page = platform.launch(http, INSTRUCTOR_SUB, message_type=c.DEEP_LINKING_REQUEST)
    action, fields = parse_form(page.text)
    action = urljoin(page.url, action)
    unknown = http.post(action, data={**fields, "choice": "nope"}, timeout=10)
    assert (unknown.status_code, "lti.unknown_choice" in unknown.text) == (400, True)
    again = _choose(http, page, "self-assessment")
    assert (again.status_code, "lti.launch_expired" in again.text) == (400, True)
    forged = http.post(action, data={"launch_id": "forged", "choice": "self-assessment"}, timeout=10)
    assert forged.status_code == 400
