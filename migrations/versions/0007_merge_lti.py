"""Merge the LTI state tables into the main line of migrations.

Revision ID: 0007_merge_lti
Revises: 0006_ops, 0005_lti
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "0007_merge_lti"
down_revision: str | Sequence[str] | None = ("0006_ops", "0005_lti")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
