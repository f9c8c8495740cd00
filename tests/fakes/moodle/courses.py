"""Fake handlers: core_course_get_courses_by_field, core_enrol_get_enrolled_users, get_users_courses."""

from __future__ import annotations

from typing import Any

from tests.fakes.moodle.context import Ctx
from tests.fakes.moodle.state import ASSIGNABLE_ROLES, Course
from tests.fakes.moodle.users import picture
from tests.fakes.moodle.validation import WsError, invalid_parameter, missing_record

FILTERS = ("displayh5p", "activitynames", "mathjaxloader", "emoticon", "urltolink", "mediaplugin")


def enrolment_methods(ctx: Ctx, course: Course) -> list[str]:
    methods = ["manual"] if course.manual_instance else []
    if any(course.id in ctx.state.cohort_courses[c] for c in ctx.state.cohorts):
        methods.append("cohort")
    return methods


def course_json(ctx: Ctx, course: Course) -> dict[str, Any]:
    """One course as core_course_get_courses_by_field renders it (capture 06)."""
    return {
        "id": course.id,
        "fullname": course.fullname,
        "displayname": course.fullname,
        "shortname": course.shortname,
        "courseimage": f"{ctx.siteurl}/pluginfile.php/17/course/generated/course.svg",
        "categoryid": course.category,
        "categoryname": f"Category {course.category}",
        "sortorder": 10000 + course.id,
        "summary": course.summary,
        "summaryformat": 1,
        "summaryfiles": [],
        "overviewfiles": [],
        "showactivitydates": False,
        "showcompletionconditions": True,
        "contacts": [],
        "enrollmentmethods": enrolment_methods(ctx, course),
        "idnumber": course.idnumber,
        "format": "topics",
        "showgrades": 1,
        "newsitems": 1,
        "startdate": 0,
        "enddate": 0,
        "maxbytes": 0,
        "showreports": 0,
        "visible": int(course.visible),
        "groupmode": 0,
        "groupmodeforce": 0,
        "defaultgroupingid": 0,
        "enablecompletion": int(course.enablecompletion),
        "completionnotify": 0,
        "lang": "",
        "theme": "",
        "marker": 0,
        "legacyfiles": 0,
        "calendartype": "",
        "timecreated": course.timecreated,
        "timemodified": course.timecreated,
        "requested": 0,
        "cacherev": course.timecreated,
        "filters": [{"filter": f, "localstate": 0, "inheritedstate": 1} for f in FILTERS],
        "courseformatoptions": [
            {"name": "hiddensections", "value": 1},
            {"name": "coursedisplay", "value": 0},
            {"name": "indentation", "value": "1"},
        ],
    }


def _find_courses(ctx: Ctx, field: str, value: str) -> list[Course]:
    state = ctx.state
    if field == "":
        return [c for c in state.courses.values() if c.id != 1]
    if field == "id":
        course = state.courses.get(int(value)) if value.lstrip("-").isdigit() else None
        return [course] if course else []
    if field == "ids":
        ids = [int(v) for v in value.split(",") if v.strip().isdigit()]
        if any(i not in state.courses for i in ids):
            raise WsError("Error", None, 'Attempt to assign property "contextvalidated" on null')
        return [state.courses[i] for i in ids]
    if field == "shortname":
        cid = state.by_shortname.get(value)
        return [state.courses[cid]] if cid is not None else []
    if field == "idnumber":
        cid = state.by_course_idnumber.get(value)
        return [state.courses[cid]] if cid is not None else []
    if field == "category":
        return [c for c in state.courses.values() if str(c.category) == value]
    raise invalid_parameter("Invalid field name")


def get_courses_by_field(ctx: Ctx, params: dict[str, Any]) -> dict[str, Any]:
    found = sorted(_find_courses(ctx, params["field"], params["value"]), key=lambda c: c.id)
    return {"courses": [course_json(ctx, c) for c in found], "warnings": []}


