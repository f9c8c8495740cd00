"""Push job against the fake Moodle over HTTP: batches, bad rows, never re-send, recovery, cohorts."""

from __future__ import annotations

from sqlalchemy import select, update

from bridge.audit.models import AuditEvent
from bridge.campaigns.models import CampaignMember
from bridge.recommendations.models import Recommendation
from config.crypto import SecretBox
from config.database import Database
from sync.models import OutboxOperation, SyncRun
from sync.runner import run_job
from sync.services import SyncServices
from tests.fakes.moodle import FakeMoodle
from tests.support.sync_seed import AgentSpec, Seeded, outbox_statuses, seed_connection, seed_enrolments
from tests.sync.conftest import SYNC_TOKEN


def _seed(
    database: Database,
    box: SecretBox,
    moodle: FakeMoodle,
    n: int,
    *,
    per_agent: int = 1,
    strategy: str = "manual",
    **connection: object,
) -> Seeded:
    users = [moodle.add_user(f"agent{i}") for i in range(n)]
    platform_id, connection_id = seed_connection(
        database, box, base_url=moodle.url, token=SYNC_TOKEN, strategy=strategy, **connection
    )
    agents = [AgentSpec(sub=str(u), lms_user_id=u) for u in users]
    return seed_enrolments(
        database,
        platform_id=platform_id,
        connection_id=connection_id,
        agents=agents,
        courses=[500, 501],
        per_agent=per_agent,
    )


def test_push_enrols_in_batches_and_updates_the_domain(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded = _seed(database, box, moodle, 60, per_agent=2, batch_size=50, max_parallel=2)
    moodle.reset_counters()
    result = run_job(services, "push")
    assert (result.status, result.pushed, result.failed, result.skipped) == ("ok", 120, 0, 0)
    assert moodle.calls["enrol_manual_enrol_users"] == 3  # ceil(120 / 50)
    assert result.calls == moodle.requests
    assert set(moodle.state.enrol_sends.values()) == {1}
    assert len(moodle.state.enrol_sends) == 120
    assert outbox_statuses(database) == {"done": 120}
    with database.session_scope() as session:
        statuses = set(session.scalars(select(Recommendation.status)))
        assert statuses == {"enrolled"}
        dates = list(session.scalars(select(CampaignMember.enrolled_at)))
        assert len(dates) == 60
        assert all(d is not None for d in dates)
        run = session.get(SyncRun, result.run_id)
        assert run is not None
        assert (run.status, run.pushed, run.trigger) == ("ok", 120, "manual")
        assert run.finished_at is not None
    assert seeded.connection_id


def test_bad_rows_are_isolated_and_recorded_with_moodles_reason(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded = _seed(database, box, moodle, 40, batch_size=40)
    closed = moodle.add_course("CLOSED", id=502, manual_instance=False)
    with database.session_scope() as session:
        rows = list(session.scalars(select(OutboxOperation).order_by(OutboxOperation.id)))
        rows[7].payload = {**rows[7].payload, "courseid": closed}
        rows[23].payload = {**rows[23].payload, "userid": 999_999}
        bad = {rows[7].id: "wsnoinstance", rows[23].id: "codingerror"}
    result = run_job(services, "push")
    assert (result.status, result.pushed, result.failed) == ("partial", 38, 2)
    with database.session_scope() as session:
        for row in session.scalars(select(OutboxOperation)):
            if row.id in bad:
                assert row.status == "failed"
                assert row.last_error is not None
                assert row.last_error.startswith(bad[row.id])
            else:
                assert row.status == "done"
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "enrolment_failed")))
        assert len(events) == 2
        # Back to "accepted" with Moodle's reason: the agent sees it and may accept again.
        refused = list(
            session.scalars(select(Recommendation).where(Recommendation.enrolment_error.is_not(None)))
        )
        assert [r.status for r in refused] == ["accepted", "accepted"]
    # A second run sends nothing: done rows are never re-sent, failed rows wait for an admin.
    moodle.reset_counters()
    again = run_job(services, "push")
    assert (again.pushed, again.failed) == (0, 0)
    assert moodle.calls["enrol_manual_enrol_users"] == 0
    assert set(moodle.state.enrol_sends.values()) == {1}
    assert seeded.agent_ids


