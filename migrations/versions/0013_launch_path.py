"""Launch path: login states are used once (``used_at``) and carry the nonce's single use, so the table
of used nonces goes; agents get the indexes the launch's matching of imported agents needs
(``lower(email)``, ``username``).

Revision ID: 0013_launch_path
Revises: 0012_registration_links
Create Date: 2026-11-29 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0013_launch_path"
down_revision: str | None = "0012_registration_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lti_launch_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_at", config.database.UTCDateTime(timezone=True), nullable=True))
    # States in flight during the upgrade keep working; the nonces they consumed expire within hours.
    with op.batch_alter_table("lti_used_nonce", schema=None) as batch_op:
        batch_op.drop_index("ix_lti_used_nonce_expires_at")
    op.drop_table("lti_used_nonce")

    op.create_index("ix_agent_email_lower", "agent", [sa.text("lower(email)")], unique=False)
    op.create_index("ix_agent_username", "agent", ["username"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_agent_username", table_name="agent")
    op.drop_index("ix_agent_email_lower", table_name="agent")

    op.create_table(
        "lti_used_nonce",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("expires_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_lti_used_nonce_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_used_nonce")),
        sa.UniqueConstraint("platform_id", "nonce", name=op.f("uq_lti_used_nonce_platform_id_nonce")),
    )
    with op.batch_alter_table("lti_used_nonce", schema=None) as batch_op:
        batch_op.create_index("ix_lti_used_nonce_expires_at", ["expires_at"], unique=False)
    with op.batch_alter_table("lti_launch_state", schema=None) as batch_op:
        batch_op.drop_column("used_at")
