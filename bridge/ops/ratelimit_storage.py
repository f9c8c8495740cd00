"""A `limits` storage backed by our own database, for deployments without Redis.

`limits` ships Redis, Memcached, MongoDB and in-memory storages, none on SQL; several gunicorn workers
(and several nodes) on one PostgreSQL must share their counters, so this class implements the
fixed-window part of the `limits.storage.Storage` interface on the ``rate_limit_counter`` table.

Each hit is ONE atomic statement (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, on PostgreSQL and
SQLite alike): a fresh or expired counter restarts at ``amount`` with a new expiry, a live one is
incremented. Concurrent hits on the same key serialise on the row, so no increment is lost.

It is built directly with the app's Database (it needs its engine), hence no ``STORAGE_SCHEME``: a
URI alone could not carry the engine.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cached_property

from limits.storage import Storage
from sqlalchemy import Engine, bindparam, case, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import ReturningInsert

from bridge.ops.models import RateLimitCounter
from config.database import Database, upsert_insert, utcnow


class DatabaseStorage(Storage):
    """Fixed-window counters in ``rate_limit_counter``, each hit in its own short transaction."""

    STORAGE_SCHEME = None

    def __init__(self, database: Database, wrap_exceptions: bool = False) -> None:
        super().__init__(None, wrap_exceptions=wrap_exceptions)
        self.database = database

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @cached_property
    def _autocommit(self) -> Engine:
        return self.database.engine.execution_options(isolation_level="AUTOCOMMIT")

    @cached_property
    def _increment(self) -> ReturningInsert[int]:
        """The counting statement, built once: each hit only binds its values."""
        table = RateLimitCounter.__table__
        insert = upsert_insert(self.database.engine.dialect, RateLimitCounter).values(
            key=bindparam("key"), count=bindparam("amount"), expires_at=bindparam("expires_at")
        )
        expired = table.c.expires_at <= bindparam("now")
        return insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, insert.excluded.count), else_=table.c.count + insert.excluded.count),
                "expires_at": case((expired, insert.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        values = {"key": key, "amount": amount, "expires_at": now + timedelta(seconds=expiry), "now": now}
        # One atomic statement: run in autocommit, without the round trips of BEGIN and COMMIT.
        with self._autocommit.connect() as conn:
            return int(conn.execute(self._increment, values).scalar_one())

    def _live(self, key: str) -> RateLimitCounter | None:
        with self.database.sessionmaker() as session:
            row = session.get(RateLimitCounter, key)
            if row is None or row.expires_at <= utcnow():
                return None
            return row

    def get(self, key: str) -> int:
        row = self._live(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return (row.expires_at if row else utcnow()).timestamp()

    def check(self) -> bool:
        try:
            with self.database.engine.connect() as conn:
                conn.execute(select(func.count()).select_from(RateLimitCounter.__table__).limit(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.database.engine.begin() as conn:
            return conn.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        with self.database.engine.begin() as conn:
            conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
