"""monitoring: checks, alert rules, alerts, feedback labels; merged dataset versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("n_reference", sa.Integer(), nullable=False),
        sa.Column("n_current", sa.Integer(), nullable=False),
        sa.Column("dataset_drift", sa.Boolean(), nullable=False),
        sa.Column("drift_share", sa.Float(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_monitoring_checks_version", "monitoring_checks", ["model_version_id", "created_at"]
    )
    op.create_table(
        "monitoring_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("column", sa.String(length=500), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("merge", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["registered_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("retrain_run_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["check_id"], ["monitoring_checks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rule_id"], ["monitoring_rules.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["retrain_run_id"], ["runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_monitoring_alerts_model_version_id", "monitoring_alerts", ["model_version_id"]
    )
    op.create_table(
        "monitoring_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.String(length=100), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_version_id"], ["model_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_monitoring_feedback_version_row",
        "monitoring_feedback",
        ["model_version_id", "row_id"],
    )
    with op.batch_alter_table("dataset_versions") as batch:
        batch.add_column(sa.Column("merged_from_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_dataset_versions_merged_from_id", "dataset_versions", ["merged_from_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_constraint("fk_dataset_versions_merged_from_id", type_="foreignkey")
        batch.drop_column("merged_from_id")
    op.drop_index("ix_monitoring_feedback_version_row", table_name="monitoring_feedback")
    op.drop_table("monitoring_feedback")
    op.drop_index("ix_monitoring_alerts_model_version_id", table_name="monitoring_alerts")
    op.drop_table("monitoring_alerts")
    op.drop_table("monitoring_rules")
    op.drop_index("ix_monitoring_checks_version", table_name="monitoring_checks")
    op.drop_table("monitoring_checks")
