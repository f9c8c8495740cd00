"""LTI registration links: one-time dynamic-registration links issued by the tool's admin (token hash only).

Revision ID: 0012_registration_links
Revises: 0011_tracker
Create Date: 2026-11-29 08:59:54.365618
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0012_registration_links"
down_revision: str | None = "0011_tracker"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lti_registration_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("expected_host", sa.String(length=300), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_issuer", sa.String(length=500), nullable=True),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_registration_link_platform_id_lti_platform"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registration_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_lti_registration_link_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("lti_registration_link")
