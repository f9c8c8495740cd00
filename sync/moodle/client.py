"""Typed Moodle web-service client: the only code of the project that talks to Moodle."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sync.moodle.errors import MoodleProtocolError
from sync.moodle.models import (
    CohortMember,
    CohortWarning,
    Course,
    CourseCompletion,
    EnrolledUser,
    Enrolment,
    MoodleUser,
    SentMessage,
    SiteInfo,
    UserCourse,
)
from sync.moodle.parsing import as_dict, as_list
from sync.moodle.transport import BaseMoodleClient

log = logging.getLogger(__name__)

USER_FIELDS = frozenset({"id", "idnumber", "username", "email"})
COURSE_FIELDS = frozenset({"", "id", "ids", "shortname", "idnumber", "category"})
DEFAULT_ENROLLED_FIELDS = ("id", "username", "idnumber", "lastcourseaccess")


class MoodleClient(BaseMoodleClient):
    """One typed method per web-service function the bridge uses."""

    def get_site_info(self) -> SiteInfo:
        return SiteInfo.from_json(self.call("core_webservice_get_site_info"))

    def get_users_by_field(self, field: str, values: Iterable[str | int]) -> list[MoodleUser]:
        """Users whose ``field`` is in ``values``; unknown values are silently left out by Moodle."""
        if field not in USER_FIELDS:
            raise ValueError(f"field must be one of {sorted(USER_FIELDS)}")
        wanted = [str(v) for v in values]
        if not wanted:
            return []
        data = self.call("core_user_get_users_by_field", {"field": field, "values": wanted})
        return [MoodleUser.from_json(u) for u in as_list(data, "core_user_get_users_by_field")]

    def enrol_users(self, enrolments: Sequence[Enrolment]) -> None:
        """One Moodle transaction: the first bad row rolls back the whole call (see batching.py).

        Not retried after a timeout (re-sending resets enrolment dates): the caller verifies instead.
        """
        if not enrolments:
            return
        data = self.call(
            "enrol_manual_enrol_users", {"enrolments": [e.to_param() for e in enrolments]}, idempotent=False
        )
        if data is not None:
            raise MoodleProtocolError("expected null", function="enrol_manual_enrol_users")

    def add_cohort_members(self, members: Sequence[CohortMember]) -> list[CohortWarning]:
        """Bad rows come back as warnings, not errors."""
        if not members:
            return []
        data = self.call("core_cohort_add_cohort_members", {"members": [m.to_param() for m in members]})
        warnings = as_dict(data, "core_cohort_add_cohort_members").get("warnings") or []
        return [CohortWarning.from_json(w) for w in as_list(warnings, "warnings")]

    def get_enrolled_users(
        self,
        courseid: int,
        *,
        limitfrom: int = 0,
        limitnumber: int = 0,
        userfields: Sequence[str] | None = DEFAULT_ENROLLED_FIELDS,
        onlyactive: bool = False,
    ) -> list[EnrolledUser]:
        """Users enrolled in a course, ordered by id; page with limitfrom/limitnumber (0 = no limit)."""
        options: list[dict[str, Any]] = []
        if userfields:
            options.append({"name": "userfields", "value": ",".join(userfields)})
        if limitfrom:
            options.append({"name": "limitfrom", "value": limitfrom})
        if limitnumber:
            options.append({"name": "limitnumber", "value": limitnumber})
        if onlyactive:
            options.append({"name": "onlyactive", "value": 1})
        data = self.call("core_enrol_get_enrolled_users", {"courseid": courseid, "options": options})
        return [EnrolledUser.from_json(u) for u in as_list(data, "core_enrol_get_enrolled_users")]

    def get_users_courses(self, userid: int) -> list[UserCourse]:
        """Active enrolments of one user with completion flag and progress (no completion time)."""
        data = self.call("core_enrol_get_users_courses", {"userid": userid, "returnusercount": False})
        return [UserCourse.from_json(c) for c in as_list(data, "core_enrol_get_users_courses")]

    def get_course_completion_status(self, courseid: int, userid: int) -> CourseCompletion:
        data = self.call(
            "core_completion_get_course_completion_status", {"courseid": courseid, "userid": userid}
        )
        return CourseCompletion.from_json(data)

    def get_courses_by_field(self, field: str = "", value: str | int = "") -> list[Course]:
        if field not in COURSE_FIELDS:
            raise ValueError(f"field must be one of {sorted(COURSE_FIELDS)}")
        params: dict[str, Any] = {"field": field, "value": value} if field else {}
        data = self.call("core_course_get_courses_by_field", params)
        courses = as_dict(data, "core_course_get_courses_by_field").get("courses")
        return [Course.from_json(c) for c in as_list(courses, "courses")]

    def send_instant_messages(self, messages: Sequence[tuple[int, str]]) -> list[SentMessage]:
        """Send ``(touserid, html text)`` pairs as Moodle notifications; failed rows carry errormessage."""
        if not messages:
            return []
        rows = [{"touserid": uid, "text": text, "textformat": 1} for uid, text in messages]
        data = self.call("core_message_send_instant_messages", {"messages": rows})
        return [SentMessage.from_json(m) for m in as_list(data, "core_message_send_instant_messages")]
