"""Domain: catalogue, campaigns, assessments and results, AGS score outbox, recommendations.

Revision ID: 0004_domain
Revises: 0003_sync
Create Date: 2026-11-29 06:01:41.423140
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import config.database

revision: str = "0004_domain"
down_revision: str | None = "0003_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directorate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directorate")),
        sa.UniqueConstraint("code", name=op.f("uq_directorate_code")),
    )
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("directorate_code", sa.String(length=50), nullable=True),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("target_profile", sa.JSON(), nullable=False),
        sa.Column("retake_delay_days", sa.Integer(), nullable=False),
        sa.Column("max_recommendations", sa.Integer(), nullable=False),
        sa.Column("level_cap", sa.Integer(), nullable=False),
        sa.Column("lms_context_ids", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["directorate_code"],
            ["directorate.code"],
            name=op.f("fk_campaign_directorate_code_directorate"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.UniqueConstraint("code", name=op.f("uq_campaign_code")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("current_item_id", sa.String(length=50), nullable=True),
        sa.Column("exclude_accessibility", sa.JSON(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("ags_lineitem_url", sa.String(length=1000), nullable=True),
        sa.Column("ags_lineitems_url", sa.String(length=1000), nullable=True),
        sa.Column("score_percent", sa.Float(), nullable=True),
        sa.Column("average_level", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_assessment_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_assessment_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_assessment_platform_id_lti_platform"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index("ix_assessment_agent_status", ["agent_id", "status"], unique=False)
        batch_op.create_index("ix_assessment_campaign_finished", ["campaign_id", "finished_at"], unique=False)

    op.create_table(
        "campaign_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("targeted_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_launch_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("enrolled_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_campaign_member_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_campaign_member_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_member")),
        sa.UniqueConstraint("campaign_id", "agent_id", name=op.f("uq_campaign_member_campaign_id_agent_id")),
    )
    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_member_agent", ["agent_id"], unique=False)

    op.create_table(
        "training",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("modality", sa.String(length=20), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("theme", sa.String(length=50), nullable=False),
        sa.Column("lms_connection_id", sa.Integer(), nullable=True),
        sa.Column("moodle_course_id", sa.Integer(), nullable=True),
        sa.Column("moodle_course_shortname", sa.String(length=255), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("starts_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("registration_deadline", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lms_connection_id"],
            ["lms_connection.id"],
            name=op.f("fk_training_lms_connection_id_lms_connection"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training")),
        sa.UniqueConstraint("code", name=op.f("uq_training_code")),
    )
    with op.batch_alter_table("training", schema=None) as batch_op:
        batch_op.create_index("ix_training_active", ["active"], unique=False)

    op.create_table(
        "ags_score_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=True),
        sa.Column("lineitems_url", sa.String(length=1000), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("user_sub", sa.String(length=255), nullable=False),
        sa.Column("score_given", sa.Float(), nullable=False),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_ags_score_outbox_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name=op.f("fk_ags_score_outbox_platform_id_lti_platform"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ags_score_outbox")),
        sa.UniqueConstraint("assessment_id", name=op.f("uq_ags_score_outbox_assessment_id")),
    )
    with op.batch_alter_table("ags_score_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_ags_score_outbox_status", ["status"], unique=False)

    op.create_table(
        "assessment_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=50), nullable=False),
        sa.Column("competence", sa.String(length=10), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seconds_spent", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_response_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_response")),
        sa.UniqueConstraint(
            "assessment_id", "item_id", name=op.f("uq_assessment_response_assessment_id_item_id")
        ),
        sa.UniqueConstraint(
            "assessment_id", "position", name=op.f("uq_assessment_response_assessment_id_position")
        ),
    )
    op.create_table(
        "competence_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("competence", sa.String(length=10), nullable=False),
        sa.Column("theta", sa.Float(), nullable=False),
        sa.Column("se", sa.Float(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_low", sa.Integer(), nullable=False),
        sa.Column("level_high", sa.Integer(), nullable=False),
        sa.Column("pix", sa.Integer(), nullable=False),
        sa.Column("items_answered", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_competence_result_assessment_id_assessment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competence_result")),
        sa.UniqueConstraint(
            "assessment_id", "competence", name=op.f("uq_competence_result_assessment_id_competence")
        ),
    )
    with op.batch_alter_table("competence_result", schema=None) as batch_op:
        batch_op.create_index("ix_competence_result_competence_level", ["competence", "level"], unique=False)

    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_data", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("proposed_at", config.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("enrolled_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", config.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_recommendation_agent_id_agent"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_recommendation_assessment_id_assessment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_recommendation_campaign_id_campaign"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["training.id"],
            name=op.f("fk_recommendation_training_id_training"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
        sa.UniqueConstraint("agent_id", "training_id", name=op.f("uq_recommendation_agent_id_training_id")),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index("ix_recommendation_status", ["status"], unique=False)
        batch_op.create_index("ix_recommendation_training_status", ["training_id", "status"], unique=False)

    op.create_table(
        "training_competence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("training_id", sa.Integer(), nullable=False),
        sa.Column("competence", sa.String(length=10), nullable=False),
        sa.Column("prerequisite_level", sa.Integer(), nullable=True),
        sa.Column("goal_level", sa.Integer(), nullable=True),
        sa.Column("target_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["training_id"],
            ["training.id"],
            name=op.f("fk_training_competence_training_id_training"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_competence")),
        sa.UniqueConstraint(
            "training_id", "competence", name=op.f("uq_training_competence_training_id_competence")
        ),
    )


def downgrade() -> None:
    op.drop_table("training_competence")
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.drop_index("ix_recommendation_training_status")
        batch_op.drop_index("ix_recommendation_status")

    op.drop_table("recommendation")
    with op.batch_alter_table("competence_result", schema=None) as batch_op:
        batch_op.drop_index("ix_competence_result_competence_level")

    op.drop_table("competence_result")
    op.drop_table("assessment_response")
    with op.batch_alter_table("ags_score_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_ags_score_outbox_status")

    op.drop_table("ags_score_outbox")
    with op.batch_alter_table("training", schema=None) as batch_op:
        batch_op.drop_index("ix_training_active")

    op.drop_table("training")
    with op.batch_alter_table("campaign_member", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_member_agent")

    op.drop_table("campaign_member")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_campaign_finished")
        batch_op.drop_index("ix_assessment_agent_status")

    op.drop_table("assessment")
    op.drop_table("campaign")
    op.drop_table("directorate")
