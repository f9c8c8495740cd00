"""The context a job runs in: its session, its SyncRun record, counters, progress, checkpoints, threads.

A job does its work in chunks; after each chunk it calls ``checkpoint()``, which writes the counters, the
progress and the heartbeats (run record and job lock) and commits everything in ONE transaction with the
chunk's own changes: what the run record says is always what the database holds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.database import utcnow
from sync.locks import JobLock
from sync.models import LmsConnection, SyncRun
from sync.moodle.client import MoodleClient
from sync.services import SyncServices

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# on_progress(phase, done, total): the CLI draws a progress bar from it.
ProgressCallback = Callable[[str, int, int], None]
MAX_ERRORS_KEPT = 50


@dataclass
class Outcome:
    """The result of one task run in a worker thread: a value or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


class JobContext:
    def __init__(
        self,
        services: SyncServices,
        session: Session,
        run: SyncRun,
        lock: JobLock | None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.port = services.port
        self.session = session
        self.run = run
        self.lock = lock
        self.dry_run = run.dry_run
        self.started_at = run.started_at
        self._on_progress = on_progress
        self._clients: list[MoodleClient] = []
        self._calls_before = 0

    # -- Moodle ------------------------------------------------------------------------------------
    def client(self, connection: LmsConnection, **overrides: Any) -> MoodleClient:
        client = self.services.client_for(connection, **overrides)
        self._clients.append(client)
        return client

    @property
    def calls(self) -> int:
        return self._calls_before + sum(c.http_requests for c in self._clients)

    def close_clients(self) -> None:
        for client in self._clients:
            self._calls_before += client.http_requests
            client.close()
        self._clients.clear()

    def parallel(self, func: Callable[[T], R], items: Sequence[T], workers: int) -> list[Outcome]:
        """Run ``func`` on every item in threads (HTTP only: workers never touch the session)."""

        def guarded(item: T) -> Outcome:
            try:
                return Outcome(value=func(item))
            except Exception as exc:
                return Outcome(error=exc)

        if len(items) <= 1 or workers <= 1:
            return [guarded(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
            return list(pool.map(guarded, items))

    # -- counters and progress -----------------------------------------------------------------------
    def count(self, *, pushed: int = 0, pulled: int = 0, skipped: int = 0, failed: int = 0) -> None:
        self.run.pushed += pushed
        self.run.pulled += pulled
        self.run.skipped += skipped
        self.run.failed += failed

    def note(self, **values: Any) -> None:
        """Merge values into the run's progress JSON (counts, reasons; never personal data)."""
        progress = dict(self.run.progress or {})
        progress.update(values)
        self.run.progress = progress

    def bump(self, key: str, n: int = 1) -> None:
        progress = dict(self.run.progress or {})
        progress[key] = int(progress.get(key, 0)) + n
        self.run.progress = progress

    def error(self, message: str) -> None:
        """Keep a (bounded) list of what went wrong, shown by the CLI and the admin pages."""
        log.warning("%s run %s: %s", self.run.job, self.run.id, message)
        progress = dict(self.run.progress or {})
        errors = list(progress.get("errors", []))
        if len(errors) < MAX_ERRORS_KEPT:
            errors.append(message[:500])
        progress["errors"] = errors
        self.run.progress = progress

    def phase(self, name: str, done: int, total: int) -> None:
        self.note(phase=name, done=done, total=total)
        if self._on_progress is not None:
            self._on_progress(name, done, total)

    def checkpoint(self) -> None:
        """Write counters, progress and heartbeats, and commit with the chunk's changes."""
        now = utcnow()
        self.run.calls = self.calls
        self.run.heartbeat_at = now
        if self.lock is not None:
            self.lock.heartbeat(self.session, self.run.id)
        self.session.commit()

    def connections(self, connection_id: int | None) -> list[LmsConnection]:
        stmt = select(LmsConnection).order_by(LmsConnection.id)
        if connection_id is not None:
            stmt = stmt.where(LmsConnection.id == connection_id)
        else:
            stmt = stmt.where(LmsConnection.active.is_(True))
        return list(self.session.scalars(stmt))

    def now(self) -> datetime:
        return utcnow()


def chunked(items: Iterable[T], size: int) -> Iterable[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Stopwatch:
    def __init__(self) -> None:
        self._start = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._start
