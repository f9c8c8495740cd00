"""Push: drain the enrolment outbox of a connection into Moodle, never sending an enrolment twice.

Re-sending an enrolment resets its dates in Moodle, so every row goes through these states, each change
committed before the next step:

    pending --(mark, commit)--> sending --(Moodle answered)--> done | failed
                                        --(certainly not sent: fatal, Moodle down)--> pending
                                        --(maybe sent: timeout, kill -9)--> stays sending

A run starts by verifying the rows an earlier run left in ``sending`` against Moodle's list of enrolled
users (read-only calls): enrolled rows become ``done``, the others ``pending``. Nothing is ever sent
twice, and nothing is lost.

Rows are sent in waves of ``batch_size x max_parallel`` rows (batches in parallel). Rows without a Moodle
user id are matched first (sync.jobs.match) or skipped with the reason. Strategies, per connection:

- ``manual``: ``enrol_manual_enrol_users``, failing batches split until the bad rows stand alone
  (sync.moodle.batching), recorded with Moodle's errorcode and message;
- ``cohort``: ``core_cohort_add_cohort_members`` into the course's cohort (idnumber
  ``pacnum-course-<courseid>``, linked to the course by a cohort-sync enrolment method created once by the
  Moodle admin, see docs/sync.md). Adding a member twice is harmless (warning "3": already a member).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from config.database import utcnow
from sync.jobs import match
from sync.jobs.cohorts import CohortOutcome, add_to_cohorts
from sync.jobs.verify import enrolled_pairs
from sync.models import LmsConnection, OutboxOperation
from sync.moodle.batching import EnrolOutcome, enrol_isolating
from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleError, MoodleFatalError, MoodleTransientError
from sync.moodle.models import Enrolment
from sync.runs import JobContext

log = logging.getLogger(__name__)

ENROL = "enrol"
MAX_FAILED_WAVES = 3  # consecutive waves where Moodle failed every batch: stop, Moodle is down

Key = tuple[int, int]  # (Moodle user id, course id)


@dataclass
class WaveResult:
    done: list[Key] = field(default_factory=list)
    failed: dict[Key, str] = field(default_factory=dict)
    unsent: list[Key] = field(default_factory=list)
    uncertain: list[Key] = field(default_factory=list)
    errors: list[MoodleError] = field(default_factory=list)


def _key(row: OutboxOperation) -> Key | None:
    userid, courseid = row.payload.get("userid"), row.payload.get("courseid")
    if userid is None or courseid is None:
        return None
    return int(userid), int(courseid)


def _pack(key: Key) -> int:
    return (key[0] << 32) | key[1]


def _rows(
    ctx: JobContext, connection: LmsConnection, status: str, after_id: int, limit: int
) -> list[OutboxOperation]:
    stmt = (
        select(OutboxOperation)
        .where(
            OutboxOperation.connection_id == connection.id,
            OutboxOperation.operation == ENROL,
            OutboxOperation.status == status,
            OutboxOperation.id > after_id,
        )
        .order_by(OutboxOperation.id)
        .limit(limit)
    )
    return list(ctx.session.scalars(stmt))


def _count(ctx: JobContext, connection: LmsConnection, status: str) -> int:
    stmt = select(func.count()).where(
        OutboxOperation.connection_id == connection.id,
        OutboxOperation.operation == ENROL,
        OutboxOperation.status == status,
    )
    return int(ctx.session.scalar(stmt) or 0)


def _set(ctx: JobContext, rows: Sequence[OutboxOperation], status: str, error: str | None = None) -> None:
    if not rows:
        return
    values: dict[str, object] = {"status": status, "updated_at": utcnow(), "last_error": error}
    if status == "done":
        values["done_at"] = utcnow()
    ctx.session.execute(
        update(OutboxOperation).where(OutboxOperation.id.in_([r.id for r in rows])).values(**values),
        execution_options={"synchronize_session": False},
    )
    for row in rows:  # keep the loaded objects in step, without marking them dirty
        set_committed_value(row, "status", status)
        set_committed_value(row, "last_error", error)


def _forget(ctx: JobContext, rows: Sequence[OutboxOperation]) -> None:
    """Drop handled rows from the session: memory stays flat over 390,000 rows."""
    for row in rows:
        if row in ctx.session:
            ctx.session.expunge(row)


def _done(ctx: JobContext, rows: Sequence[OutboxOperation]) -> None:
    _set(ctx, rows, "done")
    by_table: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        if row.source_id is not None and row.source_table:
            by_table[row.source_table].append(row.source_id)
    for table, ids in by_table.items():
        ctx.port.on_enrolled(ctx.session, table, ids, utcnow())
    ctx.count(pushed=len(rows))


def _failed(ctx: JobContext, row: OutboxOperation, reason: str) -> None:
    _set(ctx, [row], "failed", reason)
    if row.source_id is not None and row.source_table:
        ctx.port.on_enrolment_failed(ctx.session, row.source_table, row.source_id, reason)
    ctx.count(failed=1)


def describe(exc: MoodleError) -> str:
    """Moodle's reason for a row, as stored in the outbox and shown to admins (no token, no names)."""
    text = f"{exc.errorcode or exc.exception or type(exc).__name__}: {exc.message}"
    if exc.debuginfo:
        text += f" ({exc.debuginfo[:300]})"
    return text


