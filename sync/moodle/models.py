"""Typed objects built from Moodle answers at the client boundary (frozen, extra keys ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.moodle.parsing import (
    as_dict,
    as_list,
    opt_bool,
    opt_float,
    opt_int,
    opt_str,
    req_bool,
    req_int,
    req_str,
)


@dataclass(frozen=True)
class SiteInfo:
    sitename: str
    release: str
    version: str
    siteurl: str
    userid: int
    functions: frozenset[str]

    @classmethod
    def from_json(cls, data: Any) -> SiteInfo:
        d = as_dict(data, "site info")
        names = {req_str(as_dict(f, "function"), "name", "site info function") for f in _list(d, "functions")}
        return cls(
            sitename=req_str(d, "sitename", "site info"),
            release=opt_str(d, "release", "site info"),
            version=opt_str(d, "version", "site info"),
            siteurl=req_str(d, "siteurl", "site info"),
            userid=req_int(d, "userid", "site info"),
            functions=frozenset(names),
        )


@dataclass(frozen=True)
class MoodleUser:
    id: int
    username: str
    email: str
    idnumber: str
    firstname: str
    lastname: str
    suspended: bool

    @classmethod
    def from_json(cls, data: Any) -> MoodleUser:
        d = as_dict(data, "user")
        return cls(
            id=req_int(d, "id", "user"),
            username=opt_str(d, "username", "user"),
            email=opt_str(d, "email", "user"),
            idnumber=opt_str(d, "idnumber", "user"),
            firstname=opt_str(d, "firstname", "user"),
            lastname=opt_str(d, "lastname", "user"),
            suspended=bool(opt_bool(d, "suspended", "user", default=False)),
        )


@dataclass(frozen=True)
class Enrolment:
    """One row for enrol_manual_enrol_users (roleid 5 is student on a standard site)."""

    userid: int
    courseid: int
    roleid: int = 5
    timestart: int | None = None
    timeend: int | None = None
    suspend: bool | None = None

    def to_param(self) -> dict[str, Any]:
        # Key order as Moodle documents it: roleid, userid, courseid, then the optional ones.
        return {
            "roleid": self.roleid,
            "userid": self.userid,
            "courseid": self.courseid,
            "timestart": self.timestart,
            "timeend": self.timeend,
            "suspend": self.suspend,
        }


@dataclass(frozen=True)
class CohortMember:
    """cohort_type is 'id' or 'idnumber'; user_type is 'id' or 'username'."""

    cohort_value: str | int
    user_value: str | int
    cohort_type: str = "idnumber"
    user_type: str = "username"

    def to_param(self) -> dict[str, Any]:
        return {
            "cohorttype": {"type": self.cohort_type, "value": self.cohort_value},
            "usertype": {"type": self.user_type, "value": self.user_value},
        }


@dataclass(frozen=True)
class CohortWarning:
    """warningcode is a string on the wire: '1' bad type, '2' missing cohort/user, '3' already member."""

    warningcode: str
    message: str
    item: str
    itemid: int | None

    @classmethod
    def from_json(cls, data: Any) -> CohortWarning:
        d = as_dict(data, "warning")
        return cls(
            warningcode=opt_str(d, "warningcode", "warning"),
            message=opt_str(d, "message", "warning"),
            item=opt_str(d, "item", "warning"),
            itemid=opt_int(d, "itemid", "warning"),
        )


@dataclass(frozen=True)
class EnrolledUser:
    id: int
    username: str
    fullname: str
    firstname: str
    lastname: str
    email: str
    idnumber: str
    lastcourseaccess: int | None
    roleids: tuple[int, ...]

    @classmethod
    def from_json(cls, data: Any) -> EnrolledUser:
        d = as_dict(data, "enrolled user")
        roles = tuple(req_int(as_dict(r, "role"), "roleid", "role") for r in _list(d, "roles"))
        return cls(
            id=req_int(d, "id", "enrolled user"),
            username=opt_str(d, "username", "enrolled user"),
            fullname=opt_str(d, "fullname", "enrolled user"),
            firstname=opt_str(d, "firstname", "enrolled user"),
            lastname=opt_str(d, "lastname", "enrolled user"),
            email=opt_str(d, "email", "enrolled user"),
            idnumber=opt_str(d, "idnumber", "enrolled user"),
            lastcourseaccess=opt_int(d, "lastcourseaccess", "enrolled user"),
            roleids=roles,
        )


@dataclass(frozen=True)
class UserCourse:
    id: int
    shortname: str
    fullname: str
    idnumber: str
    enablecompletion: bool
    completed: bool | None
    progress: float | None
    lastaccess: int | None

    @classmethod
    def from_json(cls, data: Any) -> UserCourse:
        d = as_dict(data, "user course")
        return cls(
            id=req_int(d, "id", "user course"),
            shortname=req_str(d, "shortname", "user course"),
            fullname=opt_str(d, "fullname", "user course"),
            idnumber=opt_str(d, "idnumber", "user course"),
            enablecompletion=bool(opt_bool(d, "enablecompletion", "user course", default=False)),
            completed=opt_bool(d, "completed", "user course"),
            progress=opt_float(d, "progress", "user course"),
            lastaccess=opt_int(d, "lastaccess", "user course"),
        )


@dataclass(frozen=True)
class CompletionCriterion:
    type: int
    title: str
    status: str
    complete: bool
    timecompleted: int | None

    @classmethod
    def from_json(cls, data: Any) -> CompletionCriterion:
        d = as_dict(data, "completion criterion")
        return cls(
            type=req_int(d, "type", "completion criterion"),
            title=opt_str(d, "title", "completion criterion"),
            status=opt_str(d, "status", "completion criterion"),
            complete=req_bool(d, "complete", "completion criterion"),
            timecompleted=opt_int(d, "timecompleted", "completion criterion"),
        )


@dataclass(frozen=True)
class CourseCompletion:
    """No course-level completion time exists in this answer (see moodle-ws.md)."""

    completed: bool
    aggregation: int
    criteria: tuple[CompletionCriterion, ...]

    @classmethod
    def from_json(cls, data: Any) -> CourseCompletion:
        status = as_dict(as_dict(data, "completion").get("completionstatus"), "completionstatus")
        return cls(
            completed=req_bool(status, "completed", "completionstatus"),
            aggregation=req_int(status, "aggregation", "completionstatus"),
            criteria=tuple(CompletionCriterion.from_json(c) for c in _list(status, "completions")),
        )


@dataclass(frozen=True)
class Course:
    id: int
    shortname: str
    fullname: str
    idnumber: str
    visible: bool
    enablecompletion: bool
    enrollmentmethods: tuple[str, ...]

    @classmethod
    def from_json(cls, data: Any) -> Course:
        d = as_dict(data, "course")
        methods = tuple(str(m) for m in _list(d, "enrollmentmethods"))
        return cls(
            id=req_int(d, "id", "course"),
            shortname=req_str(d, "shortname", "course"),
            fullname=opt_str(d, "fullname", "course"),
            idnumber=opt_str(d, "idnumber", "course"),
            visible=bool(opt_bool(d, "visible", "course", default=True)),
            enablecompletion=bool(opt_bool(d, "enablecompletion", "course", default=False)),
            enrollmentmethods=methods,
        )


@dataclass(frozen=True)
class SentMessage:
    msgid: int
    clientmsgid: str
    errormessage: str

    @classmethod
    def from_json(cls, data: Any) -> SentMessage:
        d = as_dict(data, "message")
        return cls(
            msgid=req_int(d, "msgid", "message"),
            clientmsgid=opt_str(d, "clientmsgid", "message"),
            errormessage=opt_str(d, "errormessage", "message"),
        )


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    """An optional list: absent or null means empty."""
    value = data.get(key)
    return [] if value is None else as_list(value, key)
