"""Pull: course completions of the open (enrolled, not completed) pairs, with the cheapest strategy.

- per pair: ``core_completion_get_course_completion_status`` once per (user, course); the lightest
  calls, the right choice for small sets (fewer than ``BRIDGE_SYNC_PAIR_THRESHOLD`` pairs);
- per user: ``core_enrol_get_users_courses`` once per user covers all their courses (``completed`` flag):
  cheaper when agents have several open courses;
- incremental: per course, ``core_enrol_get_enrolled_users`` (1,000 users a page, ordered by id, stopping
  after the last user we follow) gives ``lastcourseaccess``; only users who opened the course since the
  last successful pull (minus ``BRIDGE_SYNC_PULL_OVERLAP_MINUTES``) are checked, per pair or per user,
  whichever takes fewer calls;
- a full reconciliation (every open pair, per pair or per user) runs at least every
  ``BRIDGE_SYNC_FULL_RECONCILIATION_DAYS``: it catches completions without a course access (marked by a
  teacher, or by dates).

``connection.completion_strategy`` may force ``per_pair``, ``per_user`` or ``incremental``; ``auto`` picks.
Moodle gives no course completion time in these answers: the completion date recorded is the time the
pull saw it (so at most a day late with a nightly pull). ``last_incremental_pull_at`` moves only when a run
checked everything without failure, so a failed night is covered by the next one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sync.jobs.verify import PAGE
from sync.models import LmsConnection
from sync.moodle.client import MoodleClient
from sync.moodle.errors import MoodleFatalError, MoodleItemError, MoodleTransientError
from sync.ports import PairRef
from sync.runs import JobContext

log = logging.getLogger(__name__)

CHUNK = 1000  # pairs (or users) checked between two commits
NOT_ENROLLED = frozenset({"usernotenroled", "notenroled"})
NO_COMPLETION = frozenset({"nocriteriaset", "completionnotenabled", "nottracked"})


def choose(ctx: JobContext, connection: LmsConnection, pairs: int, users: int) -> tuple[str, bool]:
    """``(method, full)``: method is per_pair, per_user or incremental."""
    forced = connection.completion_strategy
    cheaper = "per_user" if users < pairs else "per_pair"
    if forced in ("per_pair", "per_user"):
        return forced, True
    last_full = connection.last_full_reconciliation_at
    due = last_full is None or ctx.started_at - last_full >= timedelta(
        days=ctx.settings.sync_full_reconciliation_days
    )
    if forced == "incremental":
        return ("incremental", False) if not due else (cheaper, True)
    if pairs <= ctx.settings.sync_pair_threshold:
        return "per_pair", True
    return (cheaper, True) if due else ("incremental", False)


class Checker:
    """Checks pairs against Moodle and records completions, chunk by chunk."""

    def __init__(self, ctx: JobContext, client: MoodleClient, connection: LmsConnection) -> None:
        self.ctx, self.client, self.connection = ctx, client, connection
        self.checked = 0
        self.failures = 0

    def _skip(self, reason: str) -> None:
        self.ctx.count(skipped=1)
        self.ctx.bump(f"skipped_{reason}")

    def fail(self, exc: Exception) -> None:
        self.ctx.count(failed=1)
        self.failures += 1
        if self.ctx.run.failed <= 20:
            self.ctx.error(f"completion check failed: {exc}")

    def per_pair(self, pairs: Sequence[PairRef]) -> None:
        def check(pair: PairRef) -> bool:
            return self.client.get_course_completion_status(pair.course_id, pair.lms_user_id).completed

        done: list[int] = []
        failures_before = self.failures
        outcomes = self.ctx.parallel(check, pairs, self.connection.max_parallel)
        for pair, outcome in zip(pairs, outcomes, strict=True):
            error = outcome.error
            if isinstance(error, MoodleFatalError):
                raise error
            if isinstance(error, MoodleItemError) and error.errorcode in NOT_ENROLLED:
                self._skip("not_enrolled")
            elif isinstance(error, MoodleItemError) and error.errorcode in NO_COMPLETION:
                self._skip("no_completion")
            elif isinstance(error, MoodleItemError | MoodleTransientError):
                self.fail(error)
            elif error is not None:
                raise error
            elif outcome.value:
                done.append(pair.recommendation_id)
        self._record(done, len(pairs), failures_before)

    def per_user(self, pairs: Sequence[PairRef]) -> None:
        by_user: dict[int, list[PairRef]] = defaultdict(list)
        for pair in pairs:
            by_user[pair.lms_user_id].append(pair)
        users = sorted(by_user)

        def check(userid: int) -> dict[int, bool | None]:
            return {c.id: c.completed for c in self.client.get_users_courses(userid)}

        done: list[int] = []
        failures_before = self.failures
        for userid, outcome in zip(
            users, self.ctx.parallel(check, users, self.connection.max_parallel), strict=True
        ):
            error = outcome.error
            if isinstance(error, MoodleFatalError):
                raise error
            if isinstance(error, MoodleItemError | MoodleTransientError):
                for _ in by_user[userid]:
                    self.fail(error)
                continue
            if error is not None:
                raise error
            courses: dict[int, bool | None] = outcome.value
            for pair in by_user[userid]:
                if pair.course_id not in courses:
                    self._skip("not_enrolled")
                elif courses[pair.course_id] is None:
                    self._skip("no_completion")
                elif courses[pair.course_id]:
                    done.append(pair.recommendation_id)
        self._record(done, len(pairs), failures_before)

    def cheapest(self, pairs: Sequence[PairRef]) -> None:
        users = len({p.lms_user_id for p in pairs})
        (self.per_user if users < len(pairs) else self.per_pair)(pairs)

    def _record(self, recommendation_ids: list[int], checked: int, failures_before: int | None) -> None:
        ctx = self.ctx
        self.checked += checked
        ctx.bump("checked", checked)
        if recommendation_ids:
            if ctx.dry_run:
                ctx.bump("would_complete", len(recommendation_ids))
            else:
                ctx.port.on_completed(ctx.session, recommendation_ids, ctx.now())
                ctx.count(pulled=len(recommendation_ids))
        ctx.checkpoint()
        if checked and failures_before is not None and self.failures - failures_before == checked:
            raise MoodleTransientError(f"every completion check of a chunk failed ({checked}): Moodle down?")


def _all_pairs(ctx: JobContext, connection: LmsConnection, checker: Checker, method: str, total: int) -> None:
    phase = f"pull #{connection.id} ({method})"
    if method == "per_pair":
        after_id = 0
        while pairs := ctx.port.open_pairs(ctx.session, connection, after_id=after_id, limit=CHUNK):
            after_id = pairs[-1].recommendation_id
            checker.per_pair(pairs)
            ctx.phase(phase, checker.checked, total)
        return
    after_agent = 0
    while pairs := ctx.port.open_pairs_by_agent(
        ctx.session, connection, after_agent_id=after_agent, agents=CHUNK
    ):
        after_agent = pairs[-1].agent_id
        checker.per_user(pairs)
        ctx.phase(phase, checker.checked, total)


def _recent_users(client: MoodleClient, course_id: int, followed: set[int], since: int) -> set[int]:
    """Users of ``followed`` who opened the course at or after ``since`` (epoch seconds)."""
    recent: set[int] = set()
    highest = max(followed)
    offset = 0
    while True:
        page = client.get_enrolled_users(
            course_id, limitfrom=offset, limitnumber=PAGE, userfields=("id", "lastcourseaccess")
        )
        recent.update(u.id for u in page if u.id in followed and (u.lastcourseaccess or 0) >= since)
        if len(page) < PAGE or page[-1].id >= highest:
            return recent
        offset += PAGE


def _incremental(ctx: JobContext, connection: LmsConnection, checker: Checker, since: datetime) -> None:
    client = checker.client
    courses = ctx.port.open_course_ids(ctx.session, connection)
    since_epoch = int(since.timestamp())
    candidates: list[PairRef] = []
    group = max(1, connection.max_parallel)
    for start in range(0, len(courses), group):
        batch = courses[start : start + group]
        followed: dict[int, dict[int, PairRef]] = {}
        for course_id in batch:
            pairs: dict[int, PairRef] = {}
            after_id = 0
            while page := ctx.port.open_pairs(
                ctx.session, connection, course_id=course_id, after_id=after_id
            ):
                after_id = page[-1].recommendation_id
                pairs.update((p.lms_user_id, p) for p in page)
            followed[course_id] = pairs

        def scan(item: tuple[int, set[int]]) -> set[int]:
            return _recent_users(client, item[0], item[1], since_epoch)

        work = [(c, set(followed[c])) for c in batch if followed[c]]
        for (course_id, _), outcome in zip(work, ctx.parallel(scan, work, group), strict=True):
            if isinstance(outcome.error, MoodleItemError):  # course gone from Moodle
                checker.fail(outcome.error)
                continue
            if outcome.error is not None:
                raise outcome.error
            candidates.extend(followed[course_id][u] for u in sorted(outcome.value))
        ctx.phase(f"pull #{connection.id} (scan)", start + len(batch), len(courses))
    ctx.note(changed=len(candidates))
    candidates.sort(key=lambda p: (p.lms_user_id, p.course_id))  # a user's pairs in one chunk: one call
    for start in range(0, len(candidates), CHUNK):
        checker.cheapest(candidates[start : start + CHUNK])
        ctx.phase(f"pull #{connection.id} (check)", checker.checked, len(candidates))


def run(ctx: JobContext, connection: LmsConnection) -> None:
    client = ctx.client(connection)
    pairs, users = ctx.port.count_open_pairs(ctx.session, connection)
    method, full = choose(ctx, connection, pairs, users)
    last = connection.last_incremental_pull_at
    since = (last - timedelta(minutes=ctx.settings.sync_pull_overlap_minutes)) if last else None
    ctx.note(strategy=method, full=full, open_pairs=pairs, open_users=users)
    if ctx.run.window_start is None and since is not None and not full:
        ctx.run.window_start = since
    ctx.run.window_end = ctx.started_at
    log.info("pull on connection %s: %s pairs, %s users, %s", connection.id, pairs, users, method)
    checker = Checker(ctx, client, connection)
    if full or since is None:
        _all_pairs(ctx, connection, checker, method if method != "incremental" else "per_pair", pairs)
    else:
        _incremental(ctx, connection, checker, since)
    if checker.failures == 0 and not ctx.dry_run:
        connection.last_incremental_pull_at = ctx.started_at
        if full:
            connection.last_full_reconciliation_at = ctx.started_at
    ctx.checkpoint()
