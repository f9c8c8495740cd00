"""Campaign tracker: API tokens, members' directorate/unit and first/latest assessments, competence and
daily statistics, tracker indexes, the four directorates.

Revision ID: 0011_tracker
Revises: 0010_admin
Create Date: 2026-11-29 06:59:02.732300
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0011_tracker"
down_revision: str | None = "0010_admin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_api_token_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "tracker_competence_stat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("by_unit", sa.Boolean(), nullable=False),
        sa.Column("directorate", sa.String(length=50), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("competence", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("agents", sa.Integer(), nullable=False),
        sa.Column("twice", sa.Integer(), nullable=False),
        sa.Column("before_sum", sa.Integer(), nullable=False),
        sa.Column("after_sum", sa.Integer(), nullable=False),
        sa.Column("improved", sa.Integer(), nullable=False),
        sa.Column("declined", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_tracker_competence_stat_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_competence_stat")),
    )
    with op.batch_alter_table("tracker_competence_stat", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracker_competence_stat_scope",
            ["campaign_id", "by_unit", "unit", "directorate"],
            unique=False,
        )

    op.create_table(
        "tracker_daily_stat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("directorate", sa.String(length=50), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_tracker_daily_stat_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_daily_stat")),
    )
    with op.batch_alter_table("tracker_daily_stat", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracker_daily_stat_scope", ["campaign_id", "directorate", "day"], unique=False
        )

    op.create_table(
        "tracker_stat_refresh",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_tracker_stat_refresh_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_tracker_stat_refresh")),
    )
    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("directorate", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("unit", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("first_assessment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("latest_assessment_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_campaign_member_latest_assessment", ["latest_assessment_id"], unique=False)
        batch_op.create_index(
            "ix_campaign_member_tracker",
            [
                "campaign_id",
                "directorate",
                "unit",
                "targeted_at",
                "first_launch_at",
                "assessed_at",
                "accepted_at",
                "enrolled_at",
                "completed_at",
            ],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_campaign_member_first_assessment_id_assessment"),
            "assessment",
            ["first_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_campaign_member_latest_assessment_id_assessment"),
            "assessment",
            ["latest_assessment_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("competence_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_competence_result_assessment_level", ["assessment_id", "competence", "level"], unique=False
        )

    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recommendation_campaign_agent_status", ["campaign_id", "agent_id", "status"], unique=False
        )

    _seed_directorates()
    _backfill_members()


DIRECTORATES = (
    ("DGFIP", "Direction générale des Finances publiques"),
    ("DOUANE", "Direction générale des douanes et droits indirects"),
    ("DGCCRF", "Direction générale de la concurrence, de la consommation et de la répression des fraudes"),
    ("TRESOR", "Direction générale du Trésor"),
)


def _seed_directorates() -> None:
    """Reference data: the programme's four directorates (admins add more in /admin/directions)."""
    directorate = sa.table("directorate", sa.column("code", sa.String), sa.column("name", sa.String))
    existing = set(op.get_bind().execute(sa.select(directorate.c.code)).scalars())
    rows = [{"code": code, "name": name} for code, name in DIRECTORATES if code not in existing]
    if rows:
        op.bulk_insert(directorate, rows)


_PICK = (
    "(SELECT a.id FROM assessment a WHERE a.agent_id = campaign_member.agent_id "
    "AND a.status = 'finished' AND (a.campaign_id = campaign_member.campaign_id OR a.campaign_id IS NULL) "
    "ORDER BY a.finished_at {order}, a.id {order} LIMIT 1)"
)


def _backfill_members() -> None:
    """Members from before this revision: their agent's directorate and unit, their first and latest
    finished assessments."""
    op.execute(
        "UPDATE campaign_member SET directorate = (SELECT agent.directorate FROM agent WHERE agent.id = "
        "campaign_member.agent_id), unit = (SELECT agent.unit FROM agent WHERE agent.id = campaign_member.agent_id)"
    )
    first = _PICK.replace("{order}", "ASC")
    latest = _PICK.replace("{order}", "DESC")
    op.execute(
        "UPDATE campaign_member SET first_assessment_id = "  # noqa: S608 - constant SQL
        + first
        + ", latest_assessment_id = "
        + latest
        + " WHERE assessed_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_campaign_agent_status")

    with op.batch_alter_table("competence_result", schema=None) as batch_op:
        batch_op.drop_index("ix_competence_result_assessment_level")

    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_campaign_member_latest_assessment_id_assessment"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_campaign_member_first_assessment_id_assessment"), type_="foreignkey"
        )
        batch_op.drop_index("ix_campaign_member_tracker")
        batch_op.drop_index("ix_campaign_member_latest_assessment")
        batch_op.drop_column("latest_assessment_id")
        batch_op.drop_column("first_assessment_id")
        batch_op.drop_column("unit")
        batch_op.drop_column("directorate")

    op.drop_table("tracker_stat_refresh")
    with op.batch_alter_table("tracker_daily_stat", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_daily_stat_scope")

    op.drop_table("tracker_daily_stat")
    with op.batch_alter_table("tracker_competence_stat", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_competence_stat_scope")

    op.drop_table("tracker_competence_stat")
    op.drop_table("api_token")
    # The directorates stay: campaigns and agents may refer to them.
