"""Launch storage shared by every worker and node: login state, used nonces, short-lived values.

Two implementations of one interface: the database (default) and Redis (when ``BRIDGE_REDIS_URL`` is
set). Never a per-process cache: the login may hit one gunicorn worker and the launch another. Each call
runs in its own short transaction, independent of the request's unit of work, so a consumed state stays
consumed even when the rest of the request fails.

A login state is single use, and its nonce with it: every nonce is generated for one state and the launch
checks that the id_token carries the nonce of the state it presents, so consuming the state atomically
(one ``UPDATE ... RETURNING``, or ``GETDEL`` on Redis) makes every nonce single use without a table of
used nonces. Expired rows are left to the retention job (``lti_launch_state``, ``lti_stored_value``): the
hot path of a launch never pays for a purge.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any, cast

import redis
from sqlalchemy import Connection, Engine, Row, Table, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.base import Executable

from config.database import Database, utcnow
from lti.models import LaunchState, StoredValue

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
USED_STATE_MEMORY = timedelta(hours=2)  # Redis: how long a used state is remembered (replay detection)


@dataclass(frozen=True)
class LoginState:
    """What the login initiation remembers for the launch that follows."""

    state: str
    platform_id: int
    nonce: str
    target_link_uri: str
    storage_target: str | None
    binding_hash: str | None
    expires_at: datetime


_STATE_FIELDS = tuple(f.name for f in fields(LoginState))

# The two statements of every login and launch, built once (each call only binds its values).
_state = cast(Table, LaunchState.__table__)
_INSERT_STATE = insert(_state).values({name: bindparam(name) for name in (*_STATE_FIELDS, "created_at")})
# Consumed in one atomic step: whoever marks it used gets it; expired or used states give no row.
_CONSUME_STATE = (
    update(_state)
    .where(
        _state.c.state == bindparam("wanted"),
        _state.c.used_at.is_(None),
        _state.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(*(_state.c[name] for name in _STATE_FIELDS))
)


class LaunchStorage(ABC):
    """Shared, expiring storage for the LTI flow."""

    @abstractmethod
    def save_state(self, login: LoginState) -> None: ...

    @abstractmethod
    def consume_state(self, state: str) -> LoginState | None:
        """The login state, marked used in the same atomic step; None when unknown, expired or used."""

    @abstractmethod
    def state_was_used(self, state: str) -> bool:
        """After ``consume_state`` returned None: True when the state existed and was already used (a
        replayed launch), False when it is unknown or expired."""

    @abstractmethod
    def put(self, key: str, value: str, ttl: timedelta) -> None: ...

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def pop(self, key: str) -> str | None:
        """Read and delete in one step (single-use values)."""

    def put_json(self, key: str, value: Any, ttl: timedelta) -> None:
        self.put(key, json.dumps(value, separators=(",", ":")), ttl)

    def get_json(self, key: str) -> Any:
        raw = self.get(key)
        return None if raw is None else json.loads(raw)


class DatabaseLaunchStorage(LaunchStorage):
    """Login states in ``lti_launch_state``, values in ``lti_stored_value``.

    The two statements of every login and launch (save a state, consume it) run alone on a connection of
    ``bind`` (``for_database``: in autocommit, each being one atomic statement, without the round trips of
    BEGIN and COMMIT, nor a Session); the rest in a short Session of its own."""

    def __init__(self, session_factory: Callable[[], Session], bind: Engine | Connection) -> None:
        self._factory = session_factory
        self._bind = bind

    @classmethod
    def for_database(cls, database: Database) -> DatabaseLaunchStorage:
        return cls(database.sessionmaker, database.engine.execution_options(isolation_level="AUTOCOMMIT"))

    @classmethod
    def for_engine(cls, engine: Engine | Connection) -> DatabaseLaunchStorage:
        return cls(sessionmaker(bind=engine, expire_on_commit=False), engine)

    def _statement(self, stmt: Executable, params: dict[str, Any]) -> Row[Any] | None:
        """Run one statement and return its first row (when it returns rows)."""
        if isinstance(self._bind, Connection):  # the caller's connection, in the caller's transaction
            result = self._bind.execute(stmt, params)
            return result.first() if result.returns_rows else None
        with self._bind.connect() as conn:
            result = conn.execute(stmt, params)
            row = result.first() if result.returns_rows else None
            conn.commit()  # a no-op in autocommit
            return row

    @contextmanager
    def _scope(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def save_state(self, login: LoginState) -> None:
        self._statement(_INSERT_STATE, {**asdict(login), "created_at": utcnow()})

    def consume_state(self, state: str) -> LoginState | None:
        row = self._statement(_CONSUME_STATE, {"wanted": state, "now": utcnow()})
        return None if row is None else LoginState(**row._asdict())

    def state_was_used(self, state: str) -> bool:
        with self._scope() as session:
            used_at = session.scalar(select(LaunchState.used_at).where(LaunchState.state == state))
        return used_at is not None

    def put(self, key: str, value: str, ttl: timedelta) -> None:
        # Two workers may put the same key at once (both saw no row): the loser of the INSERT race
        # updates the winner's row instead, so the last writer wins as with Redis SET.
        for attempt in (1, 2):
            now = utcnow()
            try:
                with self._scope() as session:
                    row = session.get(StoredValue, key)
                    if row is None:
                        session.add(StoredValue(key=key, value=value, expires_at=now + ttl))
                    else:
                        row.value = value
                        row.expires_at = now + ttl
                return
            except IntegrityError:
                if attempt == 2:
                    raise

    def get(self, key: str) -> str | None:
        with self._scope() as session:
            row = session.scalars(
                select(StoredValue).where(StoredValue.key == key, StoredValue.expires_at > utcnow())
            ).first()
            return None if row is None else row.value

    def pop(self, key: str) -> str | None:
        with self._scope() as session:
            row = session.scalars(
                select(StoredValue).where(StoredValue.key == key, StoredValue.expires_at > utcnow())
            ).first()
            if row is None:
                return None
            value = row.value
            deleted = session.execute(delete(StoredValue).where(StoredValue.key == key))
            # Two workers popping at once: only the one whose DELETE removed the row gets the value.
            return value if getattr(deleted, "rowcount", 1) == 1 else None


_CONSUME_SCRIPT = """
local value = redis.call('GETDEL', KEYS[1])
if value then redis.call('SET', KEYS[2], '1', 'EX', ARGV[1]) end
return value
"""


class RedisLaunchStorage(LaunchStorage):
    """Redis keys expire by themselves (SET EX); nonces use SET NX, which is atomic across nodes."""

    def __init__(self, client: redis.Redis, prefix: str = "pacnum:lti:") -> None:
        self._redis = client
        self._prefix = prefix
        self._consume = client.register_script(_CONSUME_SCRIPT)

    @classmethod
    def from_url(cls, url: str) -> RedisLaunchStorage:
        return cls(redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5))

    def _key(self, *parts: object) -> str:
        return self._prefix + ":".join(str(p) for p in parts)

    @staticmethod
    def _seconds(ttl: timedelta) -> int:
        return max(1, int(ttl.total_seconds()))

    def save_state(self, login: LoginState) -> None:
        data = asdict(login)
        data["expires_at"] = login.expires_at.isoformat()
        ttl = self._seconds(login.expires_at - utcnow())
        self._redis.set(self._key("state", login.state), json.dumps(data), ex=ttl)

    def consume_state(self, state: str) -> LoginState | None:
        # GETDEL, and when there was a state, remember it as used for a while (so that a replay is told
        # apart from an unknown state): one atomic script, one round trip.
        raw = self._consume(
            keys=[self._key("state", state), self._key("used", state)],
            args=[self._seconds(USED_STATE_MEMORY)],
        )
        if raw is None:
            return None
        data = json.loads(raw)
        data["expires_at"] = datetime.fromisoformat(data["expires_at"])
        login = LoginState(**data)
        if login.expires_at <= utcnow():  # in its last second before Redis drops it: expired, not used
            self._redis.delete(self._key("used", state))
            return None
        return login

    def state_was_used(self, state: str) -> bool:
        return bool(self._redis.exists(self._key("used", state)))

    def put(self, key: str, value: str, ttl: timedelta) -> None:
        self._redis.set(self._key("value", key), value, ex=self._seconds(ttl))

    def get(self, key: str) -> str | None:
        raw = self._redis.get(self._key("value", key))
        return None if raw is None else _text(raw)

    def pop(self, key: str) -> str | None:
        raw = self._redis.getdel(self._key("value", key))
        return None if raw is None else _text(raw)


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


def make_storage(database: Database, redis_url: str | None) -> LaunchStorage:
    if redis_url:
        log.info("LTI launch storage: Redis")
        return RedisLaunchStorage.from_url(redis_url)
    return DatabaseLaunchStorage.for_database(database)
