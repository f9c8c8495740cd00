"""PHP bracket flattening against the exact request bodies Moodle received."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from sync.moodle.models import CohortMember, Enrolment
from sync.moodle.params import encode_body, flatten
from tests.fakes.moodle.wire import parse_php_form
from tests.sync.conftest import capture_files, load_capture

HEAD = ("wstoken", "wsfunction", "moodlewsrestformat")


def _as_python(value: Any) -> Any:
    """PHP arrays with 0..n keys become lists, like the structures the client builds."""
    if isinstance(value, dict):
        if value and list(value) == [str(i) for i in range(len(value))]:
            return [_as_python(v) for v in value.values()]
        return {k: _as_python(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("path", capture_files(), ids=lambda p: p.name[:2])
def test_flattening_reproduces_every_capture_body(path: Any) -> None:
    body = load_capture(path.name[:2])["request"]["body"]
    parsed = _as_python(parse_php_form(body))
    head = [(k, parsed.pop(k)) for k in HEAD if k in parsed]
    assert urlencode(head + flatten(parsed)) == body


def test_enrolments_as_in_capture_08() -> None:
    rows = [Enrolment(userid=10, courseid=2), Enrolment(userid=10, courseid=6)]
    body = encode_body("WSTOKEN", "enrol_manual_enrol_users", {"enrolments": [r.to_param() for r in rows]})
    assert body == load_capture("08")["request"]["body"]


def test_cohort_members_as_in_capture_17() -> None:
    members = [
        CohortMember("COHwsclient1795930306", "agent3"),
        CohortMember(1, 7, cohort_type="id", user_type="id"),
        CohortMember("NO-SUCH-COHORT", "agent5"),
    ]
    params = {"members": [m.to_param() for m in members]}
    assert (
        encode_body("WSTOKEN", "core_cohort_add_cohort_members", params)
        == load_capture("17")["request"]["body"]
    )


def test_booleans_none_and_empty_lists() -> None:
    params = {"a": True, "b": False, "c": None, "d": [], "e": {}, "f": "", "g": [{"x": None, "y": 1}]}
    assert flatten(params) == [("a", "1"), ("b", "0"), ("f", ""), ("g[0][y]", "1")]


def test_php_parser_rebuilds_nested_arrays_and_truncates() -> None:
    parsed = parse_php_form("a%5B0%5D%5Bb%5D=1&a%5B0%5D%5Bc%5D=2&a%5B1%5D%5Bb%5D=3&z=4", max_input_vars=2)
    assert parsed == {"a": {"0": {"b": "1", "c": "2"}, "1": {"b": "3"}}}
