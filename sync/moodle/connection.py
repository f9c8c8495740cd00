"""Connection check: which Moodle answers, and does the token's service hold every function we need."""

from __future__ import annotations

from dataclasses import dataclass

from sync.moodle.client import MoodleClient

REQUIRED_FUNCTIONS: frozenset[str] = frozenset(
    {
        "core_webservice_get_site_info",
        "core_user_get_users_by_field",
        "core_course_get_courses_by_field",
        "enrol_manual_enrol_users",
        "core_cohort_add_cohort_members",
        "core_enrol_get_enrolled_users",
        "core_enrol_get_users_courses",
        "core_completion_get_course_completion_status",
    }
)


@dataclass(frozen=True)
class ConnectionReport:
    release: str
    version: str
    sitename: str
    missing_functions: frozenset[str]

    @property
    def ok(self) -> bool:
        return not self.missing_functions


def check_connection(client: MoodleClient) -> ConnectionReport:
    """Call get_site_info (raises MoodleFatalError on a bad token) and list missing functions."""
    info = client.get_site_info()
    return ConnectionReport(
        release=info.release,
        version=info.version,
        sitename=info.sitename,
        missing_functions=REQUIRED_FUNCTIONS - info.functions,
    )
