"""Accepting a recommendation in a real browser, with the keyboard and with a click."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.catalog.models import Training
from bridge.recommendations.models import Recommendation
from bridge.recommendations.operations import recommend
from tests.support import agent_access, domain
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def agent_id(db_session: Session) -> int:
    domain.training(db_session, "SECU-1", {"4.1": (0, 2, 3)}, title="Les bons réflexes de sécurité")
    domain.training(
        db_session,
        "LYON",
        {"4.2": (0, 2, 3)},
        title="Données personnelles à Lyon",
        modality="in_person",
        capacity=8,
    )
    agent = domain.agent(db_session)
    recommend(db_session, agent.id, {"4.1": 1, "4.2": 1})
    db_session.commit()
    return agent.id


def _status(session: Session, code: str) -> str:
    stmt = select(Recommendation.status).join(Training, Training.id == Recommendation.training_id)
    return str(session.scalar(stmt.where(Training.code == code)))


def test_accept_with_the_keyboard_and_with_a_click(
    page: Any, agent_server: LiveServer, agent_id: int, db_session: Session
) -> None:
    token = agent_access.token_for(agent_server.app, agent_id)
    page.goto(agent_server.url + "/parcours/recommandations?t=" + token)
    assert page.locator("h1").inner_text() == "Mes formations recommandées"

    # Keyboard: Tab until the accept button of the first training has the focus, then Enter.
    button = page.get_by_role("button", name="Je m'inscris : Les bons réflexes de sécurité")
    for _ in range(40):
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("the accept button cannot be reached with the Tab key")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    status = page.get_by_role("status")
    assert "votre inscription à « Les bons réflexes de sécurité » est demandée" in status.inner_text()
    db_session.expire_all()
    assert _status(db_session, "SECU-1") == "accepted"  # no LMS connection yet: it waits for one

    # Click: the in-person session takes a seat.
    with page.expect_navigation():
        page.get_by_role("button", name="Je m'inscris : Données personnelles à Lyon").click()
    assert "« Données personnelles à Lyon »" in page.get_by_role("status").inner_text()
    card = page.locator("#recommandation-" + page.url.split("#recommandation-")[1])
    assert "Inscription confirmée" in card.inner_text()
    assert card.get_by_role(
        "button", name="Annuler mon inscription : Données personnelles à Lyon"
    ).is_visible()
    db_session.expire_all()
    assert _status(db_session, "LYON") == "enrolled"
