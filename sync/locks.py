"""A database lock per job: two schedulers, a CLI run and an admin trigger never run the same job at once.

The lock is a ``sync_lock`` row, taken atomically (works on SQLite and PostgreSQL alike):

1. ``INSERT`` the row: the primary key lets exactly one of several racing processes win;
2. if the row exists, ``UPDATE ... WHERE name = :name AND (expires_at < :now OR owner = :dead)``: a lock
   whose holder stopped heart-beating (killed, machine lost) is taken over by exactly one process.

The holder renews ``expires_at`` with heartbeats during the run and deletes the row at the end. A holder
that sees its heartbeat update touch no row has lost the lock (taken over after a long stall) and stops.
On the same host, a lock whose holder process no longer exists is taken over at once (no need to wait
for expiry after a crash or a kill -9).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.database import Database, utcnow
from sync.models import SyncLock

log = logging.getLogger(__name__)


class LockBusyError(Exception):
    """The job is already running elsewhere."""

    def __init__(self, name: str, owner: str, since: datetime) -> None:
        super().__init__(f"{name} is already running ({owner}, since {since:%Y-%m-%d %H:%M:%S} UTC)")
        self.name, self.owner, self.since = name, owner, since


class LockLostError(Exception):
    """Another process took the lock over (this run stalled longer than the lock's time to live)."""


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _holder_is_dead(owner: str) -> bool:
    """True when ``owner`` names a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


@dataclass
class JobLock:
    """A held lock. Use ``heartbeat`` inside the job's own transaction and ``release`` at the end."""

    name: str
    owner: str
    ttl: timedelta
    previous_run_id: int | None = None  # the run of a holder that died, when the lock was taken over

    def heartbeat(self, session: Session, run_id: int | None = None) -> None:
        now = utcnow()
        values: dict[str, object] = {"heartbeat_at": now, "expires_at": now + self.ttl}
        if run_id is not None:
            values["run_id"] = run_id
        result = session.execute(
            update(SyncLock).where(SyncLock.name == self.name, SyncLock.owner == self.owner).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LockLostError(f"the {self.name} lock was taken over by another process")

    def release(self, database: Database) -> None:
        with database.engine.begin() as conn:
            conn.execute(delete(SyncLock).where(SyncLock.name == self.name, SyncLock.owner == self.owner))


def acquire(database: Database, name: str, ttl: timedelta, *, owner: str | None = None) -> JobLock:
    """Take the lock ``name`` or raise LockBusyError. Each attempt is its own short transaction."""
    owner = owner or make_owner()
    now = utcnow()
    try:
        with database.engine.begin() as conn:
            conn.execute(
                insert(SyncLock).values(
                    name=name, owner=owner, acquired_at=now, heartbeat_at=now, expires_at=now + ttl
                )
            )
        log.info("lock %s taken", name)
        return JobLock(name, owner, ttl)
    except IntegrityError:
        pass
    with database.engine.begin() as conn:
        current = _current(conn, name)
        if current is None:  # released between our INSERT and this read: try once more from scratch
            return acquire(database, name, ttl, owner=owner)
        stale = current.expires_at < now or _holder_is_dead(current.owner)
        if not stale:
            raise LockBusyError(name, current.owner, current.acquired_at)
        result = conn.execute(
            update(SyncLock)
            .where(SyncLock.name == name, SyncLock.owner == current.owner)
            .values(owner=owner, acquired_at=now, heartbeat_at=now, expires_at=now + ttl, run_id=None)
        )
        if result.rowcount != 1:
            fresh = _current(conn, name)
            raise LockBusyError(name, fresh.owner if fresh else "?", fresh.acquired_at if fresh else now)
    log.warning("lock %s taken over from a stopped holder (last heartbeat %s)", name, current.heartbeat_at)
    return JobLock(name, owner, ttl, previous_run_id=current.run_id)


def _current(conn: Connection, name: str) -> SyncLock | None:
    row = conn.execute(select(SyncLock.__table__).where(SyncLock.name == name)).mappings().first()
    if row is None:
        return None
    return SyncLock(**dict(row))


def held_locks(session: Session) -> list[SyncLock]:
    return list(session.scalars(select(SyncLock).order_by(SyncLock.name)))
