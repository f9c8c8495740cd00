"""Client parsing and error classification of every real capture; the fake replays the captures."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import pytest
import requests

from sync.moodle.errors import (
    MoodleFatalError,
    MoodleItemError,
    MoodleProtocolError,
    MoodleTransientError,
    error_from_payload,
)
from sync.moodle.models import CohortWarning, Course, CourseCompletion, EnrolledUser, MoodleUser, SiteInfo
from sync.moodle.transport import decode_response
from tests.fakes.moodle import FakeMoodle
from tests.sync.conftest import CAPTURE_URL, load_capture


def _decode(prefix: str) -> Any:
    cap = load_capture(prefix)
    resp = cap["response"]
    return decode_response("f", resp["status"], resp["raw"])


def test_site_info() -> None:
    info = SiteInfo.from_json(_decode("01"))
    assert (info.release, info.version, info.userid) == ("4.5.6 (Build: 20250811)", "2024100706", 3)
    assert "enrol_manual_enrol_users" in info.functions
    assert len(info.functions) == 13


def test_users_courses_enrolled_completion_cohorts() -> None:
    users = [MoodleUser.from_json(u) for u in _decode("02")]
    assert [(u.id, u.username, u.idnumber, u.suspended) for u in users] == [
        (4, "agent1", "AG-001", False),
        (5, "agent2", "AG-002", False),
    ]
    (course,) = [Course.from_json(c) for c in _decode("06")["courses"]]
    assert course == Course(2, "LTI101", "LTI Basics 101", "LTI101", True, True, ("manual",))
    assert _decode("08") is None
    enrolled = [EnrolledUser.from_json(u) for u in _decode("09")]
    assert len(enrolled) == 7
    assert enrolled[0].roleids == (5,)
    assert enrolled[0].lastcourseaccess is None
    done, todo = CourseCompletion.from_json(_decode("10")), CourseCompletion.from_json(_decode("11"))
    assert done.completed
    assert not todo.completed
    assert done.aggregation == 2
    assert [c.type for c in done.criteria] == [1, 4]
    assert not any(c.complete for c in done.criteria)
    warnings = [CohortWarning.from_json(w) for w in _decode("17")["warnings"]]
    assert [w.warningcode for w in warnings] == ["3", "2"]


@pytest.mark.parametrize(
    ("prefix", "cls", "code"),
    [
        ("04", MoodleItemError, "invalidparameter"),
        ("12", MoodleItemError, "nocriteriaset"),
        ("14", MoodleItemError, "nottracked"),
        ("15", MoodleItemError, "useralreadymarkedcomplete"),
        ("18", MoodleFatalError, "invalidtoken"),
        ("19", MoodleItemError, "invalidparameter"),
        ("20", MoodleItemError, "invalidparameter"),
        ("21", MoodleItemError, "invalidparameter"),
        ("22", MoodleFatalError, "accessexception"),
        ("23", MoodleItemError, "invalidrecord"),
    ],
)
def test_error_captures_are_classified(prefix: str, cls: type[Exception], code: str) -> None:
    with pytest.raises(cls) as info:
        _decode(prefix)
    assert type(info.value) is cls
    assert info.value.errorcode == code
    assert "WSTOKEN" not in str(info.value) + repr(info.value)


def test_error_without_errorcode_and_other_classes() -> None:
    err = error_from_payload(
        "f", {"exception": "Error", "message": 'Attempt to assign property "contextvalidated"'}
    )
    assert isinstance(err, MoodleItemError)
    assert err.errorcode is None
    maint = {"exception": "moodle_exception", "errorcode": "sitemaintenance", "message": "maintenance"}
    assert isinstance(error_from_payload("f", maint), MoodleTransientError)
    missing = {"exception": "x", "errorcode": "invalidrecord", "message": "table external_functions."}
    assert isinstance(error_from_payload("f", missing), MoodleFatalError)
    with pytest.raises(MoodleFatalError):
        decode_response("f", 403, "REST disabled")
    with pytest.raises(MoodleTransientError) as info:
        decode_response("f", 503, "<html>", "300")
    assert info.value.retry_after == 300
    with pytest.raises(MoodleTransientError):
        decode_response("f", 200, "<html><body>Fatal</body></html>")


def test_protocol_errors_on_missing_key_or_wrong_type() -> None:
    with pytest.raises(MoodleProtocolError, match="'id'"):
        MoodleUser.from_json({"username": "x"})
    with pytest.raises(MoodleProtocolError, match="integer"):
        MoodleUser.from_json({"id": "abc"})
    with pytest.raises(MoodleProtocolError):
        CourseCompletion.from_json({"completionstatus": {"completed": "yes", "aggregation": 1}})


VOLATILE = {"timecreated", "timemodified", "cacherev", "sortorder"}
REPLAYED = ["01", "02", "06", "08", "09", "10", "11", "12", "17", "18", "19", "20", "21", "22", "23"]


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@pytest.mark.parametrize("prefix", REPLAYED)
def test_fake_answers_captures_like_moodle(fake: FakeMoodle, prefix: str) -> None:
    """Same JSON as the capture once the site URL is mapped and timestamps/sortorder dropped."""
    cap = load_capture(prefix)
    headers = {"Content-Type": cap["request"]["content_type"]}
    resp = requests.post(
        fake.url + "/webservice/rest/server.php", data=cap["request"]["body"], headers=headers, timeout=10
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == cap["response"]["content_type"]
    got = json.loads(resp.text.replace(fake.url.replace("/", "\\/"), CAPTURE_URL.replace("/", "\\/")))
    assert _strip(got) == _strip(cap["response"]["json"])


def _xml_tree(node: ElementTree.Element) -> Any:
    if node.tag == "VALUE":
        return None if node.get("null") else (node.text or "")
    if node.tag == "MULTIPLE":
        return [_xml_tree(c) for c in node]
    if node.tag == "SINGLE":
        return {k.get("name"): _xml_tree(k[0]) for k in node}
    return _xml_tree(node[0])


def test_fake_answers_xml_without_format(fake: FakeMoodle) -> None:
    cap = load_capture("24")
    resp = requests.post(fake.url + "/webservice/rest/server.php", data=cap["request"]["body"], timeout=10)
    assert resp.headers["Content-Type"] == cap["response"]["content_type"]
    assert resp.text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<RESPONSE>\n<SINGLE>\n')
    got = _xml_tree(ElementTree.fromstring(resp.text))["courses"][0]  # noqa: S314
    want = _xml_tree(ElementTree.fromstring(cap["response"]["raw"]))["courses"][0]  # noqa: S314
    for key in set(got) - VOLATILE - {"courseimage"}:
        assert got[key] == want[key], key
