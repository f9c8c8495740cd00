"""Recommendations: keep the reason the LMS refused an enrolment.

Revision ID: 0006_catalog
Revises: 0005_items
Create Date: 2026-11-29 06:08:10.903593
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_catalog"
down_revision: str | None = "0005_items"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enrolment_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_column("enrolment_error")
