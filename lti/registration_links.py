"""One-time dynamic-registration links, issued by the tool's admin (console or CLI) to an LMS admin.

The link is ``{BRIDGE_BASE_URL}/lti/register/<token>``: the token (``secrets.token_urlsafe(32)``) is shown
once, at creation; only its SHA-256 is stored. Using the link is atomic: a conditional UPDATE *claims* it
for the time of the exchange with the LMS (a second use meanwhile is refused), success *consumes* it,
failure *releases* it (the LMS admin can try again with the same link). Operations shared by the console
(bridge/console) and ``flask --app wsgi lti registration-link-*``. Callers commit.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, selectinload

from config.database import utcnow
from lti.errors import refuse
from lti.hosts import normalize_host, origin_of
from lti.models import Platform, RegistrationLink
from lti.runtime import LtiRuntime

log = logging.getLogger(__name__)

DEFAULT_VALIDITY = timedelta(days=7)
MIN_VALIDITY = timedelta(hours=1)
MAX_VALIDITY = timedelta(days=30)
LIST_LIMIT = 100
MAX_TOKEN_LENGTH = 200

Status = Literal["pending", "in_use", "used", "revoked", "expired"]


class LinkError(ValueError):
    """A refused link operation of an admin; ``code`` names the field or reason, the message is French."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CreatedLink:
    link: RegistrationLink
    url: str  # the whole link, token included: show it once, never log or store it


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def status(link: RegistrationLink, now: datetime | None = None) -> Status:
    now = now or utcnow()
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if link.claimed_until is not None and link.claimed_until > now:
        return "in_use"
    return "pending"


def clean_expected_host(value: str) -> str | None:
    """The host restriction an admin typed: ``host``, ``host:port`` or a pasted URL; None when empty."""
    value = value.strip()
    if not value:
        return None
    if "://" in value:
        origin = origin_of(value)
        if origin is None:
            raise LinkError("expected_host", _("Cette adresse n'est pas une adresse http(s) valide."))
        return origin.display
    try:
        return normalize_host(value)
    except ValueError as exc:
        raise LinkError(
            "expected_host",
            _(
                "Saisissez un nom d'hôte, par exemple moodle.ministere.gouv.fr "
                "ou moodle.ministere.gouv.fr:8443."
            ),
        ) from exc


def parse_validity(text: str) -> timedelta:
    """``12h``, ``7d`` (or ``7j``): the validity an admin typed on the command line."""
    match = re.fullmatch(r"\s*([0-9]{1,4})\s*([hdj])\s*", text.lower())
    if match is None:
        raise LinkError(
            "valid_for", _("Durée illisible : écrivez un nombre d'heures (12h) ou de jours (7d).")
        )
    number = int(match.group(1))
    return check_validity(timedelta(hours=number) if match.group(2) == "h" else timedelta(days=number))


def check_validity(valid_for: timedelta) -> timedelta:
    if not MIN_VALIDITY <= valid_for <= MAX_VALIDITY:
        raise LinkError("valid_for", _("La durée de validité doit être comprise entre 1 heure et 30 jours."))
    return valid_for


