"""Operations on registrations: platforms keyed by (issuer, client_id) and their deployments.

Shared by the launch, the dynamic registration, the CLI and the admin pages. Callers commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.database import utcnow
from lti.errors import refuse
from lti.models import Deployment, Platform

log = logging.getLogger(__name__)


class RegistryError(ValueError):
    """A registration value is wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class PlatformInput:
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    auth_audience: str | None = None
    product_family: str = ""
    registered_by: str = "manual"


def _check_url(label: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RegistryError(f"{label} must be an absolute http(s) URL (got {value!r})")
    return value


def validate_input(data: PlatformInput) -> PlatformInput:
    if not data.issuer.strip():
        raise RegistryError(
            "the issuer is required (Moodle: the site's wwwroot, e.g. https://moodle.example.fr)"
        )
    # Kept exactly as given (no trailing-slash games): the id_token's iss must be equal to it.
    issuer = _check_url("the issuer", data.issuer)
    if not data.client_id.strip():
        raise RegistryError("the client id is required (Moodle shows it in the tool's configuration details)")
    return PlatformInput(
        issuer=issuer,
        client_id=data.client_id.strip(),
        auth_login_url=_check_url("the authentication request URL", data.auth_login_url),
        auth_token_url=_check_url("the access token URL", data.auth_token_url),
        key_set_url=_check_url("the public keyset URL", data.key_set_url),
        name=data.name.strip()[:200],
        auth_audience=(data.auth_audience or "").strip() or None,
        product_family=data.product_family.strip()[:100],
        registered_by=data.registered_by,
    )


def get_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    return session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()


def save_platform(session: Session, data: PlatformInput) -> tuple[Platform, bool]:
    """Create the registration, or update it when (issuer, client_id) exists: (platform, created)."""
    data = validate_input(data)
    platform = get_platform(session, data.issuer, data.client_id)
    created = platform is None
    if platform is None:
        platform = Platform(issuer=data.issuer, client_id=data.client_id)
        session.add(platform)
    platform.name = data.name or platform.name or urlsplit(data.issuer).netloc
    platform.auth_login_url = data.auth_login_url
    platform.auth_token_url = data.auth_token_url
    platform.auth_audience = data.auth_audience
    platform.key_set_url = data.key_set_url
    platform.product_family = data.product_family or platform.product_family
    platform.registered_by = data.registered_by
    platform.active = True
    platform.jwks_cache = None
    platform.jwks_fetched_at = None
    session.flush()
    return platform, created


def add_deployment(session: Session, platform: Platform, deployment_id: str, *, active: bool) -> Deployment:
    deployment_id = deployment_id.strip()
    if not deployment_id:
        raise RegistryError(
            "the deployment id is empty (Moodle: the tool's type id, shown as 'Deployment ID')"
        )
    deployment = get_deployment(session, platform, deployment_id)
    if deployment is None:
        deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id, active=False)
        session.add(deployment)
    if active and not deployment.active:
        deployment.active = True
        deployment.approved_at = utcnow()
    session.flush()
    return deployment


def get_deployment(session: Session, platform: Platform, deployment_id: str) -> Deployment | None:
    return session.scalars(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    ).first()


def find_platform_for_login(session: Session, issuer: str, client_id: str | None) -> Platform:
    """The registration a login initiation refers to, or a refusal (unknown, ambiguous, disabled)."""
    stmt = select(Platform).where(Platform.issuer == issuer)
    if client_id:
        stmt = stmt.where(Platform.client_id == client_id)
    platforms = list(session.scalars(stmt))
    if not platforms:
        raise refuse("lti.unknown_platform")
    if len(platforms) > 1:
        active = [p for p in platforms if p.active]
        if len(active) != 1:
            raise refuse("lti.ambiguous_platform")
        platforms = active
    platform = platforms[0]
    if not platform.active:
        raise refuse("lti.platform_inactive")
    return platform


def set_deployment_active(
    session: Session, issuer: str, deployment_id: str, *, active: bool, client_id: str | None = None
) -> Deployment:
    stmt = (
        select(Deployment)
        .join(Platform)
        .where(Platform.issuer == issuer.strip())
        .where(Deployment.deployment_id == deployment_id)
    )
    if client_id:
        stmt = stmt.where(Platform.client_id == client_id)
    found = list(session.scalars(stmt))
    if not found:
        raise RegistryError(
            f"no deployment {deployment_id!r} for issuer {issuer!r}: see `flask --app wsgi lti deployments`"
        )
    if len(found) > 1:
        raise RegistryError(
            f"several registrations of {issuer!r} have deployment {deployment_id!r}: add --client-id"
        )
    deployment = found[0]
    deployment.active = active
    if active:
        deployment.approved_at = utcnow()
    return deployment


def approve_deployment_by_pk(
    session: Session, deployment_pk: int, *, platform_id: int | None = None
) -> Deployment:
    deployment = session.get(Deployment, deployment_pk)
    if deployment is None or (platform_id is not None and deployment.platform_id != platform_id):
        raise RegistryError("unknown deployment")
    deployment.active = True
    deployment.approved_at = utcnow()
    return deployment


def pending_deployments(session: Session, platform_id: int | None = None) -> list[Deployment]:
    stmt = select(Deployment).where(Deployment.active.is_(False), Deployment.approved_at.is_(None))
    if platform_id is not None:
        stmt = stmt.where(Deployment.platform_id == platform_id)
    return list(session.scalars(stmt.order_by(Deployment.created_at)))


def list_platforms(session: Session) -> list[Platform]:
    return list(session.scalars(select(Platform).order_by(Platform.issuer, Platform.client_id)))


def list_deployments(session: Session) -> list[Deployment]:
    return list(
        session.scalars(select(Deployment).order_by(Deployment.platform_id, Deployment.deployment_id))
    )


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def active_origins(session: Session) -> list[str]:
    """Origins allowed to embed the tool: the issuers and auth URLs of active platforms."""
    origins: set[str] = set()
    for issuer, auth_url in session.execute(
        select(Platform.issuer, Platform.auth_login_url).where(Platform.active.is_(True))
    ):
        for url in (issuer, auth_url):
            origin = _origin(url)
            if origin:
                origins.add(origin)
    return sorted(origins)
