"""The agent's self-assessment in the LMS: launch -> questions -> results -> grade in the gradebook,
over real HTTP against the test platform, the agent's session carried by the launch token only."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from bridge.assessment.bank_model import Item, ItemKind, ShortAnswerKey
from bridge.assessment.models import Assessment, AssessmentResponse, ScoreOutbox
from bridge.assessment.runtime import AssessmentRuntime
from bridge.assessment.store import DEFAULT_BANK_DIR, import_directory
from bridge.catalog.demo import seed_catalogue
from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation
from config.framework import load_framework
from tests.fakes.lti_platform import TestPlatform
from tests.lti.conftest import Tool

pytestmark = pytest.mark.usefixtures("bank_in_tool")


@pytest.fixture
def bank_in_tool(tool: Tool) -> None:
    with tool.database.session_scope() as session:
        import_directory(session, DEFAULT_BANK_DIR, load_framework())


def token_of(response: requests.Response) -> str:
    return parse_qs(urlsplit(response.url).query)["t"][0]


def current(tool: Tool) -> tuple[Assessment, Item]:
    runtime = AssessmentRuntime()
    with tool.database.session_scope() as session:
        assessment = session.scalars(select(Assessment).where(Assessment.status == "in_progress")).one()
        item = runtime.engine(session).items[assessment.current_item_id or ""]
        session.expunge_all()
    return assessment, item


def answer_fields(item: Item, *, right: bool) -> dict[str, Any]:
    if isinstance(item.answer, ShortAnswerKey):
        return {"text": item.answer.accepted[0] if right else "pas du tout"}
    if item.kind is ItemKind.SINGLE_CHOICE:
        other = next(o.id for o in item.options if o.id != item.answer)
        return {"choice": item.answer if right else other}
    if item.kind is ItemKind.MULTIPLE_CHOICE:
        return {"choice": list(item.answer) if right else [item.options[0].id]}  # type: ignore[arg-type]
    order = list(item.answer) if right else list(reversed(item.answer))  # type: ignore[arg-type]
    return {f"position-{option_id}": str(order.index(option_id) + 1) for option_id in order}


def start(tool: Tool, http: requests.Session, token: str) -> requests.Response:
    page = http.get(f"{tool.url}/parcours/evaluation", params={"t": token}, timeout=10)
    assert page.status_code == 200
    assert "Commencer l'évaluation" in page.text
    response = http.post(f"{tool.url}/parcours/evaluation/commencer", data={"t": token}, timeout=10)
    assert response.status_code == 200
    assert urlsplit(response.url).path == "/parcours/evaluation/question"
    return response


def answer_all(tool: Tool, http: requests.Session, token: str, *, right: bool = True) -> requests.Response:
    for _ in range(60):
        _, item = current(tool)
        data = {"t": token, "item": item.id, "action": "answer", **answer_fields(item, right=right)}
        response = http.post(f"{tool.url}/parcours/evaluation/question", data=data, timeout=10)
        assert response.status_code == 200, response.text[:400]
        if urlsplit(response.url).path.startswith("/parcours/resultats/"):
            return response
    raise AssertionError("the assessment did not end")


def test_launch_assessment_results_and_grade(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    home = platform.launch(http, "4")
    assert "Commencer mon auto-évaluation" in home.text
    token = token_of(home)
    first = start(tool, http, token)
    assert "Question 1 sur environ" in first.text
    assert "Je ne sais pas" in first.text
    results = answer_all(tool, http, token)
    assert "Bravo, vous avez terminé" in results.text
    assert results.text.count('<th scope="row">') == 16  # the table equivalent of the chart
    assert 'role="img"' in results.text
    with tool.database.session_scope() as session:
        assessment = session.scalars(select(Assessment)).one()
        row = session.scalars(select(ScoreOutbox)).one()
        assert (assessment.status, row.status) == ("finished", "sent")
        percent = assessment.score_percent
    scores = platform.scores()
    assert len(scores) == 1
    assert scores[0]["userId"] == "4"
    assert scores[0]["scoreGiven"] == percent
    assert scores[0]["scoreMaximum"] == 100
    assert scores[0]["activityProgress"] == "Completed"


def test_relaunch_resumes_on_the_same_question(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    for _ in range(3):
        _, item = current(tool)
        data = {"t": token, "item": item.id, "action": "dont_know"}
        http.post(f"{tool.url}/parcours/evaluation/question", data=data, timeout=10)
    before, item = current(tool)
    # The agent closes the iframe and launches again from Moodle.
    with requests.Session() as again:
        home = platform.launch(again, "4")
        assert "Reprendre l'évaluation" in home.text
        page = again.get(f"{tool.url}/parcours/evaluation/question", params={"t": token_of(home)}, timeout=10)
    assert "Question 4 sur environ" in page.text
    after, same = current(tool)
    assert (after.id, same.id) == (before.id, item.id)


def test_double_submit_records_one_answer(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    _, item = current(tool)
    data = {"t": token, "item": item.id, "action": "dont_know"}
    http.post(f"{tool.url}/parcours/evaluation/question", data=data, timeout=10)
    again = http.post(f"{tool.url}/parcours/evaluation/question", data=data, timeout=10)
    assert "Votre réponse précédente a bien été enregistrée" in again.text
    with tool.database.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(AssessmentResponse)) == 1


def test_incomplete_answer_is_a_422_with_the_reason(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    _, item = current(tool)
    data = {"t": token, "item": item.id, "action": "answer"}
    response = http.post(f"{tool.url}/parcours/evaluation/question", data=data, timeout=10)
    assert response.status_code == 422
    assert "fr-message--error" in response.text
    assert 'aria-labelledby="question-legend question-error"' in response.text
    forged = {"t": token, "item": item.id, "action": "answer", "choice": "zz", "text": "x" * 600}
    forged.update({f"position-{o.id}": "1" for o in item.options})
    assert http.post(f"{tool.url}/parcours/evaluation/question", data=forged, timeout=10).status_code == 422
    with tool.database.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(AssessmentResponse)) == 0


def test_pages_need_the_launch_token(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    with requests.Session() as stranger:
        assert stranger.get(f"{tool.url}/parcours/evaluation", timeout=10).status_code == 401
        response = stranger.post(
            f"{tool.url}/parcours/evaluation/commencer", data={"t": "forged"}, timeout=10
        )
        assert response.status_code == 401
        assert "Session expirée" in response.text


def test_results_of_another_agent_are_not_found(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    answer_all(tool, http, token, right=False)
    with tool.database.session_scope() as session:
        assessment_id = session.scalars(select(Assessment.id)).one()
    with requests.Session() as other:
        other_token = token_of(platform.launch(other, "21"))
        url = f"{tool.url}/parcours/resultats/{assessment_id}"
        assert other.get(url, params={"t": other_token}, timeout=10).status_code == 404


def test_retake_too_soon_is_explained(tool: Tool, platform: TestPlatform, http: requests.Session) -> None:
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    answer_all(tool, http, token)
    page = http.get(f"{tool.url}/parcours/evaluation", params={"t": token}, timeout=10)
    assert "Vous pourrez en recommencer une à partir du" in page.text
    response = http.post(f"{tool.url}/parcours/evaluation/commencer", data={"t": token}, timeout=10)
    assert response.status_code == 409


def test_gradebook_down_keeps_the_grade_queued(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    platform.claim_overrides["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitem": "http://127.0.0.1:9/mod/lti/services.php/2/lineitems/1/lineitem?type_id=1",
    }
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    results = answer_all(tool, http, token)
    assert "Bravo, vous avez terminé" in results.text
    with tool.database.session_scope() as session:
        row = session.scalars(select(ScoreOutbox)).one()
        assert row.status == "pending"
        assert row.attempts == 1
        assert row.next_attempt_at > row.created_at
        assert row.last_error


def test_results_lead_to_recommended_trainings(
    tool: Tool, platform: TestPlatform, http: requests.Session
) -> None:
    with tool.database.session_scope() as session:
        seed_catalogue(session, tool.settings)
    token = token_of(platform.launch(http, "4"))
    start(tool, http, token)
    results = answer_all(tool, http, token, right=False)
    assert "formations choisies pour vous" in results.text
    page = http.get(f"{tool.url}/parcours/recommandations", params={"t": token}, timeout=10)
    assert page.status_code == 200
    with tool.database.session_scope() as session:
        proposed = session.scalars(select(Recommendation).where(Recommendation.status == "proposed")).all()
        titles = [session.get(Training, r.training_id).title for r in proposed]  # type: ignore[union-attr]
    assert 1 <= len(titles) <= 5
    assert all(title in page.text for title in titles)
