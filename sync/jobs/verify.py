"""Which (user, course) enrolments exist in Moodle: read-only checks before anything is sent again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleItemError
from sync.runs import JobContext

PAGE = 1000  # users per core_enrol_get_enrolled_users call

Key = tuple[int, int]


def enrolled_among(client: MoodleClient, course_id: int, wanted: set[int]) -> set[int]:
    """The users of ``wanted`` enrolled in the course (any method, active or suspended).

    Pages through core_enrol_get_enrolled_users (ordered by user id) and stops as soon as the page passes
    the highest wanted id. A course Moodle does not know has nobody enrolled.
    """
    found: set[int] = set()
    highest = max(wanted)
    offset = 0
    while True:
        try:
            page = client.get_enrolled_users(
                course_id, limitfrom=offset, limitnumber=PAGE, userfields=("id",)
            )
        except MoodleItemError:
            return found
        found.update(u.id for u in page if u.id in wanted)
        if len(page) < PAGE or page[-1].id >= highest or found == wanted:
            return found
        offset += PAGE


def enrolled_pairs(ctx: JobContext, client: MoodleClient, keys: Iterable[Key], workers: int) -> set[Key]:
    by_course: dict[int, set[int]] = defaultdict(set)
    for userid, courseid in keys:
        by_course[courseid].add(userid)
    courses = sorted(by_course)
    outcomes = ctx.parallel(lambda c: enrolled_among(client, c, by_course[c]), courses, workers)
    present: set[Key] = set()
    for course_id, outcome in zip(courses, outcomes, strict=True):
        if outcome.error is not None:
            raise outcome.error
        present.update((userid, course_id) for userid in outcome.value)
    return present
