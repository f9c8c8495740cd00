"""Client over real HTTP against the fake: retries, Retry-After, fatal errors, parallel cap, batching."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from sync.moodle.batching import enrol_in_batches
from sync.moodle.client import MoodleClient
from sync.moodle.connection import check_connection
from sync.moodle.errors import MoodleFatalError, MoodleItemError, MoodleTransientError
from sync.moodle.models import CohortMember, Enrolment
from tests.fakes.moodle import FakeMoodle

FN = "core_webservice_get_site_info"


@pytest.mark.parametrize("kind", ["500", "503", "html200", "maintenance"])
def test_transient_failures_are_retried_then_succeed(
    fake: FakeMoodle, client: MoodleClient, kind: str
) -> None:
    fake.fail_next(2, kind)
    assert client.get_site_info().userid == 3
    assert fake.calls[FN] == 3


def test_timeout_is_retried(fake: FakeMoodle) -> None:
    fake.fail_next(1, "timeout", delay=0.6)
    quick = MoodleClient(fake.url, "WSTOKEN", timeout=(1, 0.3), backoff_base=0.01)
    assert quick.get_site_info().sitename == "LTI Lab Moodle"
    assert fake.calls[FN] == 2


def test_gives_up_after_max_retries(fake: FakeMoodle) -> None:
    fake.fail_next(10, "500")
    quick = MoodleClient(fake.url, "WSTOKEN", max_retries=2, backoff_base=0.01)
    with pytest.raises(MoodleTransientError) as info:
        quick.get_site_info()
    assert info.value.status == 500
    assert fake.calls[FN] == 3


def test_retry_after_is_honoured(fake: FakeMoodle, client: MoodleClient) -> None:
    fake.fail_next(1, "503", retry_after="1")
    start = time.monotonic()
    client.get_site_info()
    assert time.monotonic() - start >= 1.0


def test_retry_after_beyond_cap_is_not_waited_for(fake: FakeMoodle, client: MoodleClient) -> None:
    fake.fail_next(1, "503", retry_after="300")
    with pytest.raises(MoodleTransientError) as info:
        client.get_site_info()
    assert info.value.retry_after == 300
    assert fake.calls[FN] == 1


def test_revoked_token_is_fatal_without_retry(fake: FakeMoodle, client: MoodleClient) -> None:
    fake.revoke_token("WSTOKEN", from_call=3)
    client.get_site_info()
    client.get_site_info()
    with pytest.raises(MoodleFatalError) as info:
        client.get_site_info()
    assert info.value.errorcode == "invalidtoken"
    assert fake.requests == 3
    assert "WSTOKEN" not in repr(client) + str(info.value)


def test_function_not_in_service_is_fatal(client: MoodleClient) -> None:
    with pytest.raises(MoodleFatalError, match="accessexception"):
        client.get_users_courses(4)


def test_parallel_calls_are_capped(fake: FakeMoodle) -> None:
    fake.latency = 0.03
    capped = MoodleClient(fake.url, "WSTOKEN", max_parallel=3)
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda _: capped.get_site_info(), range(24)))
    assert fake.max_concurrent == 3


def test_check_connection_lists_missing_functions(client: MoodleClient) -> None:
    report = check_connection(client)
    assert report.release.startswith("4.5.6")
    assert report.missing_functions == {"core_enrol_get_users_courses"}


def test_typed_calls_over_http(fake: FakeMoodle) -> None:
    fake.add_token("ALL")
    fake.set_lastcourseaccess(5, 2, 1795931000)
    full = MoodleClient(fake.url, "ALL")
    assert check_connection(full).ok
    users = full.get_users_by_field("username", ["agent1", "nobody", "agent2"])
    assert [u.id for u in users] == [4, 5]
    page = full.get_enrolled_users(2, limitfrom=1, limitnumber=2)
    assert [(u.id, u.lastcourseaccess) for u in page] == [(5, 1795931000), (6, 0)]
    (course,) = full.get_users_courses(4)
    assert (course.shortname, course.completed, course.progress) == ("LTI101", True, 100.0)
    assert full.get_course_completion_status(2, 4).completed
    with pytest.raises(MoodleItemError, match="usernotenroled"):
        full.get_course_completion_status(3, 4)
    with pytest.raises(MoodleItemError, match="nocriteriaset"):
        full.get_course_completion_status(6, 10)
    with pytest.raises(MoodleItemError) as info:
        full.get_courses_by_field("ids", "2,99999")
    assert info.value.errorcode is None
    assert [c.id for c in full.get_courses_by_field("shortname", "LTI101")] == [2]
    warnings = full.add_cohort_members([CohortMember("COHwsclient1795930306", "agent4")])
    assert warnings == []


def test_batch_splitting_isolates_bad_rows(fake: FakeMoodle, client: MoodleClient) -> None:
    closed = fake.add_course("CLOSED", manual_instance=False)
    users = [fake.add_user(f"bulk{i}") for i in range(200)]
    rows = [Enrolment(uid, 3) for uid in users]
    bad = {37, 151}
    for i in bad:
        rows[i] = Enrolment(users[i], closed)
    fake.reset_counters()
    outcome = enrol_in_batches(client, rows, batch_size=200)
    assert sorted(rows.index(r) for r, _ in outcome.failed) == sorted(bad)
    assert {e.errorcode for _, e in outcome.failed} == {"wsnoinstance"}
    assert len(outcome.succeeded) == 198
    assert outcome.calls == fake.calls["enrol_manual_enrol_users"]
    assert outcome.calls <= 1 + 2 * math.ceil(math.log2(200)) * len(bad)
    assert fake.enrolment(users[0], 3) is not None
    assert fake.enrolment(users[37], closed) is None


def test_batch_fatal_error_propagates(fake: FakeMoodle, client: MoodleClient) -> None:
    fake.revoke_token("WSTOKEN")
    with pytest.raises(MoodleFatalError):
        enrol_in_batches(client, [Enrolment(4, 3)])
