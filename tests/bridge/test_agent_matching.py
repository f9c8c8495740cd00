"""Which agent a launch belongs to: the platform's subject, else an agent imported before their first
launch, matched by external id, then e-mail (case-blind), then username - only when exactly one matches."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import ORMExecuteState, Session

from bridge.agents.models import Agent
from bridge.agents.operations import upsert_from_launch
from config.database import Database
from lti import claims as c
from lti.context import LaunchContext, build_context
from lti.models import Platform
from tests.support import databases

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@pytest.fixture
def platforms(db_session: Session) -> tuple[Platform, Platform]:
    rows = tuple(
        Platform(
            issuer=f"https://moodle{n}.example.org",
            client_id="pacnum",
            name=f"Moodle {n}",
            auth_login_url=f"https://moodle{n}.example.org/auth",
            auth_token_url=f"https://moodle{n}.example.org/token",
            key_set_url=f"https://moodle{n}.example.org/certs",
        )
        for n in (1, 2)
    )
    db_session.add_all(rows)
    db_session.flush()
    return rows[0], rows[1]


def launch(platform: Platform, sub: str, **claims: Any) -> LaunchContext:
    payload: dict[str, Any] = {
        "sub": sub,
        c.ROLES: [LEARNER],
        "email": claims.get("email", ""),
        c.EXT: {"user_username": claims.get("username", "")},
        c.LIS: {"person_sourcedid": claims.get("external_id", "")},
    }
    return build_context(
        payload,
        launch_id="l",
        platform_id=platform.id,
        platform_name=platform.name,
        product_family="moodle",
        client_id="pacnum",
    )


def upserted(session: Session, ctx: LaunchContext) -> Agent:
    agent = session.get(Agent, upsert_from_launch(session, ctx))
    assert agent is not None
    return agent


def imported(session: Session, platform: Platform | None = None, **identity: str) -> Agent:
    agent = Agent(platform_id=platform.id if platform else None, directorate="DGFIP", **identity)
    session.add(agent)
    session.flush()
    return agent


def test_external_id_comes_before_e_mail(db_session: Session, platforms: tuple[Platform, Platform]) -> None:
    by_email = imported(db_session, email="agent@finances.gouv.fr")
    by_id = imported(db_session, external_id="AG-7")
    agent = upserted(
        db_session, launch(platforms[0], "7", external_id="AG-7", email="agent@finances.gouv.fr")
    )
    assert agent.id == by_id.id
    assert agent.sub == "7"
    assert by_email.sub is None


def test_e_mail_is_matched_whatever_its_case(
    db_session: Session, platforms: tuple[Platform, Platform]
) -> None:
    known = imported(db_session, platforms[0], email="Jeanne.Martin@Finances.Gouv.FR")
    agent = upserted(db_session, launch(platforms[0], "8", email="jeanne.martin@finances.gouv.fr"))
    assert agent.id == known.id
    assert agent.directorate == "DGFIP"  # kept: the launch does not carry it


def test_an_ambiguous_identifier_gives_way_to_the_next_one(
    db_session: Session, platforms: tuple[Platform, Platform]
) -> None:
    imported(db_session, email="shared@finances.gouv.fr")
    imported(db_session, email="shared@finances.gouv.fr")
    by_username = imported(db_session, username="jmartin", email="shared@finances.gouv.fr")
    agent = upserted(
        db_session, launch(platforms[0], "9", email="shared@finances.gouv.fr", username="jmartin")
    )
    assert agent.id == by_username.id


def test_nothing_unambiguous_creates_a_new_agent(
    db_session: Session, platforms: tuple[Platform, Platform]
) -> None:
    imported(db_session, email="shared@finances.gouv.fr")
    imported(db_session, email="shared@finances.gouv.fr")
    agent = upserted(db_session, launch(platforms[0], "10", email="shared@finances.gouv.fr"))
    assert agent.directorate is None
    assert db_session.scalar(select(func.count()).select_from(Agent)) == 3


def test_claimed_erased_and_other_platforms_agents_are_not_matched(
    db_session: Session, platforms: tuple[Platform, Platform]
) -> None:
    first, second = platforms
    imported(db_session, second, external_id="AG-11")  # imported for the other LMS
    erased = imported(db_session, external_id="AG-11")
    erased.erased_at = erased.created_at
    claimed = imported(db_session, first, external_id="AG-11")
    claimed.sub = "other-person"
    db_session.flush()
    agent = upserted(db_session, launch(first, "11", external_id="AG-11"))
    assert agent.id not in {claimed.id, erased.id}
    assert agent.directorate is None


def test_the_subject_wins_over_everything(db_session: Session, platforms: tuple[Platform, Platform]) -> None:
    first = upserted(db_session, launch(platforms[0], "12", email="a@finances.gouv.fr"))
    imported(db_session, external_id="AG-12")
    again = upserted(db_session, launch(platforms[0], "12", external_id="AG-12"))
    assert again.id == first.id
    assert again.external_id == "AG-12"
    assert again.email == "a@finances.gouv.fr"  # a value the launch does not carry is never erased


def test_two_first_launches_at_once_make_one_agent(
    db_session: Session, platforms: tuple[Platform, Platform], database: Database
) -> None:
    """The other request inserts the same person between this one's lookup and its INSERT: the INSERT
    does nothing and this request updates the other's row."""
    if database.backend != "postgresql":
        pytest.skip("SQLite serialises writers: the two INSERTs cannot race there")
    platform = platforms[0]
    db_session.commit()  # the platforms, visible to the other request
    raced = False

    def other_request_first(state: ORMExecuteState) -> None:
        nonlocal raced
        if state.is_insert and not raced:
            raced = True
            with database.session_scope() as other:
                upserted(other, launch(platform, "13", email="first@finances.gouv.fr"))

    event.listen(db_session, "do_orm_execute", other_request_first)
    try:
        agent = upserted(db_session, launch(platform, "13", username="jdupont"))
    finally:
        event.remove(db_session, "do_orm_execute", other_request_first)
    db_session.commit()
    assert raced
    rows = db_session.scalars(select(Agent).where(Agent.sub == "13")).all()
    assert [row.id for row in rows] == [agent.id]
    assert (agent.email, agent.username) == ("first@finances.gouv.fr", "jdupont")
    db_session.close()
    databases.clean_tables(database)
