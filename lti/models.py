"""LTI registrations (platforms, deployments), the tool's own keys, and the launch state shared by workers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config.database import Base, utcnow


class Platform(Base):
    """An LMS registration. Keyed by (issuer, client_id): Canvas uses one issuer for every customer."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000), default=None)
    key_set_url: Mapped[str] = mapped_column(String(1000))
    # The platform's public keys, cached; refetched when an unknown kid shows up.
    jwks_cache: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    jwks_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    # Last refetch caused by an unknown kid (rate-limited so forged kids cannot hammer the platform).
    jwks_refetched_at: Mapped[datetime | None] = mapped_column(default=None)
    product_family: Mapped[str] = mapped_column(String(100), default="")
    registered_by: Mapped[str] = mapped_column(String(20), default="manual")  # manual | dynamic | demo
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan"
    )


class Deployment(Base):
    """A deployment of the tool on a platform. Unknown deployments are recorded inactive for approval."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(Base):
    """One of the tool's RSA key pairs. The private key is encrypted at rest (config.crypto.SecretBox)."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # active: signs new messages (exactly one). Retired keys stay in the JWKS until retire_after.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    publish_until: Mapped[datetime | None] = mapped_column(default=None)


class LaunchState(Base):
    """An OIDC login in flight: the state and nonce the tool generated, bound to one platform.

    Kept server-side (never only in a cookie) so a launch works when the browser blocks third-party
    cookies inside the LMS iframe. Used once (``used_at``; its nonce with it), expires after a few
    minutes; the retention job deletes the rows a day later, until then a replayed launch is recognised.
    """

    __tablename__ = "lti_launch_state"
    __table_args__ = (Index("ix_lti_launch_state_expires_at", "expires_at"),)

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(128))
    target_link_uri: Mapped[str] = mapped_column(String(1000), default="")
    # Set when the platform offered LTI platform storage (lti_storage_target): the frame name, and the
    # hash of the secret the browser stored there, checked again after the launch.
    storage_target: Mapped[str | None] = mapped_column(String(200), default=None)
    binding_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class StoredValue(Base):
    """Short-lived shared values (validated launch data, service access tokens), keyed by name.

    The database implementation of lti.storage; Redis replaces this table when configured.
    """

    __tablename__ = "lti_stored_value"
    __table_args__ = (Index("ix_lti_stored_value_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column()


class DemoPlatformKey(Base):
    """The signing key of the built-in demo LMS (development only), encrypted at rest."""

    __tablename__ = "lti_demo_platform_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegistrationLink(Base):
    """A one-time dynamic-registration link issued by the tool's admin: ``/lti/register/<token>``.

    Only the SHA-256 of the token is stored; the link is shown once, at creation. ``claimed_until`` is set
    while a registration through the link is in flight (so two uses cannot run at once); ``used_at`` when
    it succeeded. A link is usable while it is neither used, revoked nor expired.
    """

    __tablename__ = "lti_registration_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    # The only LMS host ("host" or "host:port") whose configuration the link may register, when set.
    expected_host: Mapped[str | None] = mapped_column(String(300), default=None)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    used_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_platform.id", ondelete="SET NULL"), default=None
    )
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(200), default=None)

    platform: Mapped[Platform | None] = relationship()