# -- recovery of an interrupted run ---------------------------------------------------------------------
def recover(ctx: JobContext, client: MoodleClient, connection: LmsConnection) -> None:
    """Settle the rows an interrupted run left in ``sending``, before anything is sent."""
    after_id = 0
    wave = max(1, connection.batch_size) * max(1, connection.max_parallel)
    while rows := _rows(ctx, connection, "sending", after_id, wave * 5):
        after_id = rows[-1].id
        ctx.bump("verified", len(rows))
        if ctx.dry_run:
            _forget(ctx, rows)
            continue
        if connection.enrol_strategy == "cohort":  # adding a member again is harmless
            _set(ctx, rows, "pending")
        else:
            keys = {k for r in rows if (k := _key(r)) is not None}
            present = enrolled_pairs(ctx, client, keys, connection.max_parallel)
            _done(ctx, [r for r in rows if _key(r) in present])
            _set(ctx, [r for r in rows if _key(r) not in present], "pending")
        ctx.checkpoint()
        _forget(ctx, rows)
    if after_id:
        log.info("push on connection %s: rows of an interrupted run verified", connection.id)


# -- rows without a Moodle user id ---------------------------------------------------------------------
def resolve(
    ctx: JobContext, client: MoodleClient, connection: LmsConnection, rows: list[OutboxOperation]
) -> None:
    """Fill in the Moodle user id of rows enqueued before their agent was matched (match first)."""
    by_table: dict[str, list[OutboxOperation]] = defaultdict(list)
    for row in rows:
        by_table[row.source_table].append(row)
    for table, table_rows in by_table.items():
        ids = [r.source_id for r in table_rows if r.source_id is not None]
        agent_of = ctx.port.agents_for_sources(ctx.session, table, ids)
        agent_ids = sorted(set(agent_of.values()))
        known = ctx.port.lms_user_ids(ctx.session, agent_ids)
        missing = [a for a in agent_ids if a not in known]
        if missing:
            agents = ctx.port.unmatched_agents(ctx.session, connection, limit=len(missing), agent_ids=missing)
            result = match.match_agents(ctx, client, agents, connection.max_parallel)
            match.record(ctx, result, count_unmatched=False)  # the rows are counted instead
            known.update(result.matched)
        for row in table_rows:
            agent_id = agent_of.get(row.source_id) if row.source_id is not None else None
            userid = known.get(agent_id) if agent_id is not None else None
            if userid is None:
                reason = "agent not found in Moodle (no user with this id number, username or e-mail)"
                if not ctx.dry_run:
                    _set(ctx, [row], "skipped", reason)
                ctx.count(skipped=1)
            elif not ctx.dry_run:
                row.payload = {**row.payload, "userid": userid}


# -- sending ----------------------------------------------------------------------------------------
def _send_manual(
    ctx: JobContext, client: MoodleClient, connection: LmsConnection, keys: list[Key]
) -> WaveResult:
    size = max(1, min(connection.batch_size, 1000))
    batches = [keys[i : i + size] for i in range(0, len(keys), size)]
    role = connection.student_role_id

    def send(batch: list[Key]) -> EnrolOutcome:
        return enrol_isolating(client, [Enrolment(u, c, roleid=role) for u, c in batch], size)

    result = WaveResult()
    for outcome in ctx.parallel(send, batches, connection.max_parallel):
        if outcome.error is not None:  # a bug, not a Moodle answer: let the run fail
            raise outcome.error
        sent: EnrolOutcome = outcome.value
        result.done += [(e.userid, e.courseid) for e in sent.succeeded]
        result.failed.update({(e.userid, e.courseid): describe(exc) for e, exc in sent.failed})
        result.unsent += [(e.userid, e.courseid) for e in sent.unsent]
        result.uncertain += [(e.userid, e.courseid) for e in sent.uncertain]
        if sent.error is not None:
            result.errors.append(sent.error)
    return result


