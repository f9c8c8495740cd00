"""Enrolments in batches, isolating bad rows.

enrol_manual_enrol_users is one transaction: the first bad row rolls the whole call back. A batch that
fails with a MoodleItemError is split in halves, recursively, until the bad rows stand alone; the good
rows go through.

``enrol_isolating`` never raises a Moodle error: it says what happened to every row, which a job needs to
stay exact when Moodle fails half-way through a split (some halves already went through):

- ``succeeded``: enrolled; ``failed``: refused, with Moodle's reason;
- ``unsent``: certainly not carried out (fatal error, or a transient one that persisted after the client's
  retries), safe to send again later;
- ``uncertain``: the call may have gone through (timeout after sending, unexpected answer): verify before
  sending again.

``enrol_in_batches`` is the raising variant: fatal and transient errors propagate once the outcome of the
other rows is known.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleError, MoodleItemError, MoodleProtocolError, MoodleTransientError
from sync.moodle.models import Enrolment

log = logging.getLogger(__name__)


@dataclass
class EnrolOutcome:
    succeeded: list[Enrolment] = field(default_factory=list)
    failed: list[tuple[Enrolment, MoodleItemError]] = field(default_factory=list)
    unsent: list[Enrolment] = field(default_factory=list)
    uncertain: list[Enrolment] = field(default_factory=list)
    error: MoodleError | None = None  # what stopped the sending, if anything
    calls: int = 0


def enrol_isolating(client: MoodleClient, rows: Sequence[Enrolment], batch_size: int = 200) -> EnrolOutcome:
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    outcome = EnrolOutcome()
    for start in range(0, len(rows), batch_size):
        _enrol(client, list(rows[start : start + batch_size]), outcome)
    log.info(
        "enrolments: %d ok, %d failed, %d unsent, %d uncertain, %d calls",
        len(outcome.succeeded),
        len(outcome.failed),
        len(outcome.unsent),
        len(outcome.uncertain),
        outcome.calls,
    )
    return outcome


def enrol_in_batches(client: MoodleClient, rows: Sequence[Enrolment], batch_size: int = 200) -> EnrolOutcome:
    outcome = enrol_isolating(client, rows, batch_size)
    if outcome.error is not None:
        raise outcome.error
    return outcome


def _enrol(client: MoodleClient, batch: list[Enrolment], outcome: EnrolOutcome) -> None:
    if outcome.error is not None:
        outcome.unsent.extend(batch)
        return
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
    except MoodleTransientError as exc:
        outcome.error = exc
        (outcome.uncertain if exc.ambiguous else outcome.unsent).extend(batch)
        return
    except MoodleProtocolError as exc:  # Moodle answered, but not as documented: it may have enrolled
        outcome.error = exc
        outcome.uncertain.extend(batch)
        return
    except MoodleError as exc:  # fatal: refused before doing anything
        outcome.error = exc
        outcome.unsent.extend(batch)
        return
    outcome.succeeded.extend(batch)
