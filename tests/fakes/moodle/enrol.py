"""Fake handlers: manual enrol/unenrol (one transaction), completion status, cohort members."""

from __future__ import annotations

from typing import Any

from tests.fakes.moodle.context import Ctx
from tests.fakes.moodle.state import ASSIGNABLE_ROLES
from tests.fakes.moodle.validation import (
    coding_error,
    invalid_parameter,
    missing_record,
    moodle_exception,
)

# Moodle passes the error parameters as the link argument, so the placeholder is not filled in.
WSNOINSTANCE = (
    "Manual enrolment plugin instance doesn't exist or is disabled for the course (id = {$a->courseid})"
)
CRITERION_DETAILS = {
    1: ("Self completion", "Marking yourself complete"),
    4: ("Activity completion", "Marking yourself complete"),
}


def enrol_users(ctx: Ctx, params: dict[str, Any]) -> None:
    """Checks every row first, then applies all: the first bad row leaves the state untouched."""
    state = ctx.state
    todo = []
    for row in params["enrolments"]:
        course = state.courses.get(row["courseid"])
        if course is None:
            raise invalid_parameter("Context does not exist")
        if row["roleid"] not in ASSIGNABLE_ROLES:
            raise moodle_exception(
                "wsusercannotassign",
                f"You don't have the permission to assign this role ({row['roleid']}) to this user "
                f"({row['userid']}) in this course({row['courseid']}).",
            )
        if not course.manual_instance:
            raise moodle_exception("wsnoinstance", WSNOINSTANCE)
        if row["userid"] not in state.users:
            raise coding_error("User ID does not exist or is deleted!", f"userid:{row['userid']}")
        todo.append(row)
    for row in todo:
        state.enrol_sends[(row["userid"], row["courseid"])] += 1
        state.enrol(
            row["userid"],
            row["courseid"],
            roleid=row["roleid"],
            timestart=row.get("timestart") or 0,
            timeend=row.get("timeend") or 0,
            status=1 if row.get("suspend") else 0,
        )


def unenrol_users(ctx: Ctx, params: dict[str, Any]) -> None:
    state = ctx.state
    todo = []
    for row in params["enrolments"]:
        course = state.courses.get(row["courseid"])
        if course is None:
            raise missing_record("context", "instanceid", row["courseid"])
        if not course.manual_instance:
            raise moodle_exception("wsnoinstance", WSNOINSTANCE)
        if row["userid"] not in state.users:
            raise invalid_parameter(f"User id not exist: {row['userid']}")
        todo.append(row)
    for row in todo:
        state.unenrol(row["userid"], row["courseid"])


def get_course_completion_status(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    course = state.courses.get(params["courseid"])
    if course is None:
        raise missing_record("course", "id", params["courseid"])
    userid = params["userid"]
    if userid not in state.users:
        raise missing_record("user", "id", userid)
    if not course.enablecompletion:
        raise moodle_exception("completionnotenabled", "Completion is not enabled")
    if not state.is_active(userid, course.id, ctx.now):
        if userid == ctx.userid:
            raise moodle_exception("notenroled", "You are not enrolled in this course")
        raise moodle_exception("usernotenroled", "User is not enrolled in this course")
    if not course.criteria:
        raise moodle_exception("nocriteriaset", "No completion criteria set for this course")
    completions = []
    for ctype, title in course.criteria:
        kind, requirement = CRITERION_DETAILS.get(ctype, (title, ""))
        criteria = title
        if ctype == 4:
            criteria = f'<a href="{ctx.siteurl}/mod/page/view.php?id=2">{course.shortname} checklist</a>'
        completions.append(
            {
                "type": ctype,
                "title": title,
                "status": "No",
                "complete": False,
                "timecompleted": None,
                "details": {"type": kind, "criteria": criteria, "requirement": requirement, "status": ""},
            }
        )
    return {
        "completionstatus": {
            "completed": (userid, course.id) in state.completions,
            "aggregation": 2,
            "completions": completions,
        },
        "warnings": [],
    }


def add_cohort_members(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    state = ctx.state
    warnings = []
    for member in params["members"]:
        ctype, cvalue = member["cohorttype"]["type"], member["cohorttype"]["value"]
        utype, uvalue = member["usertype"]["type"], member["usertype"]["value"]
        if ctype not in ("id", "idnumber"):
            warnings.append({"warningcode": "1", "message": f"invalid parameter: cohortype={ctype}"})
            continue
        if utype not in ("id", "username"):
            warnings.append({"warningcode": "1", "message": f"invalid parameter: usertype={utype}"})
            continue
        if ctype == "id":
            cohortid = int(cvalue) if cvalue.isdigit() and int(cvalue) in state.cohorts else None
        else:
            cohortid = state.by_cohort_idnumber.get(cvalue)
        if cohortid is None:
            warnings.append({"warningcode": "2", "message": f"cohort {ctype}={cvalue} not exists"})
            continue
        if utype == "id":
            userid = int(uvalue) if uvalue.isdigit() and int(uvalue) in state.users else None
        else:
            userid = state.by_username.get(uvalue)
        if userid is None:
            warnings.append({"warningcode": "2", "message": f"user {utype}={uvalue} not exists"})
            continue
        if userid in state.cohorts[cohortid].members:
            message = f"record already exists: cohort({ctype}={cvalue} {utype}={uvalue})"
            warnings.append({"warningcode": "3", "message": message})
            continue
        state.add_cohort_member(cohortid, userid)
    return {"warnings": warnings}