def test_rows_left_sending_are_verified_never_re_sent(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    seeded = _seed(database, box, moodle, 30, batch_size=200)
    with database.session_scope() as session:
        rows = list(session.scalars(select(OutboxOperation).order_by(OutboxOperation.id)))
        # A run was killed after Moodle enrolled the first 20 rows but before it wrote "done".
        for row in rows[:25]:
            row.status = "sending"
        for row in rows[:20]:
            moodle.enrol(row.payload["userid"], row.payload["courseid"], timestart=1_700_000_000)
        already = {(r.payload["userid"], r.payload["courseid"]) for r in rows[:20]}
    result = run_job(services, "push")
    assert (result.status, result.pushed) == ("ok", 30)
    assert result.progress["verified"] == 25
    for key in already:
        assert moodle.state.enrol_sends[key] == 0  # not re-sent: its dates are untouched
        assert moodle.enrolment(*key).timestart == 1_700_000_000
    assert sum(moodle.state.enrol_sends.values()) == 10
    assert outbox_statuses(database) == {"done": 30}
    assert seeded.connection_id


def test_cohort_strategy_adds_members_and_reports_missing_cohorts(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    cohort = moodle.add_cohort("pacnum-course-500")
    moodle.link_cohort(cohort, 500)
    seeded = _seed(database, box, moodle, 10, per_agent=2, strategy="cohort")
    first_user = moodle.state.users[max(moodle.state.users) - 9].id
    moodle.state.add_cohort_member(cohort, first_user)  # already a member: warning "3", a success
    result = run_job(services, "push")
    assert (result.status, result.pushed, result.failed) == ("partial", 10, 10)
    assert moodle.calls["enrol_manual_enrol_users"] == 0
    members = moodle.state.cohorts[cohort].members
    assert len(members) == 10
    assert all(moodle.enrolment(u, 500, "cohort") is not None for u in members)
    with database.session_scope() as session:
        failed = list(session.scalars(select(OutboxOperation).where(OutboxOperation.status == "failed")))
        assert {r.payload["courseid"] for r in failed} == {501}
        assert all("pacnum-course-501 not exists" in (r.last_error or "") for r in failed)
    assert seeded.connection_id


def test_rows_without_moodle_id_are_matched_first_or_skipped(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    known = moodle.add_user("jdupont", email="jean.dupont@finances.gouv.fr", idnumber="DGFIP-42")
    by_mail = moodle.add_user("mmartin", email="marie.martin@douane.gouv.fr")
    platform_id, connection_id = seed_connection(database, box, base_url=moodle.url, token=SYNC_TOKEN)
    agents = [
        AgentSpec(sub=str(moodle.add_user("launched"))),  # launched from this Moodle: sub is the id
        AgentSpec(external_id="DGFIP-42", same_platform=False),
        AgentSpec(email="Marie.Martin@douane.gouv.fr", same_platform=False),
        AgentSpec(username="nobody", email="nobody@example.org", same_platform=False),
    ]
    seed_enrolments(
        database, platform_id=platform_id, connection_id=connection_id, agents=agents, courses=[500]
    )
    result = run_job(services, "push")
    assert (result.pushed, result.skipped) == (3, 1)
    assert result.progress["unmatched"] == {"not_found": 1}
    assert moodle.enrolment(known, 500) is not None
    assert moodle.enrolment(by_mail, 500) is not None
    with database.session_scope() as session:
        skipped = session.scalars(select(OutboxOperation).where(OutboxOperation.status == "skipped")).one()
        assert "not found in Moodle" in (skipped.last_error or "")


def test_dry_run_changes_nothing(
    database: Database, services: SyncServices, box: SecretBox, moodle: FakeMoodle
) -> None:
    _seed(database, box, moodle, 12, batch_size=5)
    with database.session_scope() as session:
        session.execute(update(OutboxOperation).where(OutboxOperation.id % 4 == 0).values(status="sending"))
    moodle.reset_counters()
    result = run_job(services, "push", dry_run=True)
    assert result.dry_run
    assert result.pushed == 0
    assert result.progress["would_push"] == 9
    assert result.progress["verified"] == 3
    assert moodle.calls["enrol_manual_enrol_users"] == 0
    assert moodle.state.enrol_sends == {}
    assert outbox_statuses(database) == {"pending": 9, "sending": 3}
