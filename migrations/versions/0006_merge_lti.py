"""Merge the catalogue and LTI state branches.

Revision ID: 0006_merge_lti
Revises: 0005_catalog, 0005_lti
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "0006_merge_lti"
down_revision: str | Sequence[str] | None = ("0005_catalog", "0005_lti")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