DETAIL_ORDER = (
    "id", "username", "firstname", "lastname", "fullname", "email", "department", "idnumber",
    "firstaccess", "lastaccess", "lastcourseaccess", "suspended", "profileimageurlsmall", "profileimageurl",
    "roles",
)  # fmt: skip


def get_enrolled_users(ctx: Ctx, params: dict[str, Any]) -> list[dict[str, Any]]:
    state = ctx.state
    courseid = params["courseid"]
    if courseid not in state.courses:
        raise missing_record("course", "id", courseid)
    fields: set[str] = set(DETAIL_ORDER)
    limitfrom = limitnumber = 0
    onlyactive = False
    for option in params["options"]:
        name, value = option["name"], option["value"]
        if name == "userfields":
            fields = {f.strip() for f in value.split(",")} | {"id", "fullname"}
        elif name == "limitfrom":
            limitfrom = int(value or 0)
        elif name == "limitnumber":
            limitnumber = int(value or 0)
        elif name == "onlyactive":
            onlyactive = value not in ("", "0")
    userids = sorted(state.course_users.get(courseid, ()))
    if onlyactive:
        userids = [u for u in userids if state.is_active(u, courseid, ctx.now)]
    userids = userids[limitfrom:]
    if limitnumber:
        userids = userids[:limitnumber]
    out = []
    for uid in userids:
        user = state.users[uid]
        roles = sorted({e.roleid for e in state.user_enrolments(uid, courseid)})
        full: dict[str, Any] = {
            "id": uid,
            "username": user.username,
            "firstname": user.firstname,
            "lastname": user.lastname,
            "fullname": f"{user.firstname} {user.lastname}",
            "email": user.email,
            "department": "",
            "idnumber": user.idnumber,
            "firstaccess": 0,
            "lastaccess": 0,
            "lastcourseaccess": state.lastcourseaccess.get((uid, courseid), 0),
            "suspended": user.suspended,
            "profileimageurlsmall": picture(ctx, "f2"),
            "profileimageurl": picture(ctx, "f1"),
            "roles": [
                {"roleid": r, "name": "", "shortname": ASSIGNABLE_ROLES.get(r, f"role{r}"), "sortorder": 0}
                for r in roles
            ],
        }
        out.append({k: full[k] for k in DETAIL_ORDER if k in fields and (k != "idnumber" or user.idnumber)})
    return out


def get_users_courses(ctx: Ctx, params: dict[str, Any]) -> list[dict[str, Any]]:
    state = ctx.state
    userid = params["userid"]
    out = []
    for courseid in sorted(state.user_courses.get(userid, ())):
        if not state.is_active(userid, courseid, ctx.now):
            continue
        course = state.courses[courseid]
        completed = (userid, courseid) in state.completions if course.enablecompletion else None
        row: dict[str, Any] = {
            "id": course.id,
            "shortname": course.shortname,
            "fullname": course.fullname,
            "displayname": course.fullname,
        }
        if params["returnusercount"]:
            row["enrolledusercount"] = len(state.course_users[courseid])
        row.update(
            {
                "idnumber": course.idnumber,
                "visible": int(course.visible),
                "summary": course.summary,
                "summaryformat": 1,
                "format": "topics",
                "showgrades": True,
                "lang": "",
                "enablecompletion": course.enablecompletion,
                "completionhascriteria": bool(course.criteria) and course.enablecompletion,
                "completionusertracked": course.enablecompletion,
                "category": course.category,
                "progress": None if completed is None else (100.0 if completed else 0.0),
                "completed": completed,
                "startdate": 0,
                "enddate": 0,
                "marker": 0,
                "lastaccess": state.lastcourseaccess.get((userid, courseid)),
                "isfavourite": False,
                "hidden": False,
                "overviewfiles": [],
                "showactivitydates": False,
                "showcompletionconditions": True,
                "timemodified": course.timecreated,
            }
        )
        out.append(row)
    return out
