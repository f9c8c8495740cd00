"""Console operations on LTI registrations, tool keys and LMS connections. Callers commit.

Deployments and keys are handled here on lti.models directly, with the same semantics as the LTI
package's own operations: an approved deployment is active with ``approved_at`` set; a key rotation
leaves exactly one active key and keeps the previous one published in the JWKS for a grace period.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.audit.operations import record
from config.crypto import SecretBox
from config.database import utcnow
from lti.models import Deployment, ToolKey

log = logging.getLogger(__name__)

KEY_SIZE = 2048
KEY_GRACE = timedelta(days=7)


class ConsoleOperationError(Exception):
    """A refused console operation; ``code`` names the reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# -- deployments ---------------------------------------------------------------------------------


def deployment_status(deployment: Deployment) -> str:
    """``active``, ``pending`` (never approved) or ``inactive`` (deactivated after approval)."""
    if deployment.active:
        return "active"
    return "pending" if deployment.approved_at is None else "inactive"


def approve_deployment(session: Session, deployment: Deployment, *, actor: str) -> bool:
    """Let launches through this deployment. Returns False when it already was active."""
    if deployment.active:
        return False
    deployment.active = True
    deployment.approved_at = utcnow()
    record(
        session, actor, "lti.deployment.approve", f"deployment:{deployment.id}",
        platform_id=deployment.platform_id, deployment_id=deployment.deployment_id,
    )  # fmt: skip
    return True


def deactivate_deployment(session: Session, deployment: Deployment, *, actor: str) -> bool:
    """Refuse launches through this deployment from now on. Returns False when it already was inactive."""
    if not deployment.active:
        return False
    deployment.active = False
    record(
        session, actor, "lti.deployment.deactivate", f"deployment:{deployment.id}",
        platform_id=deployment.platform_id, deployment_id=deployment.deployment_id,
    )  # fmt: skip
    return True


# -- tool keys -----------------------------------------------------------------------------------


def list_tool_keys(session: Session) -> list[ToolKey]:
    return list(session.scalars(select(ToolKey).order_by(ToolKey.created_at.desc(), ToolKey.id.desc())))


def is_published(key: ToolKey, now: datetime) -> bool:
    """Whether the key is in the tool's JWKS: the active key, and retired keys during their grace."""
    return key.active or (key.publish_until is not None and key.publish_until > now)


def new_key_material() -> tuple[str, str, dict[str, Any]]:
    """A fresh RSA-2048 key: (kid, private PEM, public JWK). The kid is the RFC 7638 thumbprint."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    jwk = JWK.from_pem(pem.encode("ascii"))
    kid = jwk.thumbprint()
    public: dict[str, Any] = jwk.export_public(as_dict=True)
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, pem, public


def rotate_tool_key(session: Session, box: SecretBox, *, actor: str, grace: timedelta = KEY_GRACE) -> ToolKey:
    """Create a new active signing key; the previous active key(s) retire but stay published for
    ``grace`` so platforms holding a cached JWKS still verify messages signed just before."""
    now = utcnow()
    retired = list(session.scalars(select(ToolKey).where(ToolKey.active.is_(True)).with_for_update()))
    for old in retired:
        old.active = False
        old.retired_at = now
        old.publish_until = now + grace
    kid, pem, public = new_key_material()
    key = ToolKey(
        kid=kid, public_jwk=public, private_key_encrypted=box.encrypt(pem), created_at=now, active=True
    )
    session.add(key)
    session.flush()
    record(
        session, actor, "lti.key.rotate", f"tool_key:{key.id}", kid=kid,
        retired=[old.kid for old in retired], publish_until=(now + grace).isoformat(),
    )  # fmt: skip
    log.info("tool key rotated: new kid %s, %d key(s) retired", kid, len(retired))
    return key
