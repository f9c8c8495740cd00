"""In-memory state of the fake Moodle, indexed for 130,000 users / 1,000 courses / 400,000 enrolments."""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

STUDENT = 5
ASSIGNABLE_ROLES = {3: "editingteacher", 4: "teacher", 5: "student"}
DEFAULT_CRITERIA = ((1, "Self completion"), (4, "Activity completion"))


@dataclass
class User:
    id: int
    username: str
    email: str
    idnumber: str = ""
    firstname: str = ""
    lastname: str = ""
    suspended: bool = False
    auth: str = "manual"


@dataclass
class Course:
    id: int
    shortname: str
    fullname: str
    idnumber: str = ""
    enablecompletion: bool = True
    manual_instance: bool = True
    visible: bool = True
    summary: str = ""
    category: int = 1
    criteria: tuple[tuple[int, str], ...] = DEFAULT_CRITERIA
    timecreated: int = 0


@dataclass
class UserEnrolment:
    userid: int
    courseid: int
    method: str  # "manual" or "cohort"
    roleid: int
    timestart: int = 0
    timeend: int = 0
    status: int = 0  # 0 active, 1 suspended
    timecreated: int = 0

    def active(self, now: int) -> bool:
        return self.status == 0 and self.timestart <= now and (self.timeend == 0 or self.timeend > now)


@dataclass
class Cohort:
    id: int
    name: str
    idnumber: str
    members: set[int] = field(default_factory=set)


@dataclass
class Token:
    userid: int
    functions: tuple[str, ...] | None  # service functions in order; None: every known function
    revoked_from_call: int | None = None


class MoodleState:
    """Plain dicts and indices; the app serialises access with one lock."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.by_username: dict[str, int] = {}
        self.by_email: dict[str, list[int]] = defaultdict(list)
        self.by_user_idnumber: dict[str, list[int]] = defaultdict(list)
        self.courses: dict[int, Course] = {}
        self.by_shortname: dict[str, int] = {}
        self.by_course_idnumber: dict[str, int] = {}
        self.enrolments: dict[tuple[int, int, str], UserEnrolment] = {}
        self.course_users: dict[int, set[int]] = defaultdict(set)
        self.user_courses: dict[int, set[int]] = defaultdict(set)
        self.completions: dict[tuple[int, int], int] = {}
        self.lastcourseaccess: dict[tuple[int, int], int] = {}
        self.cohorts: dict[int, Cohort] = {}
        self.by_cohort_idnumber: dict[str, int] = {}
        self.cohort_courses: dict[int, set[int]] = defaultdict(set)
        self.tokens: dict[str, Token] = {}
        # How many times each (user, course) was sent to enrol_manual_enrol_users (and applied).
        self.enrol_sends: Counter[tuple[int, int]] = Counter()
        self._ids = itertools.count(100)

    def next_id(self) -> int:
        return next(self._ids)

    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.by_username[user.username] = user.id
        self.by_email[user.email].append(user.id)
        if user.idnumber:
            self.by_user_idnumber[user.idnumber].append(user.id)
        return user

    def add_course(self, course: Course) -> Course:
        self.courses[course.id] = course
        self.by_shortname[course.shortname] = course.id
        if course.idnumber:
            self.by_course_idnumber[course.idnumber] = course.id
        return course

    def add_cohort(self, cohort: Cohort) -> Cohort:
        self.cohorts[cohort.id] = cohort
        self.by_cohort_idnumber[cohort.idnumber] = cohort.id
        return cohort

    def enrol(
        self,
        userid: int,
        courseid: int,
        *,
        method: str = "manual",
        roleid: int = STUDENT,
        timestart: int = 0,
        timeend: int = 0,
        status: int = 0,
    ) -> UserEnrolment:
        """Moodle's enrol_user: a new enrolment, or an update that resets dates and status."""
        key = (userid, courseid, method)
        existing = self.enrolments.get(key)
        if existing is None:
            existing = UserEnrolment(
                userid, courseid, method, roleid, timestart, timeend, status, int(time.time())
            )
            self.enrolments[key] = existing
            self.course_users[courseid].add(userid)
            self.user_courses[userid].add(courseid)
        else:
            existing.timestart, existing.timeend, existing.status = timestart, timeend, status
            existing.roleid = roleid
        return existing

    def unenrol(self, userid: int, courseid: int, method: str = "manual") -> None:
        self.enrolments.pop((userid, courseid, method), None)
        if not any((userid, courseid, m) in self.enrolments for m in ("manual", "cohort")):
            self.course_users[courseid].discard(userid)
            self.user_courses[userid].discard(courseid)

    def user_enrolments(self, userid: int, courseid: int) -> list[UserEnrolment]:
        found = (self.enrolments.get((userid, courseid, m)) for m in ("manual", "cohort"))
        return [e for e in found if e is not None]

    def is_active(self, userid: int, courseid: int, now: int) -> bool:
        return any(e.active(now) for e in self.user_enrolments(userid, courseid))

    def add_cohort_member(self, cohortid: int, userid: int) -> None:
        self.cohorts[cohortid].members.add(userid)
        for courseid in self.cohort_courses[cohortid]:
            self.enrol(userid, courseid, method="cohort")
