"""run energy, cost and CO2

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-22 08:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_energy",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("cpu_wh", sa.Float(), nullable=False),
        sa.Column("memory_wh", sa.Float(), nullable=False),
        sa.Column("gpu_wh", sa.Float(), nullable=True),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("energy_cost", sa.Float(), nullable=False),
        sa.Column("amortisation_cost", sa.Float(), nullable=False),
        sa.Column("cloud_equivalent", sa.Float(), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("co2_g", sa.Float(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id"),
    )


def downgrade() -> None:
    op.drop_table("run_energy")