def _send_cohort(
    ctx: JobContext, client: MoodleClient, connection: LmsConnection, keys: list[Key]
) -> WaveResult:
    outcome: CohortOutcome = add_to_cohorts(ctx, client, keys, connection.batch_size, connection.max_parallel)
    return WaveResult(done=outcome.done, failed=outcome.failed, unsent=outcome.unsent, errors=outcome.errors)


def _apply(ctx: JobContext, groups: dict[Key, list[OutboxOperation]], result: WaveResult) -> None:
    _done(ctx, [row for key in result.done for row in groups[key]])
    for key, reason in result.failed.items():
        for row in groups[key]:
            _failed(ctx, row, reason)
    for exc in result.errors:
        ctx.error(f"push stopped on a batch: {describe(exc)}")
    error = describe(result.errors[0]) if result.errors else "not sent"
    _set(ctx, [row for key in result.unsent for row in groups[key]], "pending", f"not sent: {error}")
    uncertain = [row for key in result.uncertain for row in groups[key]]
    _set(ctx, uncertain, "sending", f"maybe sent ({error}): verified at the next run before any re-send")
    if uncertain:
        ctx.bump("uncertain", len(uncertain))


def drain(ctx: JobContext, client: MoodleClient, connection: LmsConnection) -> None:
    wave = max(1, connection.batch_size) * max(1, connection.max_parallel)
    after_id = 0
    failed_waves = 0
    handled = 0
    sent_keys: set[int] = set()  # packed keys enrolled in this run (a few MB for 390,000)
    total = _count(ctx, connection, "pending")
    while rows := _rows(ctx, connection, "pending", after_id, wave):
        after_id = rows[-1].id
        unresolved = [r for r in rows if r.payload.get("userid") is None]
        if unresolved:
            resolve(ctx, client, connection, unresolved)
        groups: dict[Key, list[OutboxOperation]] = defaultdict(list)
        for row in rows:
            key = _key(row)
            if key is not None and row.status == "pending":
                groups[key].append(row)
        handled += len(rows)
        repeated = [row for key in list(groups) if _pack(key) in sent_keys for row in groups.pop(key)]
        if repeated and not ctx.dry_run:  # same user and course as a row enrolled earlier in this run
            _done(ctx, repeated)
        if ctx.dry_run:
            ctx.bump("would_push", len(groups))
            ctx.phase(f"push #{connection.id}", handled, total)
            _forget(ctx, rows)
            continue
        sending = [row for group in groups.values() for row in group]
        _set(ctx, sending, "sending")
        ctx.session.execute(
            update(OutboxOperation)
            .where(OutboxOperation.id.in_([r.id for r in sending]))
            .values(attempts=OutboxOperation.attempts + 1),
            execution_options={"synchronize_session": False},
        )
        ctx.checkpoint()  # committed as "sending" BEFORE Moodle hears of them
        keys = list(groups)
        send = _send_cohort if connection.enrol_strategy == "cohort" else _send_manual
        result = send(ctx, client, connection, keys)
        _apply(ctx, groups, result)
        sent_keys.update(_pack(key) for key in result.done)
        ctx.phase(f"push #{connection.id}", handled, total)
        ctx.checkpoint()
        _forget(ctx, rows)
        fatal = next((e for e in result.errors if isinstance(e, MoodleFatalError)), None)
        if fatal is not None:
            raise fatal
        if result.errors and not result.done and not result.failed:
            failed_waves += 1
            if failed_waves >= MAX_FAILED_WAVES:
                raise MoodleTransientError(
                    f"Moodle failed {failed_waves} waves in a row, stopping: {describe(result.errors[0])}"
                )
        else:
            failed_waves = 0


def run(ctx: JobContext, connection: LmsConnection) -> None:
    client = ctx.client(connection)
    recover(ctx, client, connection)
    drain(ctx, client, connection)
