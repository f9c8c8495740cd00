"""Grades: drain the AGS score retry queue.

A score that could not reach the LMS gradebook when the agent finished waits in the queue. Each run
sends the scores that are due (``next_attempt_at <= now``) through the DomainPort, in parallel. A failed
attempt is retried later with exponential backoff (base ``BRIDGE_SYNC_AGS_BACKOFF_SECONDS``, doubling,
capped at one day, with jitter); after ``BRIDGE_SYNC_AGS_MAX_ATTEMPTS`` attempts, or an error that retrying
cannot fix, the score is marked failed and stays visible on the admin page, where it can be retried.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sync.ports import ScoreRef, ScoreSendError
from sync.runs import JobContext

log = logging.getLogger(__name__)

PAGE = 200
WORKERS = 4
MAX_BACKOFF = timedelta(days=1)
_random = random.SystemRandom()


def retry_at(base_seconds: int, attempts: int, now: datetime) -> datetime:
    """When to try again after ``attempts`` failed attempts (1-based): base x 2^(n-1), +-20 % jitter,
    at most a day. Shared with the first attempt the web app makes when an agent finishes."""
    base = timedelta(seconds=base_seconds) * (2 ** max(0, attempts - 1))
    delay: timedelta = min(MAX_BACKOFF, base) * _random.uniform(0.8, 1.2)
    return now + delay


def next_attempt(ctx: JobContext, attempts: int, now: datetime) -> datetime:
    return retry_at(ctx.settings.sync_ags_backoff_seconds, attempts, now)


class ScoresUndeliverableError(RuntimeError):
    """Scores cannot be delivered at all (no AGS client): the run fails, the queue is left untouched."""


def run(ctx: JobContext) -> None:
    problem = ctx.port.score_delivery_problem()
    if problem is not None:
        raise ScoresUndeliverableError(problem)
    now = ctx.now()
    after_id = 0
    handled = 0
    while scores := ctx.port.pending_scores(ctx.session, now=now, limit=PAGE, after_id=after_id):
        after_id = scores[-1].id
        handled += len(scores)
        if ctx.dry_run:
            ctx.bump("would_send", len(scores))
            continue

        def send(score: ScoreRef) -> None:
            ctx.port.send_score(score)

        for score, outcome in zip(scores, ctx.parallel(send, scores, WORKERS), strict=True):
            error = outcome.error
            if error is None:
                ctx.port.on_score_sent(ctx.session, score.id, ctx.now())
                ctx.count(pushed=1)
                continue
            retryable = not isinstance(error, ScoreSendError) or error.retryable
            message = str(error) if isinstance(error, ScoreSendError) else f"{type(error).__name__}: {error}"
            attempts = score.attempts + 1
            if retryable and attempts < ctx.settings.sync_ags_max_attempts:
                ctx.port.on_score_failed(
                    ctx.session, score.id, message, next_attempt_at=next_attempt(ctx, attempts, ctx.now())
                )
                ctx.bump("retry_later")
                ctx.count(skipped=1)
            else:
                ctx.port.on_score_failed(ctx.session, score.id, message, next_attempt_at=None)
                ctx.count(failed=1)
                ctx.error(f"score {score.id} given up after {attempts} attempt(s): {message}")
        ctx.phase("grades", handled, handled)
        ctx.checkpoint()
    log.info("grades: %s scores handled", handled)
