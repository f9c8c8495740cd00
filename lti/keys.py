"""The tool's own RSA keys: generated on first use, private halves encrypted at rest, rotated with a grace.

Every active key is published; the newest active key signs. Rotation retires the active keys and keeps
them in the JWKS until ``publish_until`` so that LMSs can still verify what they signed (deep-linking
responses, service-token assertions) during the grace period.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Connection, Engine, or_, select
from sqlalchemy.orm import Session

from config.crypto import SecretBox
from config.database import utcnow
from lti.models import ToolKey

log = logging.getLogger(__name__)

KEY_SIZE = 2048
DEFAULT_GRACE_DAYS = 7


@lru_cache(maxsize=16)
def load_private_key(private_pem: str) -> rsa.RSAPrivateKey:
    """The key object of a PEM, loaded once per process: loading checks the RSA key, which costs about a
    hundred times more than signing with it (tens of milliseconds against a fraction of one)."""
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return private


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str = field(repr=False)

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        """An RS256 JWT of ``claims`` with this key's ``kid`` in its header."""
        header = {"kid": self.kid, **(headers or {})}
        return jwt.encode(claims, load_private_key(self.private_pem), algorithm="RS256", headers=header)


def generate_rsa() -> tuple[str, dict[str, Any]]:
    """A new RSA key: (private PEM, public JWK without kid)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return pem, public_jwk


def public_jwk_from_pem(private_pem: str, kid: str) -> dict[str, Any]:
    private = load_private_key(private_pem)
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return jwk


def create_key(session: Session, box: SecretBox) -> ToolKey:
    pem, jwk = generate_rsa()
    kid = secrets.token_hex(16)
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    key = ToolKey(kid=kid, public_jwk=jwk, private_key_encrypted=box.encrypt(pem), active=True)
    session.add(key)
    session.flush()
    log.info("tool key %s created", kid)
    return key


def _newest_active(session: Session) -> ToolKey | None:
    stmt = (
        select(ToolKey).where(ToolKey.active.is_(True)).order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
    )
    return session.scalars(stmt.limit(1)).first()


def ensure_active_key(session: Session, box: SecretBox) -> ToolKey:
    """The key that signs new messages, created on first use. The caller commits."""
    return _newest_active(session) or create_key(session, box)


def signing_key(session: Session, box: SecretBox) -> SigningKey:
    key = ensure_active_key(session, box)
    return SigningKey(kid=key.kid, private_pem=box.decrypt(key.private_key_encrypted))


def committed_signing_key(bind: Engine | Connection, box: SecretBox) -> SigningKey:
    """The signing key, created and committed in a transaction of its own when missing, so that it is
    published in the JWKS before the platform receives anything signed with it (jobs, services)."""
    with Session(bind=bind, expire_on_commit=False) as session, session.begin():
        return signing_key(session, box)


def rotate(
    session: Session, box: SecretBox, *, grace_days: int = DEFAULT_GRACE_DAYS
) -> tuple[ToolKey, list[ToolKey]]:
    """Create a new signing key; retire the active ones, still published for ``grace_days``."""
    now = utcnow()
    # Locked so two concurrent rotations cannot both retire the same key and leave two new active keys.
    retired = list(session.scalars(select(ToolKey).where(ToolKey.active.is_(True)).with_for_update()))
    for key in retired:
        key.active = False
        key.retired_at = now
        key.publish_until = now + timedelta(days=grace_days)
    new_key = create_key(session, box)
    log.info("tool keys rotated: %s signs, %d retired for %d days", new_key.kid, len(retired), grace_days)
    return new_key, retired


def published_keys(session: Session) -> list[ToolKey]:
    now = utcnow()
    stmt = (
        select(ToolKey)
        .where(or_(ToolKey.active.is_(True), ToolKey.publish_until > now))
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
    )
    return list(session.scalars(stmt))


def jwks(session: Session) -> dict[str, Any]:
    """The tool's public JSON Web Key Set: active keys and retired keys still in their grace period."""
    return {"keys": [dict(key.public_jwk) for key in published_keys(session)]}
