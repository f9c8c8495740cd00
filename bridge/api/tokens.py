"""API tokens: created once (the clear token is shown only then), stored as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.api.models import ApiToken
from bridge.campaigns.models import Campaign
from config.database import utcnow

PREFIX = "pnb_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token command was refused; the message says why."""


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    clear: str


def digest(clear: str) -> str:
    return hashlib.sha256(clear.encode("utf-8")).hexdigest()


def create(session: Session, name: str, campaign_code: str | None = None) -> CreatedToken:
    name = name.strip()
    if not name or len(name) > 200:
        raise TokenError("the name is required (200 characters at most)")
    campaign_id = None
    if campaign_code:
        campaign = session.scalar(select(Campaign).where(Campaign.code == campaign_code))
        if campaign is None:
            raise TokenError(f"no campaign with code {campaign_code!r}")
        campaign_id = campaign.id
    clear = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=digest(clear), campaign_id=campaign_id)
    session.add(token)
    session.flush()
    return CreatedToken(token, clear)


def authenticate(session: Session, clear: str) -> ApiToken | None:
    """The live token matching ``clear`` (None when unknown or revoked); notes its last use."""
    if not clear.startswith(PREFIX) or len(clear) > 200:
        return None
    stmt = select(ApiToken).where(ApiToken.token_hash == digest(clear))
    # Always read the row: a revocation must take effect even for a long-lived session.
    token = session.scalar(stmt.execution_options(populate_existing=True))
    if token is None or token.revoked_at is not None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    return token


def all_tokens(session: Session) -> list[tuple[ApiToken, str | None]]:
    stmt = (
        select(ApiToken, Campaign.code)
        .outerjoin(Campaign, Campaign.id == ApiToken.campaign_id)
        .order_by(ApiToken.id)
    )
    return [(token, code) for token, code in session.execute(stmt)]


def revoke(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token
