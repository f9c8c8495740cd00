"""Semantics of the fake Moodle that the sync jobs rely on."""

from __future__ import annotations

import pytest

from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleItemError
from sync.moodle.models import Enrolment
from tests.fakes.moodle import FakeMoodle


def test_re_enrol_resets_dates_and_reactivates(fake: FakeMoodle, client: MoodleClient) -> None:
    client.enrol_users([Enrolment(4, 3, timestart=1000, timeend=2000, suspend=True)])
    ue = fake.enrolment(4, 3)
    assert (ue.timestart, ue.timeend, ue.status) == (1000, 2000, 1)
    client.enrol_users([Enrolment(4, 3)])
    ue = fake.enrolment(4, 3)
    assert (ue.timestart, ue.timeend, ue.status) == (0, 0, 0)


def test_enrol_is_one_transaction(fake: FakeMoodle, client: MoodleClient) -> None:
    with pytest.raises(MoodleItemError, match="wsusercannotassign"):
        client.enrol_users([Enrolment(5, 3), Enrolment(6, 3, roleid=1)])
    assert fake.enrolment(5, 3) is None


def test_get_users_by_field_drops_unknown_values(client: MoodleClient) -> None:
    users = client.get_users_by_field("idnumber", ["AG-003", "NOPE", "AG-001"])
    assert [u.username for u in users] == ["agent1", "agent3"]


def test_wrong_type_and_unexpected_keys(client: MoodleClient) -> None:
    with pytest.raises(MoodleItemError) as info:
        client.call("core_enrol_get_enrolled_users", {"courseid": "abc"})
    assert info.value.debuginfo == (
        'courseid => Invalid parameter value detected: Invalid external api parameter: the value is "abc", '
        'the server was expecting "int" type'
    )
    with pytest.raises(MoodleItemError) as info:
        client.call("core_completion_get_course_completion_status", {"courseid": 2, "userid": 4, "x": 1})
    assert info.value.debuginfo == "Unexpected keys (x) detected in parameter array."


def test_max_input_vars_cut_becomes_missing_key(fake: FakeMoodle, client: MoodleClient) -> None:
    # 3 head vars + 1,300 rows x 4 vars: PHP keeps 5,001 vars, so row 1,249 keeps only roleid and userid.
    rows = [Enrolment(4, 3, timestart=1) for _ in range(1300)]
    with pytest.raises(MoodleItemError) as info:
        client.enrol_users(rows)
    assert info.value.debuginfo == (
        "enrolments => Invalid parameter value detected: Missing required key in single structure: courseid"
    )
    assert fake.enrolment(4, 3) is None


def test_cohort_sync_enrols_members(fake: FakeMoodle, client: MoodleClient) -> None:
    fake.link_cohort(3, 3)
    client.call(
        "core_cohort_add_cohort_members",
        {"members": [{"cohorttype": {"type": "id", "value": 3}, "usertype": {"type": "id", "value": 8}}]},
    )
    assert fake.enrolment(8, 3, "cohort") is not None


def test_holds_benchmark_volume_quickly() -> None:
    moodle = FakeMoodle()
    moodle.seed_bulk(users=13_000, courses=100, enrolments=40_000)
    assert len(moodle.state.enrolments) == 40_000
    assert len(moodle.state.course_users[1000]) == 400
