"""Match job: LTI sub as Moodle id, lookups by idnumber/username/e-mail in batches, unmatched reported."""

from __future__ import annotations

from sqlalchemy import select

from bridge.agents.models import Agent
from config.crypto import SecretBox
from config.database import Database
from sync.runner import run_job
from sync.services import SyncServices
from tests.fakes.moodle import FakeMoodle
from tests.support.sync_seed import AgentSpec, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN


def _ids(database: Database) -> list[int | None]:
    with database.session_scope() as session:
        return list(session.scalars(select(Agent.lms_user_id).order_by(Agent.id)))


def test_sub_is_the_moodle_id_without_any_call(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    platform_id, connection_id = seed_connection(database, box, base_url=moodle.url, token=SYNC_TOKEN)
    agents = [AgentSpec(sub=str(4000 + i)) for i in range(50)]
    seed_enrolments(
        database, platform_id=platform_id, connection_id=connection_id, agents=agents, courses=[500]
    )
    moodle.reset_counters()
    result = run_job(services, "match")
    assert (result.status, result.pulled, result.skipped) == ("ok", 50, 0)
    assert moodle.requests == 0
    assert _ids(database) == [4000 + i for i in range(50)]


def test_lookups_in_batches_and_unmatched_reported(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    platform_id, connection_id = seed_connection(database, box, base_url=moodle.url, token=SYNC_TOKEN)
    by_username = [moodle.add_user(f"agent.{i:03d}") for i in range(250)]
    by_idnumber = [moodle.add_user(f"x{i}", idnumber=f"MIN-{i}") for i in range(3)]
    twin_a = moodle.add_user("twin.a", email="shared@finances.gouv.fr")
    moodle.add_user("twin.b", email="shared@finances.gouv.fr")
    agents = (
        [AgentSpec(username=f"Agent.{i:03d}", same_platform=False) for i in range(250)]
        + [AgentSpec(external_id=f"MIN-{i}", username="wrong", same_platform=False) for i in range(3)]
        + [AgentSpec(email="shared@finances.gouv.fr", same_platform=False)]  # two Moodle users: ambiguous
        + [AgentSpec(username="ghost", email="ghost@finances.gouv.fr", same_platform=False)]
        + [AgentSpec(email="not an e-mail", same_platform=False)]
        + [AgentSpec(same_platform=False)]
    )
    seed_enrolments(
        database, platform_id=platform_id, connection_id=connection_id, agents=agents, courses=[500]
    )
    moodle.reset_counters()
    result = run_job(services, "match")
    assert (result.pulled, result.skipped) == (253, 4)
    assert result.progress["unmatched"] == {"ambiguous": 1, "not_found": 1, "no_identifier": 2}
    assert len(result.progress["unmatched_agent_ids"]) == 4
    # idnumber: 1 call; username: 251 values in 3 calls; e-mail: 2 values in 1 call.
    assert moodle.calls["core_user_get_users_by_field"] == 5
    ids = _ids(database)
    assert ids[:250] == by_username
    assert ids[250:253] == by_idnumber
    assert twin_a not in ids
    assert ids[253:] == [None] * 4
    # Unmatched agents stay unmatched, and are looked up again next time (no silent drop).
    again = run_job(services, "match")
    assert (again.pulled, again.skipped) == (0, 4)
