"""LTI Advantage services against the test platform: tokens, AGS scores on Moodle-style line item URLs,
line items found or created, NRPS paging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from config.crypto import SecretBox
from lti import claims as c
from lti.models import Platform
from lti.services.ags import service_url
from lti.services.client import ScoreToSend, ServiceOptions, nrps_client, send_score
from lti.services.errors import ServiceAuthError, ServiceUnavailableError
from lti.services.nrps import next_page_url
from tests.fakes.lti_platform import TEST_USERS, TestPlatform
from tests.lti.conftest import Tool


def _box(tool: Tool) -> SecretBox:
    return SecretBox(tool.settings.encryption_keys())


def _platform_id(tool: Tool) -> int:
    with tool.database.session_scope() as session:
        return session.scalars(select(Platform.id)).one()


def _lineitem_url(platform: TestPlatform) -> str:
    claims = platform.claims_for(platform.users["4"], "n", c.RESOURCE_LINK_REQUEST)
    url: str = claims[c.AGS_ENDPOINT]["lineitem"]
    return url


def test_scores_url_keeps_moodle_query_string() -> None:
    url = "http://m.example/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"
    assert (
        service_url(url, "/scores")
        == "http://m.example/mod/lti/services.php/2/lineitems/2/lineitem/scores?type_id=1"
    )
    assert service_url("http://x/li/", "/scores") == "http://x/li/scores"


def test_score_posted_to_moodle_style_line_item(tool: Tool, platform: TestPlatform) -> None:
    lineitem = _lineitem_url(platform)
    assert lineitem.endswith("/lineitem?type_id=1")
    when = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    score = ScoreToSend(
        platform_id=_platform_id(tool),
        user_sub="4",
        score_given=72.5,
        score_maximum=100,
        lineitem_url=lineitem,
        comment="Niveau moyen 3,4",
        timestamp=when,
    )
    with tool.database.session_scope() as session:
        send_score(session, _box(tool), score)
        send_score(session, _box(tool), score)
    assert (
        platform.gradebook.score_requests
        == ["/mod/lti/services.php/2/lineitems/1/lineitem/scores?type_id=1"] * 2
    )
    sent = platform.scores()[0]
    assert sent["userId"] == "4"
    assert (sent["scoreGiven"], sent["scoreMaximum"]) == (72.5, 100)
    assert (sent["activityProgress"], sent["gradingProgress"]) == ("Completed", "FullyGraded")
    assert sent["timestamp"] == "2026-03-02T09:30:00.000+00:00"
    assert sent["comment"] == "Niveau moyen 3,4"
    assert platform.token_requests == 1  # the access token is cached (shared storage)


def test_line_item_found_or_created_by_resource_link(tool: Tool, platform: TestPlatform) -> None:
    lineitems = platform.url(f"/mod/lti/services.php/{platform.course_id}/lineitems?type_id=1")
    score = ScoreToSend(
        platform_id=_platform_id(tool),
        user_sub="4",
        score_given=40,
        score_maximum=100,
        lineitems_url=lineitems,
        resource_link_id="7",
    )
    with tool.database.session_scope() as session:
        send_score(session, _box(tool), score)
        send_score(session, _box(tool), score)
    created = [item for item in platform.gradebook.items.values() if item.get("resourceLinkId") == "7"]
    assert len(created) == 1
    assert created[0]["tag"] == "pacnum-self-assessment"
    assert len(platform.scores()) == 2


def test_platform_refusing_the_token_is_an_auth_error(tool: Tool, platform: TestPlatform) -> None:
    platform.client_id = "another-client"  # the platform no longer knows our client id
    score = ScoreToSend(_platform_id(tool), "4", 1, 100, lineitem_url=_lineitem_url(platform))
    with tool.database.session_scope() as session, pytest.raises(ServiceAuthError) as raised:
        send_score(session, _box(tool), score)
    assert raised.value.retryable is False


def test_unreachable_platform_is_retryable(tool: Tool, platform: TestPlatform) -> None:
    with tool.database.session_scope() as session:
        stored = session.scalars(select(Platform)).one()
        stored.auth_token_url = "http://127.0.0.1:9/mod/lti/token.php"
    score = ScoreToSend(_platform_id(tool), "4", 1, 100, lineitem_url=_lineitem_url(platform))
    with tool.database.session_scope() as session, pytest.raises(ServiceUnavailableError) as raised:
        send_score(session, _box(tool), score, ServiceOptions(timeout=2))
    assert raised.value.retryable is True


def test_nrps_follows_lower_case_link_header_without_altering_the_url(
    tool: Tool, platform: TestPlatform
) -> None:
    platform.gradebook.page_size = 2
    platform.gradebook.link_header_name = "link"
    url = platform.url(f"/mod/lti/services.php/CourseSection/{platform.course_id}/bindings/1/memberships")
    with tool.database.session_scope() as session:
        members = list(nrps_client(session, _box(tool), _platform_id(tool)).members(url))
    assert [m.user_id for m in members] == [u.sub for u in TEST_USERS]
    assert members[0].lis_person_sourcedid == "AG-001"
    assert members[0].roles == ("http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://lms.example/m?PageToken=AbC>; rel="next"', "https://lms.example/m?PageToken=AbC"),
        ('<https://l/x?p=Q1>; REL="NEXT"', "https://l/x?p=Q1"),
        ('<https://l/a>; rel="differences", <https://l/B?c=D>; rel="next"', "https://l/B?c=D"),
        ('<https://l/a>; rel="prev first"', None),
        ("", None),
        ("<https://l/a>; rel=next", "https://l/a"),
    ],
)
def test_next_page_url(header: str, expected: str | None) -> None:
    assert next_page_url(header) == expected
