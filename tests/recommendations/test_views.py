"""The agent's recommendations page: statuses, reasons, accessible actions, decisions by POST."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.core.settings_access import get_settings
from bridge.recommendations.models import Recommendation
from bridge.recommendations.operations import recommend
from config.crypto import SecretBox
from sync.models import OutboxOperation
from tests.support import agent_access, domain


@pytest.fixture
def agent_app(app: Flask) -> Flask:
    agent_access.install(app)
    return app


@pytest.fixture
def client(agent_app: Flask) -> FlaskClient:
    return agent_app.test_client()


@pytest.fixture
def seeded(agent_app: Flask, db_session: Session) -> dict[str, int]:
    connection = domain.lms_connection(db_session, SecretBox(get_settings(agent_app).encryption_keys()))
    online = domain.training(
        db_session,
        "SECU-1",
        {"4.1": (0, 2, 3)},
        title="Les bons réflexes de sécurité",
        lms_connection_id=connection.id,
    )
    session_training = domain.training(
        db_session,
        "CYBER-LYON",
        {"4.2": (0, 2, 3)},
        modality="in_person",
        capacity=1,
        title="Cybersécurité à Lyon",
    )
    agent = domain.agent(db_session, lms_user_id=12)
    recommend(db_session, agent.id, {"4.1": 1, "4.2": 1})
    db_session.commit()
    recs = {r.training_id: r.id for r in db_session.scalars(select(Recommendation))}
    return {"agent": agent.id, "online": recs[online.id], "session": recs[session_training.id]}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _get(client: FlaskClient, agent_id: int) -> str:
    response = client.get("/parcours/recommandations", headers={agent_access.HEADER: str(agent_id)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_page_lists_proposals_with_reasons_and_accessible_actions(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    html = _get(client, seeded["agent"])
    assert "Mes formations recommandées" in html
    assert "Les bons réflexes de sécurité" in html
    reason = (
        "Votre niveau en 4.1 (Sécuriser l'environnement numérique) est 1 ; l'objectif de votre profil est 3."
    )
    assert reason.replace("'", "&#39;") in html
    assert "Proposée" in html
    # Each button's accessible name carries the training title.
    assert 'Je m\'inscris<span class="fr-sr-only"> : Les bons réflexes de sécurité</span>' in html
    assert "Places disponibles : 1" in html


def test_page_in_english_renders_the_reason_from_its_data(
    client: FlaskClient, seeded: dict[str, int]
) -> None:
    response = client.get(
        "/parcours/recommandations?lang=en", headers={agent_access.HEADER: str(seeded["agent"])}
    )
    assert (
        "Your level in 4.1 (Securing the digital environment) is 1; your profile&#39;s goal is 3."
        in response.get_data(as_text=True)
    )


def test_accept_online_then_again_queues_one_enrolment(
    client: FlaskClient, seeded: dict[str, int], db_session: Session
) -> None:
    headers = {agent_access.HEADER: str(seeded["agent"])}
    token = _csrf(_get(client, seeded["agent"]))
    url = f"/parcours/recommandations/{seeded['online']}/accepter"
    first = client.post(url, data={"csrf_token": token}, headers=headers)
    second = client.post(url, data={"csrf_token": token}, headers=headers)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].endswith(
        f"fait=accepte&formation={seeded['online']}#recommandation-{seeded['online']}"
    )
    assert len(db_session.scalars(select(OutboxOperation)).all()) == 1
    html = client.get(first.headers["Location"], headers=headers).get_data(as_text=True)
    assert "C'est noté : votre inscription à « Les bons réflexes de sécurité » est demandée." in html
    assert "Inscription en cours" in html


def test_full_session_waitlists_and_not_relevant_keeps_the_comment(
    client: FlaskClient, seeded: dict[str, int], db_session: Session
) -> None:
    other = domain.agent(db_session)
    db_session.add(
        Recommendation(
            agent_id=other.id,
            training_id=db_session.get_one(Recommendation, seeded["session"]).training_id,
            reason="r",
            status="proposed",
        )
    )
    db_session.commit()
    other_rec = db_session.scalars(select(Recommendation).where(Recommendation.agent_id == other.id)).one()
    headers = {agent_access.HEADER: str(seeded["agent"])}
    token = _csrf(_get(client, seeded["agent"]))
    client.post(
        f"/parcours/recommandations/{seeded['session']}/accepter", data={"csrf_token": token}, headers=headers
    )
    response = client.post(
        f"/parcours/recommandations/{other_rec.id}/accepter",
        data={"csrf_token": token},
        headers={agent_access.HEADER: str(other.id)},
    )
    page = client.get(response.headers["Location"], headers={agent_access.HEADER: str(other.id)}).get_data(
        as_text=True
    )
    assert "vous êtes sur la liste d'attente" in page
    assert "Liste d&#39;attente, position 1" in page

    client.post(
        f"/parcours/recommandations/{seeded['online']}/pas-pour-moi",
        data={"csrf_token": token, "commentaire": "Je l'ai suivie l'an dernier"},
        headers=headers,
    )
    db_session.expire_all()
    rec = db_session.get_one(Recommendation, seeded["online"])
    assert (rec.status, rec.feedback) == ("not_relevant", "Je l'ai suivie l'an dernier")
    assert "Mises de côté" in _get(client, seeded["agent"])


def test_refusals_are_clear_pages(client: FlaskClient, seeded: dict[str, int]) -> None:
    token = _csrf(_get(client, seeded["agent"]))
    # Without a token (and without the cookie a previous page left): the session has expired.
    assert (
        client.application.test_client(use_cookies=False).get("/parcours/recommandations").status_code == 401
    )
    gone = client.get("/parcours/recommandations", headers={agent_access.HEADER: "999999"})
    assert gone.status_code == 404
    intruder = client.post(
        f"/parcours/recommandations/{seeded['online']}/accepter",
        data={"csrf_token": token},
        headers={agent_access.HEADER: "999999"},
    )
    assert intruder.status_code == 404
    assert "Cette recommandation n&#39;existe pas ou plus." in intruder.get_data(as_text=True)
    # A POST must carry the launch token itself (the cookie fallback is for navigation only).
    no_token = client.post(f"/parcours/recommandations/{seeded['online']}/accepter")
    assert no_token.status_code == 401