def create_link(
    session: Session,
    runtime: LtiRuntime,
    *,
    actor: str,
    valid_for: timedelta = DEFAULT_VALIDITY,
    expected_host: str = "",
    label: str = "",
) -> CreatedLink:
    """A new pending link; the returned URL holds the token (the only time it exists in clear)."""
    check_validity(valid_for)
    host = clean_expected_host(expected_host)
    label = label.strip()
    if len(label) > 200:
        raise LinkError("label", _("200 caractères au plus."))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    link = RegistrationLink(
        token_hash=hash_token(token),
        label=label,
        expected_host=host,
        created_by=actor[:200],
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(link)
    session.flush()
    runtime.record(
        session,
        "lti.registration_link_created",
        f"registration_link:{link.id}",
        actor=actor,
        expires_at=link.expires_at.isoformat(),
        expected_host=host,
        label=label,
    )
    log.info("registration link %s created, valid until %s", link.id, link.expires_at.isoformat())
    return CreatedLink(link=link, url=runtime.urls.registration_link(token))


def list_links(session: Session, *, limit: int = LIST_LIMIT) -> list[RegistrationLink]:
    """The newest links first (pending, used, revoked and expired alike)."""
    stmt = (
        select(RegistrationLink)
        .options(selectinload(RegistrationLink.platform))
        .order_by(RegistrationLink.created_at.desc(), RegistrationLink.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def revoke_link(session: Session, runtime: LtiRuntime, link_id: int, *, actor: str) -> RegistrationLink:
    """Make a pending link unusable. An exchange in flight through it fails when it tries to finish."""
    link = session.get(RegistrationLink, link_id)
    if link is None:
        raise LinkError("not_found", _("Ce lien d'enregistrement n'existe pas."))
    now = utcnow()
    current = status(link, now)
    if current not in ("pending", "in_use"):
        messages = {
            "used": _("Ce lien a déjà servi : il n'y a rien à révoquer."),
            "revoked": _("Ce lien était déjà révoqué."),
            "expired": _("Ce lien a déjà expiré : il n'y a rien à révoquer."),
        }
        raise LinkError("not_pending", messages[current])
    result = session.execute(
        update(RegistrationLink)
        .where(
            RegistrationLink.id == link.id,
            RegistrationLink.used_at.is_(None),
            RegistrationLink.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by=actor[:200])
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:  # used between the read and the update
        raise LinkError("not_pending", _("Ce lien a déjà servi : il n'y a rien à révoquer."))
    session.refresh(link)
    runtime.record(session, "lti.registration_link_revoked", f"registration_link:{link.id}", actor=actor)
    log.info("registration link %s revoked", link.id)
    return link


# -- use by an LMS (GET /lti/register/<token>) ---------------------------------------------------------


def open_link(session: Session, token: str, now: datetime | None = None) -> RegistrationLink:
    """The link this token names, if it can still be used; else the refusal that says why."""
    now = now or utcnow()
    link = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        link = session.scalars(
            select(RegistrationLink).where(RegistrationLink.token_hash == hash_token(token))
        ).first()
    if link is None:
        raise refuse("lti.registration_link_unknown")
    return _check_usable(link, now)


def _check_usable(link: RegistrationLink, now: datetime) -> RegistrationLink:
    current = status(link, now)
    if current == "revoked":
        raise refuse("lti.registration_link_revoked")
    if current == "used":
        raise refuse("lti.registration_link_used")
    if current == "expired":
        raise refuse("lti.registration_link_expired", expired=link.expires_at.strftime("%d/%m/%Y %H:%M"))
    if current == "in_use":
        raise refuse("lti.registration_link_busy")
    return link


def claim(session: Session, link: RegistrationLink, hold: timedelta) -> None:
    """Reserve the link for one exchange of at most ``hold`` (atomic; the caller commits at once)."""
    now = utcnow()
    result = session.execute(
        update(RegistrationLink)
        .where(
            RegistrationLink.id == link.id,
            RegistrationLink.used_at.is_(None),
            RegistrationLink.revoked_at.is_(None),
            RegistrationLink.expires_at > now,
            or_(RegistrationLink.claimed_until.is_(None), RegistrationLink.claimed_until <= now),
        )
        .values(claimed_until=now + hold)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.refresh(link)
        _check_usable(link, now)
        raise refuse("lti.registration_link_busy")


def release(session: Session, link_id: int) -> None:
    """The exchange failed: the link is usable again (unless it was used or revoked meanwhile)."""
    session.execute(
        update(RegistrationLink)
        .where(RegistrationLink.id == link_id, RegistrationLink.used_at.is_(None))
        .values(claimed_until=None)
        .execution_options(synchronize_session=False)
    )


def consume(session: Session, link_id: int, platform: Platform) -> None:
    """The exchange succeeded: the link is used, by ``platform``. Refused when it was revoked meanwhile."""
    result = session.execute(
        update(RegistrationLink)
        .where(
            RegistrationLink.id == link_id,
            RegistrationLink.used_at.is_(None),
            RegistrationLink.revoked_at.is_(None),
        )
        .values(used_at=utcnow(), platform_id=platform.id, used_issuer=platform.issuer, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        link = session.get(RegistrationLink, link_id, populate_existing=True)
        raise refuse(
            "lti.registration_link_revoked"
            if link is not None and link.revoked_at is not None
            else "lti.registration_link_used"
        )
