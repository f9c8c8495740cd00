"""Enrolments in batches, isolating bad rows.

enrol_manual_enrol_users is one transaction: the first bad row rolls the whole call back. A batch that
fails with a MoodleItemError is split in halves, recursively, until the bad rows stand alone; the good
rows go through. Fatal errors propagate; transient ones are retried by the client and propagate if they
persist.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleItemError
from sync.moodle.models import Enrolment

log = logging.getLogger(__name__)


@dataclass
class EnrolOutcome:
    succeeded: list[Enrolment] = field(default_factory=list)
    failed: list[tuple[Enrolment, MoodleItemError]] = field(default_factory=list)
    calls: int = 0


def enrol_in_batches(client: MoodleClient, rows: Sequence[Enrolment], batch_size: int = 200) -> EnrolOutcome:
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    outcome = EnrolOutcome()
    for start in range(0, len(rows), batch_size):
        _enrol(client, list(rows[start : start + batch_size]), outcome)
    log.info(
        "enrolments: %d ok, %d failed, %d calls", len(outcome.succeeded), len(outcome.failed), outcome.calls
    )
    return outcome


def _enrol(client: MoodleClient, batch: list[Enrolment], outcome: EnrolOutcome) -> None:
    outcome.calls += 1
    try:
        client.enrol_users(batch)
    except MoodleItemError as exc:
        if len(batch) == 1:
            outcome.failed.append((batch[0], exc))
            return
        middle = len(batch) // 2
        _enrol(client, batch[:middle], outcome)
        _enrol(client, batch[middle:], outcome)
        return
    outcome.succeeded.extend(batch)
