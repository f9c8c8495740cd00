"""Item bank in the database (imported from the bank files).

Revision ID: 0005_items
Revises: 0004_domain
Create Date: 2026-11-29 06:03:55.167910
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0005_items"
down_revision: str | None = "0004_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_item",
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("competence", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("a", sa.Float(), nullable=False),
        sa.Column("b", sa.Float(), nullable=False),
        sa.Column("needs_images", sa.Boolean(), nullable=False),
        sa.Column("needs_sound", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("updated_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_item")),
    )
    with op.batch_alter_table("assessment_item", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_item_competence_active", ["competence", "active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assessment_item", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_item_competence_active")

    op.drop_table("assessment_item")
