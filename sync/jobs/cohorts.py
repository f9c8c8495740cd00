"""The cohort strategy of the push: members added to one cohort per course, enrolled by cohort sync.

Convention: the cohort of Moodle course N has the idnumber ``pacnum-course-N``; the Moodle admin creates
it once and adds a "Cohort sync" enrolment method to the course (docs/sync.md). Moodle answers bad rows
with warnings that do not say which row they concern; they are read back from their messages:

- "3" ``record already exists: cohort(idnumber=... id=U)``: already a member, so enrolled: success;
- "2" ``cohort idnumber=X not exists``: every row of that cohort fails;
- "2" ``user id=U not exists``: the rows of that user fail;
- anything else is kept in the run's errors (the rows are counted as sent).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleError, MoodleItemError
from sync.moodle.models import CohortMember, CohortWarning
from sync.runs import JobContext

COHORT_IDNUMBER = "pacnum-course-{course_id}"
_MISSING_COHORT = re.compile(r"^cohort idnumber=(\S+) not exists")
_MISSING_USER = re.compile(r"^user id=(\d+) not exists")

Key = tuple[int, int]


def cohort_idnumber(course_id: int) -> str:
    return COHORT_IDNUMBER.format(course_id=course_id)


@dataclass
class CohortOutcome:
    done: list[Key] = field(default_factory=list)
    failed: dict[Key, str] = field(default_factory=dict)
    unsent: list[Key] = field(default_factory=list)
    errors: list[MoodleError] = field(default_factory=list)
    unattributed: list[str] = field(default_factory=list)


def _batch_result(batch: list[Key], warnings: list[CohortWarning], outcome: CohortOutcome) -> None:
    failed: dict[Key, str] = {}
    for warning in warnings:
        if warning.warningcode == "3":
            continue
        reason = f"cohort warning {warning.warningcode}: {warning.message}"
        if m := _MISSING_COHORT.match(warning.message):
            reason += " (create the cohort and a cohort sync enrolment method in the course)"
            failed.update({k: reason for k in batch if cohort_idnumber(k[1]) == m.group(1)})
        elif m := _MISSING_USER.match(warning.message):
            failed.update({k: reason for k in batch if k[0] == int(m.group(1))})
        else:
            outcome.unattributed.append(reason)
    outcome.failed.update(failed)
    outcome.done.extend(k for k in batch if k not in failed)


def add_to_cohorts(
    ctx: JobContext, client: MoodleClient, keys: list[Key], batch_size: int, workers: int
) -> CohortOutcome:
    by_course: dict[int, list[Key]] = defaultdict(list)
    for key in keys:
        by_course[key[1]].append(key)
    size = max(1, min(batch_size, 1000))
    batches = [rows[i : i + size] for rows in by_course.values() for i in range(0, len(rows), size)]

    def send(batch: list[Key]) -> list[CohortWarning]:
        members = [CohortMember(cohort_idnumber(c), u, user_type="id") for u, c in batch]
        return client.add_cohort_members(members)

    outcome = CohortOutcome()
    for batch, result in zip(batches, ctx.parallel(send, batches, workers), strict=True):
        if isinstance(result.error, MoodleItemError):
            reason = f"{result.error.errorcode}: {result.error.message}"
            outcome.failed.update(dict.fromkeys(batch, reason))
        elif isinstance(result.error, MoodleError):
            # Adding members is idempotent: whatever happened, sending again later is safe.
            outcome.errors.append(result.error)
            outcome.unsent.extend(batch)
        elif result.error is not None:
            raise result.error
        else:
            _batch_result(batch, result.value, outcome)
    for message in outcome.unattributed:
        ctx.error(message)
    return outcome
