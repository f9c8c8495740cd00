"""Launch storage shared by every worker and node: login state, used nonces, short-lived values.

Two implementations of one interface: the database (default) and Redis (when ``BRIDGE_REDIS_URL`` is
set). Never a per-process cache: the login may hit one gunicorn worker and the launch another. Each call
runs in its own short transaction, independent of the request's unit of work, so a consumed nonce stays
consumed even when the rest of the request fails.
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config.database import Database, utcnow
from lti.models import LaunchState, StoredValue, UsedNonce

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)


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


class LaunchStorage(ABC):
    """Shared, expiring storage for the LTI flow."""

    @abstractmethod
    def save_state(self, login: LoginState) -> None: ...

    @abstractmethod
    def load_state(self, state: str) -> LoginState | None:
        """The login state, or None when unknown or expired."""

    @abstractmethod
    def delete_state(self, state: str) -> None: ...

    @abstractmethod
    def consume_nonce(self, platform_id: int, nonce: str, ttl: timedelta) -> bool:
        """Record the nonce as used. True the first time, False when it was already used (replay)."""

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
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._factory = session_factory

    @classmethod
    def for_database(cls, database: Database) -> DatabaseLaunchStorage:
        return cls(database.sessionmaker)

    @classmethod
    def for_engine(cls, engine: Engine | Connection) -> DatabaseLaunchStorage:
        return cls(sessionmaker(bind=engine, expire_on_commit=False))

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
        with self._scope() as session:
            session.execute(delete(LaunchState).where(LaunchState.expires_at < utcnow()))
            session.add(LaunchState(**asdict(login)))

    def load_state(self, state: str) -> LoginState | None:
        with self._scope() as session:
            row = session.get(LaunchState, state)
            if row is None or row.expires_at <= utcnow():
                return None
            return LoginState(
                state=row.state,
                platform_id=row.platform_id,
                nonce=row.nonce,
                target_link_uri=row.target_link_uri,
                storage_target=row.storage_target,
                binding_hash=row.binding_hash,
                expires_at=row.expires_at,
            )

    def delete_state(self, state: str) -> None:
        with self._scope() as session:
            session.execute(delete(LaunchState).where(LaunchState.state == state))

    def consume_nonce(self, platform_id: int, nonce: str, ttl: timedelta) -> bool:
        now = utcnow()
        try:
            with self._scope() as session:
                session.execute(delete(UsedNonce).where(UsedNonce.expires_at < now))
                session.add(UsedNonce(platform_id=platform_id, nonce=nonce, expires_at=now + ttl))
        except IntegrityError:
            return False
        return True

    def put(self, key: str, value: str, ttl: timedelta) -> None:
        # Two workers may put the same key at once (both saw no row): the loser of the INSERT race
        # updates the winner's row instead, so the last writer wins as with Redis SET.
        for attempt in (1, 2):
            now = utcnow()
            try:
                with self._scope() as session:
                    session.execute(delete(StoredValue).where(StoredValue.expires_at < now))
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


class RedisLaunchStorage(LaunchStorage):
    """Redis keys expire by themselves (SET EX); nonces use SET NX, which is atomic across nodes."""

    def __init__(self, client: redis.Redis, prefix: str = "pacnum:lti:") -> None:
        self._redis = client
        self._prefix = prefix

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

    def load_state(self, state: str) -> LoginState | None:
        raw = self._redis.get(self._key("state", state))
        if raw is None:
            return None
        data = json.loads(raw)
        data["expires_at"] = datetime.fromisoformat(data["expires_at"])
        login = LoginState(**data)
        return login if login.expires_at > utcnow() else None

    def delete_state(self, state: str) -> None:
        self._redis.delete(self._key("state", state))

    def consume_nonce(self, platform_id: int, nonce: str, ttl: timedelta) -> bool:
        created = self._redis.set(self._key("nonce", platform_id, nonce), "1", ex=self._seconds(ttl), nx=True)
        return bool(created)

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
