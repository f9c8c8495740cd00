"""Function catalogue of the fake: parameter descriptions, handlers, and Moodle's access-denied text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.fakes.moodle import courses, enrol, users
from tests.fakes.moodle.context import Ctx
from tests.fakes.moodle.validation import DEFAULT, OPTIONAL, Multiple, Single, Value

Handler = Callable[[Ctx, dict[str, Any]], Any]

ACCESS_DEBUGINFO = (
    "Access to the function {name}() is not allowed.\n"
    "                     There could be multiple reasons for this:\n"
    "                     1. The service linked to the user token does not contain the function.\n"
    "                     2. The service is user-restricted and the user is not listed.\n"
    "                     3. The service is IP-restricted and the user IP is not listed.\n"
    "                     4. The service is time-restricted and the time has expired.\n"
    "                     5. The token is time-restricted and the time has expired.\n"
    "                     6. The service requires a specific capability which the user does not have.\n"
    "                     7. The function is called with username/password (no user token is sent)\n"
    "                     and none of the services has the function to allow the user.\n"
    "                     These settings can be found in Administration > Site administration\n"
    "                     > Server > Web services > External services and Manage tokens."
)


@dataclass(frozen=True)
class Function:
    params: Single
    handler: Handler | None  # None: known to Moodle but not simulated by the fake
    version: str = "2024100706"


def _int(required: str = "required", default: Any = None) -> Value:
    return Value("int", required, default)


def _raw(required: str = "required", default: Any = None) -> Value:
    return Value("raw", required, default)


_ENROL_ROW = Single(
    {
        "roleid": _int(),
        "userid": _int(),
        "courseid": _int(),
        "timestart": _int(OPTIONAL),
        "timeend": _int(OPTIONAL),
        "suspend": _int(OPTIONAL),
    }
)
_TYPED = Single({"type": _raw(), "value": _raw()})

FUNCTIONS: dict[str, Function] = {
    "core_webservice_get_site_info": Function(
        Single({"serviceshortnames": Multiple(_raw(), DEFAULT, [])}), users.get_site_info
    ),
    "core_user_get_users_by_field": Function(
        Single({"field": _raw(), "values": Multiple(_raw())}), users.get_users_by_field
    ),
    "core_course_get_courses_by_field": Function(
        Single({"field": _raw(DEFAULT, ""), "value": _raw(DEFAULT, "")}), courses.get_courses_by_field
    ),
    "enrol_manual_enrol_users": Function(
        Single({"enrolments": Multiple(_ENROL_ROW)}), enrol.enrol_users, version="2024100700"
    ),
    "enrol_manual_unenrol_users": Function(
        Single(
            {"enrolments": Multiple(Single({"userid": _int(), "courseid": _int(), "roleid": _int(OPTIONAL)}))}
        ),
        enrol.unenrol_users,
        version="2024100700",
    ),
    "core_enrol_get_enrolled_users": Function(
        Single(
            {
                "courseid": _int(),
                "options": Multiple(Single({"name": Value("alpha"), "value": _raw()}), DEFAULT, []),
            }
        ),
        courses.get_enrolled_users,
    ),
    "core_enrol_get_users_courses": Function(
        Single({"userid": _int(), "returnusercount": Value("bool", DEFAULT, True)}), courses.get_users_courses
    ),
    "core_completion_get_course_completion_status": Function(
        Single({"courseid": _int(), "userid": _int()}), enrol.get_course_completion_status
    ),
    "core_cohort_add_cohort_members": Function(
        Single({"members": Multiple(Single({"cohorttype": _TYPED, "usertype": _TYPED}))}),
        enrol.add_cohort_members,
    ),
    "core_user_create_users": Function(Single({}), None),
    "core_user_delete_users": Function(Single({"userids": Multiple(_int())}), None),
    "core_course_get_courses": Function(Single({}), None),
    "core_course_create_courses": Function(Single({}), None),
    "core_completion_get_activities_completion_status": Function(Single({}), None),
    "core_completion_mark_course_self_completed": Function(Single({}), None),
    "core_cohort_create_cohorts": Function(Single({}), None),
    "core_message_send_instant_messages": Function(Single({}), None),
}
