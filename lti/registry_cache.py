"""A per-process snapshot of the LTI registrations, so that an ordinary login and launch read no table.

What every login and launch needs from the database is small and almost never changes: the platform of
an issuer and client id, its cached public keys, and whether the deployment the token names is active.
The snapshot holds exactly that, read in two queries at most every ``ttl`` seconds, and is used only to
*accept*: whatever it cannot answer positively (unknown issuer, ambiguous or inactive platform, unknown
``kid``, unknown or inactive deployment, keys past their cache age) goes down the database path, which
decides with the current rows and gives the precise refusal. So a new registration, a platform key
rotation or a deployment approval takes effect at once; only a *withdrawal* made in another process
(platform or deployment deactivated) can wait up to ``ttl`` seconds there. A change committed through
an ORM session of this process discards the snapshot at once. ``ttl`` 0 turns the snapshot off (every
login and launch reads the rows).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.database import Database, utcnow
from lti.models import Deployment, Platform
from lti.platform_keys import CACHE_MAX_AGE

log = logging.getLogger(__name__)

# Bumped when a transaction of this process that changed a platform or a deployment commits (after the
# commit: a snapshot read as soon as the number changes sees the change).
_generation = 0
_generations = itertools.count(1)
_CHANGED = "lti.registrations_changed"


@event.listens_for(Session, "after_flush")
def _note_registration_changes(session: Session, _context: object) -> None:
    if not session.info.get(_CHANGED) and any(
        isinstance(obj, Platform | Deployment) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _registrations_committed(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation = next(_generations)


@event.listens_for(Session, "after_soft_rollback")
def _registration_changes_dropped(session: Session, _previous: object) -> None:
    if not session.in_transaction():
        session.info.pop(_CHANGED, None)


@dataclass(frozen=True)
class PlatformView:
    """What a login or a launch reads of a platform (attribute names as on ``lti.models.Platform``)."""

    id: int
    issuer: str
    client_id: str
    name: str
    product_family: str
    auth_login_url: str
    active: bool
    keys: Mapping[str, jwt.PyJWK] = field(default_factory=dict)  # kid -> RSA key, while fresh
    keys_fetched_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    generation: int
    loaded_at: float  # time.monotonic()
    by_id: Mapping[int, PlatformView]
    by_issuer: Mapping[str, tuple[PlatformView, ...]]
    active_deployments: frozenset[tuple[int, str]]

    def platform_for_login(self, issuer: str, client_id: str | None) -> PlatformView | None:
        """The one active platform of ``issuer`` (and ``client_id`` when given), or None to ask the
        database (none, several, inactive: the database path gives the refusal)."""
        candidates = [p for p in self.by_issuer.get(issuer, ()) if not client_id or p.client_id == client_id]
        if len(candidates) > 1:
            candidates = [p for p in candidates if p.active]
        if len(candidates) != 1 or not candidates[0].active:
            return None
        return candidates[0]

    def launch_key(
        self, platform_id: int, kid: str, deployment_id: str
    ) -> tuple[PlatformView, jwt.PyJWK] | None:
        """The active platform and its key ``kid`` when ``deployment_id`` is active on it and the keys
        are within their cache age; None to take the database path."""
        platform = self.by_id.get(platform_id)
        if platform is None or not platform.active:
            return None
        if (platform_id, deployment_id) not in self.active_deployments:
            return None
        fetched = platform.keys_fetched_at
        if fetched is None or utcnow() - fetched >= CACHE_MAX_AGE:
            return None
        key = platform.keys.get(kid)
        return None if key is None else (platform, key)


def _keys(jwks: dict[str, Any] | None) -> dict[str, jwt.PyJWK]:
    """The RSA keys of a cached JWKS that PyJWT accepts; the others are left to the database path."""
    keys: dict[str, jwt.PyJWK] = {}
    for item in (jwks or {}).get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(item, dict) or item.get("kty") != "RSA" or not isinstance(item.get("kid"), str):
            continue
        try:
            keys.setdefault(item["kid"], jwt.PyJWK(dict(item), algorithm="RS256"))
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue
    return keys


def load_snapshot(session: Session) -> Snapshot:
    """Every registration and active deployment, in two queries."""
    generation = _generation
    views: dict[int, PlatformView] = {}
    by_issuer: dict[str, list[PlatformView]] = {}
    for platform in session.scalars(select(Platform)):
        view = PlatformView(
            id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            name=platform.name,
            product_family=platform.product_family,
            auth_login_url=platform.auth_login_url,
            active=platform.active,
            keys=_keys(platform.jwks_cache),
            keys_fetched_at=platform.jwks_fetched_at,
        )
        views[view.id] = view
        by_issuer.setdefault(view.issuer, []).append(view)
    deployments = session.execute(
        select(Deployment.platform_id, Deployment.deployment_id).where(Deployment.active.is_(True))
    )
    return Snapshot(
        generation=generation,
        loaded_at=time.monotonic(),
        by_id=views,
        by_issuer={issuer: tuple(items) for issuer, items in by_issuer.items()},
        active_deployments=frozenset((row[0], row[1]) for row in deployments),
    )


class RegistryCache:
    """The snapshot of one app's database, reloaded when older than ``ttl_seconds`` or when this
    process changed a registration. Thread-safe; readers never wait unless a reload is due."""

    def __init__(self, database: Database, ttl_seconds: float) -> None:
        self.database = database
        self.ttl_seconds = ttl_seconds
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def _fresh(self, snapshot: Snapshot | None) -> bool:
        return (
            snapshot is not None
            and snapshot.generation == _generation
            and time.monotonic() - snapshot.loaded_at < self.ttl_seconds
        )

    def get(self) -> Snapshot | None:
        """The current snapshot, or None when the cache is off (``ttl_seconds`` 0)."""
        if self.ttl_seconds <= 0:
            return None
        snapshot = self._snapshot
        if self._fresh(snapshot):
            return snapshot
        with self._lock:
            if not self._fresh(self._snapshot):
                try:
                    with self.database.sessionmaker() as session:
                        self._snapshot = load_snapshot(session)
                except SQLAlchemyError:
                    log.warning("LTI registrations unreadable: the snapshot is skipped")
                    return None
            return self._snapshot

    def clear(self) -> None:
        self._snapshot = None
