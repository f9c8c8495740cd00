"""Seeding API of the fake Moodle: users, courses, enrolments, completions, cohorts, tokens."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from tests.fakes.moodle.state import Cohort, Course, MoodleState, Token, User

WS_USER_ID = 3
CAPTURE_FUNCTIONS = (
    "core_webservice_get_site_info", "core_user_get_users_by_field", "core_user_create_users",
    "core_course_get_courses", "core_course_get_courses_by_field", "core_course_create_courses",
    "enrol_manual_enrol_users", "core_enrol_get_enrolled_users",
    "core_completion_get_course_completion_status",
    "core_completion_get_activities_completion_status", "core_completion_mark_course_self_completed",
    "core_cohort_add_cohort_members", "core_cohort_create_cohorts",
)  # fmt: skip


class SeedingMixin:
    state: MoodleState
    lock: threading.RLock

    def seed_site(self) -> None:
        """Site course (id 1), admin (2) and the web-service user wsclient (3)."""
        self.state.add_course(Course(1, "LTI Lab", "LTI Lab Moodle", enablecompletion=False))
        self.state.add_user(User(2, "admin", "admin@example.com", firstname="Admin", lastname="User"))
        self.state.add_user(
            User(WS_USER_ID, "wsclient", "wsclient@example.com", firstname="WS", lastname="Client")
        )

    def add_token(
        self, token: str, functions: Iterable[str] | None = None, *, userid: int = WS_USER_ID
    ) -> None:
        """``functions=None`` allows every function the fake knows."""
        with self.lock:
            self.state.tokens[token] = Token(userid, None if functions is None else tuple(functions))

    def add_user(self, username: str, *, id: int | None = None, **fields: Any) -> int:
        with self.lock:
            uid = id if id is not None else self.state.next_id()
            fields.setdefault("email", f"{username}@example.com")
            self.state.add_user(User(uid, username, **fields))
            return uid

    def add_course(self, shortname: str, *, id: int | None = None, **fields: Any) -> int:
        with self.lock:
            cid = id if id is not None else self.state.next_id()
            fields.setdefault("fullname", shortname)
            fields.setdefault("idnumber", shortname)
            self.state.add_course(Course(cid, shortname, **fields))
            return cid

    def enrol(self, userid: int, courseid: int, **fields: Any) -> None:
        with self.lock:
            self.state.enrol(userid, courseid, **fields)

    def enrolment(self, userid: int, courseid: int, method: str = "manual") -> Any:
        with self.lock:
            return self.state.enrolments.get((userid, courseid, method))

    def snapshot(self) -> dict[str, Any]:
        """What an observer of the site sees (enrolments with dates and status, cohort members), without
        creation times: two runs that did the same thing give equal snapshots."""
        with self.lock:
            enrolments = {
                key: (e.roleid, e.timestart, e.timeend, e.status) for key, e in self.state.enrolments.items()
            }
            cohorts = {c.idnumber: frozenset(c.members) for c in self.state.cohorts.values()}
            return {"enrolments": enrolments, "cohorts": cohorts}

    def set_completion(self, userid: int, courseid: int, timecompleted: int) -> None:
        with self.lock:
            self.state.completions[(userid, courseid)] = timecompleted

    def set_lastcourseaccess(self, userid: int, courseid: int, when: int) -> None:
        with self.lock:
            self.state.lastcourseaccess[(userid, courseid)] = when

    def add_cohort(self, idnumber: str, *, id: int | None = None, name: str = "") -> int:
        with self.lock:
            cid = id if id is not None else self.state.next_id()
            self.state.add_cohort(Cohort(cid, name or idnumber, idnumber))
            return cid

    def link_cohort(self, cohortid: int, courseid: int) -> None:
        """A cohort-sync enrolment method: current and future members are enrolled in the course."""
        with self.lock:
            self.state.cohort_courses[cohortid].add(courseid)
            for userid in self.state.cohorts[cohortid].members:
                self.state.enrol(userid, courseid, method="cohort")

    def seed_capture_site(self, token: str = "WSTOKEN") -> None:  # noqa: S107
        """The data of the captured site (moodle-samples/ws), enough to replay the captures."""
        self.add_token(token, CAPTURE_FUNCTIONS)
        for n in range(1, 6):
            self.add_user(
                f"agent{n}", id=3 + n, firstname="Agent", lastname=f"Number{n}", idnumber=f"AG-00{n}"
            )
        for uid, name in ((9, "wsagent1795930303"), (10, "wsagentwsclient1795930306")):
            self.add_user(name, id=uid, firstname="Created", lastname="ViaWS", idnumber=f"EXT-{name}")
        summary = "Intro course used for completion sync tests"
        self.add_course("LTI101", id=2, fullname="LTI Basics 101", summary=summary, timecreated=1795930259)
        self.add_course("LTI102", id=3, fullname="Sales Onboarding 102", summary="Second test course")
        self.add_course(
            "WSwsclient1795930306", id=6, fullname="Created via WS WSwsclient1795930306", criteria=()
        )
        for uid in range(4, 11):
            self.enrol(uid, 2)
        self.enrol(10, 6)
        self.set_completion(4, 2, 1795930272)
        self.add_cohort("COHwsclient1795930306", id=3)
        self.add_cohort("SYSTEM-1", id=1)
        self.state.cohorts[1].members.add(7)

    def seed_bulk(self, users: int, courses: int, enrolments: int, *, first_id: int = 1000) -> None:
        """Synthetic volume for benchmarks: ``enrolments`` spread round-robin over the courses."""
        with self.lock:
            for i in range(users):
                uid = first_id + i
                self.state.add_user(
                    User(uid, f"u{uid}", f"u{uid}@example.com", f"ID{uid}", "Agent", str(uid))
                )
            for j in range(courses):
                cid = first_id + j
                self.state.add_course(Course(cid, f"C{cid}", f"Course {cid}", f"C{cid}"))
            for k in range(enrolments):
                self.state.enrol(first_id + k % users, first_id + (k // users + k) % courses)
