"""What a launch leads to: the agent record, the signed launch token carried in links and forms, the
learner and staff pages, deployment approval by an administrator, locale, framing by the LMS."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from sqlalchemy import select

from bridge.agents.models import Agent
from bridge.audit.models import AuditEvent
from lti import claims as c
from lti.models import Deployment, Platform
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool

ADMIN_SUB = "2"


def _token(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.url).query)["t"][0]


def test_learner_page_carries_the_token_and_explains(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    page = platform.launch(http, "4")
    assert "30 à 40 questions" in page.text
    assert "Aucune limite de temps" in page.text
    assert "reprendre plus tard" in page.text
    token = _token(page)
    # The "open in a new window" link carries the token and opens a new window.
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*target="_blank"', page.text)
    assert link is not None
    assert "t=" in link.group(1)
    assert "frame-check.js" in page.text
    # Without any cookie (blocked in the iframe), the token alone opens the page.
    fresh = requests.get(tool.url + "/parcours", params={"t": token}, timeout=5)
    assert fresh.status_code == 200
    assert "Bonjour Agent" in fresh.text


def test_session_cookie_is_a_fallback_for_navigation(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.launch(http, "4")
    assert http.get(tool.url + "/parcours", timeout=5).status_code == 200  # cookie only


def test_missing_or_forged_token_says_the_session_expired(tool: Tool) -> None:
    for params in ({}, {"t": "forged"}):
        response = requests.get(tool.url + "/parcours", params=params, timeout=5)
        assert response.status_code == 401
        assert "Votre session a expiré : relancez l&#39;activité depuis votre plateforme" in response.text


def test_learners_cannot_open_staff_pages(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    token = _token(platform.launch(http, "4"))
    assert requests.get(tool.url + "/equipe", params={"t": token}, timeout=5).status_code == 403


def test_instructor_goes_to_the_staff_page(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    page = platform.launch(http, "23")
    assert urlsplit(page.url).path == "/equipe"
    assert "Formateur" in page.text
    assert platform.course_title in page.text
    assert "Déploiements en attente" not in page.text


def test_launch_locale_drives_the_language(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.claim_overrides[c.LAUNCH_PRESENTATION] = {"locale": "en_GB", "document_target": "iframe"}
    page = platform.launch(http, "4")
    assert 'lang="en"' in page.text


def test_admin_approves_a_pending_deployment(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    with tool.database.session_scope() as session:
        platform_id = session.scalars(select(Platform.id)).one()
        session.add(Deployment(platform_id=platform_id, deployment_id="77", active=False))
    page = platform.launch(http, ADMIN_SUB)
    assert urlsplit(page.url).path == "/equipe"
    assert "Administrateur" in page.text
    assert tool.url + "/lti/register" in page.text
    assert "Approuver le déploiement 77" in page.text

    form = re.search(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="t" value="([^"]+)">', page.text
    )
    assert form is not None
    url = urljoin(page.url, form.group(1))
    # Without the token (a cross-site forged POST relying on the cookie) the approval is refused.
    assert http.post(url, timeout=5).status_code == 401
    approved = http.post(url, data={"t": form.group(2)}, timeout=5)
    assert approved.status_code == 200
    assert "est approuvé" in approved.text
    with tool.database.session_scope() as session:
        assert session.scalars(select(Deployment).where(Deployment.deployment_id == "77")).one().active
        event = session.scalars(select(AuditEvent)).one()
        assert event.action == "lti.deployment_approved"


def test_agent_imported_before_launch_is_matched(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    with tool.database.session_scope() as session:
        session.add(
            Agent(external_id="AG-001", directorate="DGFIP", unit="SIP Lyon", email="old@example.com")
        )
    platform.launch(http, "4")
    with tool.database.session_scope() as session:
        agent = session.scalars(select(Agent)).one()
        assert (agent.sub, agent.directorate, agent.unit) == ("4", "DGFIP", "SIP Lyon")
        assert agent.email == "agent1@example.com"


def test_frame_ancestors_list_the_registered_platforms(tool: Tool, platform: TestPlatform) -> None:
    csp = requests.get(tool.url + "/", timeout=5).headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.server_url}" in csp


def test_staff_open_the_console_in_a_new_window(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    """The administrator's launch page links to the console; the link hands off to a first-party session."""
    staff = platform.launch(http, "2")
    assert staff.status_code == 200, staff.text[:300]
    assert urlsplit(staff.url).path == "/equipe"
    assert "Ouvrir la console" in staff.text
    token = parse_qs(urlsplit(staff.url).query)["t"][0]
    with requests.Session() as window:  # the new window: no cookie of the iframe
        console = window.get(f"{tool.url}/equipe/console", params={"t": token}, timeout=10)
        assert console.status_code == 200, console.text[:300]
        assert urlsplit(console.url).path.startswith("/admin")
        assert "Plateformes LTI" in console.text
