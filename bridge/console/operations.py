"""Console operations on LTI registrations, tool keys and LMS connections. Callers commit.

Deployments and keys are handled here on lti.models directly, with the same semantics as the LTI
package's own operations: an approved deployment is active with ``approved_at`` set; a key rotation
leaves exactly one active key and keeps the previous one published in the JWKS for a grace period.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.audit.operations import record
from config.crypto import SecretBox
from config.database import utcnow
from lti import keys
from lti.models import Deployment, ToolKey

log = logging.getLogger(__name__)

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


def rotate_tool_key(session: Session, box: SecretBox, *, actor: str, grace: timedelta = KEY_GRACE) -> ToolKey:
    """Rotate the tool's signing key (lti.keys.rotate: the retired key stays published for ``grace``, so
    platforms holding a cached JWKS still verify messages signed just before) and audit it."""
    key, retired = keys.rotate(session, box, grace_days=max(1, grace.days))
    session.flush()
    now = utcnow()
    record(
        session, actor, "lti.key.rotate", f"tool_key:{key.id}", kid=key.kid,
        retired=[old.kid for old in retired], publish_until=(now + grace).isoformat(),
    )  # fmt: skip
    return key
